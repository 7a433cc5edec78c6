// The local AgentBay server (packages/local) in a child process, over HTTP:
//
// - per call: raw node:http GetSession vs AgentBayClient.getSession, sequential
//   and interleaved, on one session created for the purpose (where the server's
//   own work dominates, the client's share shows);
// - goal 3, GetSession throughput with 16 concurrent keep-alive callers (raw
//   node:http, the same load generator for both) against the local server and
//   against a trivial Node server (bench/server.ts) answering the very envelope
//   the local server answered, in the same run: the ratio is the server's cost
//   over the least any Node HTTP server pays. The SDK's 16 fibers against the
//   local server are shown too. When the ratio misses its goal, the server
//   profiles itself during one more window and its top costs are printed.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as Effect from "effect/Effect"

import * as Bench from "./Bench.js"
import * as LocalRig from "./LocalRig.js"
import * as Measure from "./Measure.js"
import * as Profile from "./profile.js"
import type * as Report from "./Report.js"

export const CALLERS = 16
export const TARGET = 0.5

export const local = async (
  ctx: Report.Context,
  options: {
    readonly n: number
    readonly rounds: number
    readonly budgetMs: number
    readonly target: number
    readonly windowMs: number
    readonly rateRounds: number
  }
) => {
  const rig = await LocalRig.start("process")
  let trivial: Bench.Child | undefined
  const closers: Array<() => void> = []
  try {
    const session = await rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()))
    const raw = Bench.rawCall(rig.endpoint, "GetSession", LocalRig.getSessionForm(rig, session.id))
    closers.push(raw.close)
    const getSession = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession(session.id))
    const loop = (n: number) =>
      rig.run(Effect.gen(function*() {
        for (let i = 0; i < n; i++) yield* getSession
      }))
    const results = await Bench.rounds([
      Bench.each("local server: raw node:http GetSession", raw.call),
      { name: "local server: AgentBayClient.getSession", batch: loop, target: true }
    ], { n: options.n, rounds: options.rounds, deadline: Date.now() + options.budgetMs })
    console.log(
      `\n=== Per call against the local AgentBay server (${rig.endpoint}, child process), ${options.n} calls per round:`
    )
    Bench.printTimes(results)
    console.log(Bench.verdict(results, options.target))
    const perCallRatio = Bench.ratio(results, "local server: AgentBayClient.getSession")

    // The trivial server answers exactly what the local server answered.
    const envelope = JSON.stringify(await raw.call())
    trivial = await Bench.child(new URL("./server.ts", import.meta.url), [envelope])
    const rawTrivial = Bench.rawCall(
      `http://127.0.0.1:${trivial.port}`,
      "GetSession",
      LocalRig.getSessionForm(rig, session.id)
    )
    closers.push(rawTrivial.close)
    const fibers = (windowMs: number) => rig.run(Measure.fiberRate(getSession, CALLERS, windowMs))
    console.log(
      `\n=== 3. GetSession throughput, ${CALLERS} concurrent keep-alive callers: ${options.rateRounds} interleaved windows of ${options.windowMs} ms`
    )
    console.log(`envelope: ${envelope.length} bytes; load average ${Bench.load()}`)
    const rates = await Measure.rates([
      {
        name: "trivial Node server, raw node:http (baseline)",
        rate: (ms) => Measure.rate(CALLERS, ms, rawTrivial.call)
      },
      { name: "local server, raw node:http", rate: (ms) => Measure.rate(CALLERS, ms, raw.call) },
      { name: "local server, SDK (16 fibers)", rate: fibers }
    ], { windowMs: options.windowMs, rounds: options.rateRounds })
    const base = rates[0]!.perSecond
    Measure.table(
      ["GetSession per second (median window)", "req/s", "ratio"],
      rates.map((r) => [r.name, Measure.fmt(r.perSecond, 0), `${Measure.fmt(r.perSecond / base, 2)}x`])
    )
    const ratio = rates[1]!.perSecond / base
    let profile: Profile.Summary | undefined
    if (ratio < TARGET || process.env.BENCH_PROFILE === "1") {
      const raw16 = await Profile.childProfile(rig.server, async () => {
        await Measure.rate(CALLERS, options.windowMs, raw.call)
      })
      if (raw16 !== undefined) {
        profile = Profile.summarize(raw16)
        Profile.print(`CPU profile of the local server under ${CALLERS} raw callers (${options.windowMs} ms)`, profile)
      }
    }
    await rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.delete(session.id)))

    ctx.report.section("local", {
      perCall: {
        callsPerRound: options.n,
        microsPerCall: Object.fromEntries(results.map((r) => [r.contender.name, Bench.median(r.rounds)])),
        sdkRatio: perCallRatio.median
      },
      throughput: { callers: CALLERS, envelopeBytes: envelope.length, results: rates },
      serverProfile: profile
    })
    ctx.report.goal({
      id: "3a",
      goal: `local GetSession, ${CALLERS} callers / trivial Node server`,
      target: `>= ${TARGET}x`,
      value: `${Measure.fmt(ratio, 2)}x (${Measure.fmt(rates[1]!.perSecond, 0)} vs ${Measure.fmt(base, 0)} req/s)`,
      met: ratio >= TARGET
    })
  } finally {
    for (const close of closers) close()
    if (trivial !== undefined) await trivial.stop()
    await rig.close()
  }
}
