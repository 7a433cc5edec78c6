// The optional part of `pnpm bench`: the same comparison against the local
// AgentBay server (packages/local), in a child process: raw node:http GetSession
// vs AgentBayClient.getSession, on one session created for the purpose.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Bench from "./Bench.js"

export const local = async (options: {
  readonly n: number
  readonly rounds: number
  readonly deadline: number
  readonly target: number
}) => {
  const key = `sk-bench-${process.pid}`
  let server: Bench.Child
  try {
    server = await Bench.child(new URL("./localServer.ts", import.meta.url), [key])
  } catch (e) {
    console.log(`local AgentBay server: skipped (${e instanceof Error ? e.message : String(e)})`)
    return
  }
  const endpoint = `http://127.0.0.1:${server.port}`
  const runtime = ManagedRuntime.make(NodeAgentBay.layerWith({ apiKey: Redacted.make(key), endpoint, dotEnv: false }))
  try {
    const session = await runtime.runPromise(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()))
    const raw = Bench.rawCall(endpoint, "GetSession", new URLSearchParams({ Authorization: `Bearer ${key}`, SessionId: session.id }).toString())
    const getSession = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession(session.id))
    const loop = (n: number) =>
      runtime.runPromise(Effect.gen(function*() {
        for (let i = 0; i < n; i++) yield* getSession
      }))
    const results = await Bench.rounds([
      Bench.each("local server: raw node:http GetSession", raw.call),
      { name: "local server: AgentBayClient.getSession", batch: loop, target: true }
    ], options)
    console.log(`\nAgainst the local AgentBay server (${endpoint}, child process), ${options.n} calls per round:`)
    Bench.printTimes(results)
    console.log(Bench.verdict(results, options.target))
    raw.close()
    await runtime.runPromise(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.delete(session.id)))
  } catch (e) {
    console.log(`local AgentBay server: skipped (${e instanceof Error ? e.message : String(e)})`)
  } finally {
    await runtime.dispose()
    await server.stop()
  }
}
