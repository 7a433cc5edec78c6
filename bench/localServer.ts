// Child process of bench/local.ts: the local AgentBay server on a free port of
// 127.0.0.1 (temporary data dir, plain-process sandboxes), accepting the key
// given as the first argument. Prints "<port>" when ready; stops (and removes
// its data dir) when stdin closes.
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

const key = process.argv[2] ?? "sk-bench"
const program = Effect.gen(function*() {
  const info = yield* AgentBayLocal.Info
  process.stdout.write(`${info.port}\n`)
  yield* Effect.async<void>((resume) => {
    process.stdin.on("end", () => resume(Effect.void))
    process.stdin.on("close", () => resume(Effect.void))
    process.stdin.resume()
  })
})
await Effect.runPromise(
  Effect.scoped(Effect.provide(program, Layer.fresh(AgentBayLocal.layerServer({
    apiKeys: [Redacted.make(key)],
    isolation: "process",
    transitionDelay: "10 millis"
  }))))
)
process.exit(0)
