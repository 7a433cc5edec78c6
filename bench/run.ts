// `pnpm bench`: the SDK's per-call overhead against a raw node:http keep-alive
// request to the same trivial server, measured in the same run.
//
// The server runs in a child process (bench/server.ts), so its CPU does not
// compete with the client's event loop. Every contender makes sequential calls;
// rounds are interleaved across contenders after a warm-up, so that load on the
// machine hits all of them alike. Reported: µs per call (median and best round)
// and the ratio to the baseline's, then retained memory per 10k calls, then a
// one-line verdict against the target (≤ 1.2× the baseline, median).
//
// The SDK rows make their calls in one Effect program (`yield*` in a loop), as
// an Effect application does; the "runPromise each" rows pay one
// `runtime.runPromise` per call on top, as a Promise caller does. Both go
// through NodeAgentBay's default HTTP client.
//
// Environment: BENCH_N (calls per round, default 1000), BENCH_ROUNDS (default 9),
// BENCH_COMPARE=1 (also the platform's undici and node:http clients and the bare
// lite client), BENCH_LOCAL=0 (skip the run against the local AgentBay server),
// BENCH_RELEASE=0 (skip the scope-release timings of bench/release.ts).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as NodeHttpClientLite from "@effect-agentbay/platform-node/NodeHttpClientLite"
import * as Rpc from "@effect-agentbay/core/internal/rpc"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Bench from "./Bench.js"

const N = Number(process.env.BENCH_N ?? 1000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const COMPARE = process.env.BENCH_COMPARE === "1"
const TARGET = 1.2
const deadline = Date.now() + 45_000 // the whole bench stays under a minute
// A last resort if the machine is far too slow: the children exit with our stdin pipes.
setTimeout(() => {
  console.error("bench: still running after 150 s, giving up")
  process.exit(1)
}, 150_000).unref()

const server = await Bench.child(new URL("./server.ts", import.meta.url))
const base = `http://127.0.0.1:${server.port}`

// The baseline: what a hand-written client does for the same call.
const raw = Bench.rawCall(base, "GetSession", "Authorization=Bearer+k&SessionId=s-1")

const apiKey = Redacted.make("k")
type Services = AgentBay.Services | HttpClient.HttpClient
const runtimes: Array<ManagedRuntime.ManagedRuntime<Services, unknown>> = []
const over = (http: Layer.Layer<HttpClient.HttpClient>) => {
  const sdk = NodeAgentBay.layerWithoutHttpClient({ apiKey, endpoint: base, dotEnv: false })
  const runtime = ManagedRuntime.make(Layer.provideMerge(sdk, http))
  runtimes.push(runtime)
  return runtime
}
const getSession = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession("s-1"))
const get = Effect.flatMap(AgentBay.AgentBay, (bay) => bay.get("s-1"))
// A bare POST with the platform's HTTP span off, as the SDK sends it.
const post = Effect.flatMap(HttpClient.HttpClient, (client) =>
  HttpClientRequest.post(`${base}/?Action=GetSession`).pipe(
    HttpClientRequest.bodyUrlParams({ Authorization: "Bearer k", SessionId: "s-1" }),
    HttpClient.withTracerDisabledWhen(client, () => true).execute,
    Effect.flatMap((r) => r.text)
  ))

// `n` calls in one Effect program, as an Effect application makes them.
const loop = <A, E>(runtime: ManagedRuntime.ManagedRuntime<Services, unknown>, call: Effect.Effect<A, E, Services>) =>
(n: number) =>
  runtime.runPromise(Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* call
  }))

const sdk = over(NodeAgentBay.layerHttpClient())
const contenders: Array<Bench.Contender> = [
  Bench.each("raw node:http keep-alive (baseline)", raw.call),
  { name: "AgentBayClient.getSession", batch: loop(sdk, getSession), target: true },
  { name: "AgentBay.get", batch: loop(sdk, get) },
  Bench.each("AgentBayClient.getSession, runPromise each", () => sdk.runPromise(getSession)),
  Bench.each("AgentBay.get, runPromise each", () => sdk.runPromise(get))
]
if (COMPARE) {
  // The floor: what any Effect wrapper of the raw call pays, step by step, up to
  // what the SDK needs per call (a span; an attempt bounded by the Clock, in a
  // fiber of its own so that it can be interrupted).
  const rawEffect = Effect.async<unknown>((resume) => {
    raw.call().then((a) => resume(Effect.succeed(a)), (e) => resume(Effect.die(e)))
  })
  const spanOptions = { kind: "client", captureStackTrace: false } as const
  const spanned = Effect.useSpan("floor", spanOptions, () => rawEffect)
  const bounded = Effect.useSpan("floor", spanOptions, () =>
    Rpc.bounded(rawEffect, { duration: Duration.seconds(60), onTimeout: () => "timeout", enter: Effect.void }))
  contenders.push(
    { name: "floor: the raw call in Effect.async", batch: loop(sdk, rawEffect) },
    { name: "floor: + a span", batch: loop(sdk, spanned) },
    { name: "floor: + a span + a bounded attempt", batch: loop(sdk, bounded) }
  )
  const undici = over(NodeHttpClient.layerUndici)
  const nodeHttp = over(NodeAgentBay.layerHttpClient("node-http"))
  const lite = over(NodeHttpClientLite.layer)
  contenders.push(
    { name: "lite HttpClient: bare POST + text", batch: loop(lite, post) },
    { name: "undici HttpClient: bare POST + text", batch: loop(undici, post) },
    { name: "undici: AgentBayClient.getSession", batch: loop(undici, getSession) },
    { name: "node:http HttpClient: bare POST + text", batch: loop(nodeHttp, post) },
    { name: "node:http: AgentBayClient.getSession", batch: loop(nodeHttp, getSession) }
  )
}

console.log(`Per-call overhead: ${N} sequential calls x ${ROUNDS} interleaved rounds (Node ${process.version})`)
console.log(`server: ${base} (child process), load average ${Bench.load()}`)
const results = await Bench.rounds(contenders, { n: N, rounds: ROUNDS, deadline })
Bench.printTimes(results)
Bench.printMemory(await Bench.memory(contenders.slice(0, 3), { calls: 10_000, deadline: deadline + 5_000 }))
console.log(Bench.verdict(results, TARGET, "AgentBayClient.getSession, runPromise each"))

if (process.env.BENCH_LOCAL !== "0") {
  const { local } = await import("./local.js")
  await local({ n: Math.max(100, Math.floor(N / 4)), rounds: Math.min(ROUNDS, 5), deadline: deadline + 5_000, target: TARGET })
}

for (const runtime of runtimes) await runtime.dispose()
raw.close()
await server.stop()

if (process.env.BENCH_RELEASE !== "0") {
  const { release } = await import("./release.js")
  await release({ rounds: Math.min(ROUNDS, 3), cloudDelete: "1 second" })
}
