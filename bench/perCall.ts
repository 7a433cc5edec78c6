// Goal 1: the SDK's per-call overhead against a raw node:http keep-alive
// request to the same trivial server (bench/server.ts, a child process, so its
// CPU does not compete with the client's event loop), measured in the same run.
//
// Every contender makes sequential calls; rounds are interleaved across
// contenders after a warm-up, so that load on the machine hits all of them
// alike. Reported: µs per call (median and best round) and the ratio to the
// baseline's, then retained memory per 10k calls. The SDK rows make their calls
// in one Effect program (`yield*` in a loop), as an Effect application does; the
// "runPromise each" rows pay one `runtime.runPromise` per call on top, as a
// Promise caller does. Both go through NodeAgentBay's default HTTP client.
//
// BENCH_COMPARE=1 adds the platform's undici and node:http clients, the bare
// lite client and the "floor" rows (what any Effect wrapper of the raw call pays).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as Rpc from "@effect-agentbay/core/internal/rpc"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as NodeHttpClientLite from "@effect-agentbay/platform-node/NodeHttpClientLite"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

import * as Bench from "./Bench.js"
import type * as Report from "./Report.js"

export const TARGET = 1.2

type Services = AgentBay.Services | HttpClient.HttpClient

export const perCall = async (
  ctx: Report.Context,
  options: { readonly n: number; readonly rounds: number; readonly compare: boolean; readonly budgetMs: number }
) => {
  const deadline = Date.now() + options.budgetMs
  const server = await Bench.child(new URL("./server.ts", import.meta.url))
  const base = `http://127.0.0.1:${server.port}`
  // The baseline: what a hand-written client does for the same call.
  const raw = Bench.rawCall(base, "GetSession", "Authorization=Bearer+k&SessionId=s-1")
  const apiKey = Redacted.make("k")
  const runtimes: Array<ManagedRuntime.ManagedRuntime<Services, unknown>> = []
  const over = (http: Layer.Layer<HttpClient.HttpClient>) => {
    const sdk = NodeAgentBay.layerWithoutHttpClient({ apiKey, endpoint: base, dotEnv: false })
    const runtime = ManagedRuntime.make(Layer.provideMerge(sdk, http))
    runtimes.push(runtime)
    return runtime
  }
  try {
    const getSession = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession("s-1"))
    const get = Effect.flatMap(AgentBay.AgentBay, (bay) => bay.get("s-1"))
    // A bare POST with the platform's HTTP span off, as the SDK sends it.
    const post = Effect.flatMap(
      HttpClient.HttpClient,
      (client) =>
        HttpClientRequest.post(`${base}/?Action=GetSession`).pipe(
          HttpClientRequest.bodyUrlParams({ Authorization: "Bearer k", SessionId: "s-1" }),
          HttpClient.withTracerDisabledWhen(client, () => true).execute,
          Effect.flatMap((r) => r.text)
        )
    )
    // `n` calls in one Effect program, as an Effect application makes them.
    const loop =
      <A, E>(runtime: ManagedRuntime.ManagedRuntime<Services, unknown>, call: Effect.Effect<A, E, Services>) =>
      (n: number) =>
        runtime.runPromise(Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* call
        }))

    const sdk = over(NodeAgentBay.layerHttpClient())
    const promiseEach = "AgentBayClient.getSession, runPromise each"
    const contenders: Array<Bench.Contender> = [
      Bench.each("raw node:http keep-alive (baseline)", raw.call),
      { name: "AgentBayClient.getSession", batch: loop(sdk, getSession), target: true },
      { name: "AgentBay.get", batch: loop(sdk, get) },
      Bench.each(promiseEach, () => sdk.runPromise(getSession)),
      Bench.each("AgentBay.get, runPromise each", () => sdk.runPromise(get))
    ]
    if (options.compare) {
      // The floor: the raw call in Effect, then a span, then an attempt bounded by the Clock.
      const rawEffect = Effect.async<unknown>((resume) => {
        raw.call().then((a) => resume(Effect.succeed(a)), (e) => resume(Effect.die(e)))
      })
      const spanOptions = { kind: "client", captureStackTrace: false } as const
      const spanned = Effect.useSpan("floor", spanOptions, () => rawEffect)
      const bounded = Effect.useSpan(
        "floor",
        spanOptions,
        () => Rpc.bounded(rawEffect, { duration: Duration.seconds(60), onTimeout: () => "timeout", enter: Effect.void })
      )
      const undici = over(NodeHttpClient.layerUndici)
      const nodeHttp = over(NodeAgentBay.layerHttpClient("node-http"))
      const lite = over(NodeHttpClientLite.layer)
      contenders.push(
        { name: "floor: the raw call in Effect.async", batch: loop(sdk, rawEffect) },
        { name: "floor: + a span", batch: loop(sdk, spanned) },
        { name: "floor: + a span + a bounded attempt", batch: loop(sdk, bounded) },
        { name: "lite HttpClient: bare POST + text", batch: loop(lite, post) },
        { name: "undici HttpClient: bare POST + text", batch: loop(undici, post) },
        { name: "undici: AgentBayClient.getSession", batch: loop(undici, getSession) },
        { name: "node:http HttpClient: bare POST + text", batch: loop(nodeHttp, post) },
        { name: "node:http: AgentBayClient.getSession", batch: loop(nodeHttp, getSession) }
      )
    }

    console.log(`\n=== 1. Per-call overhead: ${options.n} sequential calls x ${options.rounds} interleaved rounds`)
    console.log(`server: ${base} (child process), load average ${Bench.load()}`)
    const results = await Bench.rounds(contenders, { n: options.n, rounds: options.rounds, deadline })
    Bench.printTimes(results)
    const memory = await Bench.memory(contenders.slice(0, 3), {
      calls: ctx.smoke ? 200 : 10_000,
      deadline: deadline + 5_000
    })
    Bench.printMemory(memory)
    console.log(Bench.verdict(results, TARGET, promiseEach))

    const inEffect = Bench.ratio(results, "AgentBayClient.getSession")
    const each = Bench.ratio(results, promiseEach)
    const get1 = Bench.ratio(results, "AgentBay.get")
    ctx.report.section("perCall", {
      callsPerRound: options.n,
      rounds: results[0]!.rounds.length,
      microsPerCall: Object.fromEntries(results.map((r) => [r.contender.name, {
        median: Bench.median(r.rounds),
        best: Math.min(...r.rounds)
      }])),
      ratioMedian: Object.fromEntries(
        results.map((r) => [r.contender.name, Bench.ratio(results, r.contender.name).median])
      ),
      retainedPer10kCalls: memory.map((m) => ({
        name: m.name,
        heapKiB: (m.heapKiB * 10_000) / m.calls,
        rssKiB: (m.rssKiB * 10_000) / m.calls
      }))
    })
    ctx.report.goal({
      id: "1",
      goal: "per call, getSession in one Effect loop / raw node:http",
      target: `<= ${TARGET}x`,
      value: `${inEffect.median.toFixed(2)}x (best rounds ${inEffect.best.toFixed(2)}x; AgentBay.get ${
        get1.median.toFixed(2)
      }x)`,
      met: inEffect.median <= TARGET
    })
    ctx.report.goal({
      id: "1",
      goal: "per call, getSession with runPromise each / raw node:http",
      target: `<= ${TARGET}x`,
      value: `${each.median.toFixed(2)}x (best rounds ${each.best.toFixed(2)}x)`,
      met: each.median <= TARGET
    })
  } finally {
    for (const runtime of runtimes) await runtime.dispose()
    raw.close()
    await server.stop()
  }
}
