// The local runtime as the local-runtime sections of `pnpm bench` use it: the
// server in a child process (bench/localServer.ts, as `agentbay-local serve`
// runs), and the SDK in this process pointed at it over keep-alive HTTP
// (NodeAgentBay's default client, the local runtime's short waits).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"

import * as Bench from "./Bench.js"
import * as Measure from "./Measure.js"
import * as Spans from "./spans.js"

export interface Rig {
  readonly server: Bench.Child
  readonly endpoint: string
  readonly key: string
  /** "bubblewrap" or "process", as the server reports it. */
  readonly isolation: string
  readonly dataDir: string
  readonly run: <A, E>(effect: Effect.Effect<A, E, AgentBay.Services>) => Promise<A>
  /**
   * Records the spans of the SDK (this process) and of the server during `work`:
   * p50 etc. by span name (empty unless the rig was started with `spans`).
   */
  readonly spans: <A>(work: () => Promise<A>) => Promise<{
    readonly result: A
    readonly client: Record<string, Measure.Latency>
    readonly server: Record<string, Measure.Latency>
  }>
  readonly close: () => Promise<void>
}

let started = 0

export const start = async (
  isolation: "auto" | "bubblewrap" | "process",
  options: { readonly stopTimeoutMs?: number; readonly spans?: boolean } = {}
): Promise<Rig> => {
  const key = `sk-bench-${process.pid}-${++started}`
  const server = await Bench.child(
    new URL("./localServer.ts", import.meta.url),
    [key, isolation, ...(options.spans ? ["spans"] : [])],
    30_000,
    options.stopTimeoutMs ?? 10_000
  )
  const [, level, dataDir] = server.line.split(" ")
  const endpoint = `http://127.0.0.1:${server.port}`
  const recorder = Spans.make()
  const runtime = ManagedRuntime.make(
    NodeAgentBay.layerWith({ apiKey: Redacted.make(key), endpoint, dotEnv: false }).pipe(
      Layer.provide(AgentBay.layerWaits(AgentBayLocal.waits)),
      Layer.provide(options.spans ? recorder.layer : Layer.empty)
    )
  )
  const summary = (recorded: unknown) =>
    Object.fromEntries(
      Object.entries((recorded ?? {}) as Record<string, ReadonlyArray<number>>).map(([k, v]) => [k, Measure.latency(v)])
    )
  return {
    server,
    endpoint,
    key,
    isolation: level ?? "unknown",
    dataDir: dataDir ?? "",
    run: (effect) => runtime.runPromise(effect),
    spans: async (work) => {
      server.send("spans-start")
      await new Promise((r) => setTimeout(r, 50)) // the child reads its stdin
      recorder.start()
      const result = await work()
      const client = summary(recorder.stop())
      return { result, client, server: summary(await Bench.ask(server, "spans-dump")) }
    },
    close: async () => {
      await runtime.dispose()
      await server.stop()
    }
  }
}

/** The form of a raw GetSession with this rig's key. */
export const getSessionForm = (rig: Rig, sessionId: string) =>
  new URLSearchParams({ Authorization: `Bearer ${rig.key}`, SessionId: sessionId }).toString()
