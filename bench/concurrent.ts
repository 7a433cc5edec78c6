// Goal 2: throughput with 16 concurrent callers, the SDK against raw node:http
// keep-alive, both calling GetSession on the trivial server (bench/server.ts,
// a child process) in the same run. Windows of a fixed time, interleaved across
// contenders after a warm-up; the median rate of each. The SDK runs as an Effect
// application does (16 fibers in one program) and as a Promise caller does (16
// async loops, one runPromise per call), through NodeAgentBay's default client.
// When the SDK misses the goal, one more window of the 16 fibers runs under the
// CPU profiler and the client's top costs are printed.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

import * as Bench from "./Bench.js"
import * as Measure from "./Measure.js"
import * as Profile from "./profile.js"
import type * as Report from "./Report.js"

export const CALLERS = 16
export const TARGET = 0.75

export const concurrent = async (
  ctx: Report.Context,
  options: { readonly windowMs: number; readonly rounds: number }
) => {
  const server = await Bench.child(new URL("./server.ts", import.meta.url))
  const base = `http://127.0.0.1:${server.port}`
  const raw = Bench.rawCall(base, "GetSession", "Authorization=Bearer+k&SessionId=s-1")
  const runtime = ManagedRuntime.make(
    NodeAgentBay.layerWith({ apiKey: Redacted.make("k"), endpoint: base, dotEnv: false })
  )
  try {
    const getSession = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession("s-1"))
    // 16 fibers in one Effect program, each calling until the window ends.
    const fibers = (windowMs: number) => runtime.runPromise(Measure.fiberRate(getSession, CALLERS, windowMs))
    const contenders = [
      { name: "raw node:http keep-alive (baseline)", rate: (ms: number) => Measure.rate(CALLERS, ms, raw.call) },
      { name: "AgentBayClient.getSession, 16 fibers", rate: fibers },
      {
        name: "AgentBayClient.getSession, runPromise each",
        rate: (ms: number) => Measure.rate(CALLERS, ms, () => runtime.runPromise(getSession))
      }
    ]
    console.log(
      `\n=== 2. Throughput, ${CALLERS} concurrent callers: ${options.rounds} interleaved windows of ${options.windowMs} ms`
    )
    console.log(`server: ${base} (child process), load average ${Bench.load()}`)
    const results = await Measure.rates(contenders, options)
    const base0 = results[0]!.perSecond
    Measure.table(
      ["calls per second (median window)", "req/s", "share of raw"],
      results.map((r) => [r.name, Measure.fmt(r.perSecond, 0), `${Measure.fmt((r.perSecond / base0) * 100, 0)} %`])
    )
    const share = (i: number) => results[i]!.perSecond / base0
    let profile: Profile.Summary | undefined
    if (Math.min(share(1), share(2)) < TARGET || process.env.BENCH_PROFILE === "1") {
      profile = Profile.summarize(
        await Profile.cpuProfile(async () => {
          await fibers(options.windowMs)
        })
      )
      Profile.print(`CPU profile of this process (the client) during one window of 16 fibers`, profile)
    }
    ctx.report.section("concurrent", {
      callers: CALLERS,
      windowMs: options.windowMs,
      results: results.map((r) => ({ ...r, shareOfRaw: r.perSecond / base0 })),
      clientProfile: profile
    })
    ctx.report.goal({
      id: "2",
      goal: `throughput, ${CALLERS} callers: SDK / raw node:http`,
      target: `>= ${TARGET * 100} %`,
      value: `${Measure.fmt(share(1) * 100, 0)} % (16 fibers), ${Measure.fmt(share(2) * 100, 0)} % (runPromise each)`,
      met: Math.min(share(1), share(2)) >= TARGET
    })
  } finally {
    await runtime.dispose()
    raw.close()
    await server.stop()
  }
}
