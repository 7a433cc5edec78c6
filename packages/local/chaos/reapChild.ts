// A client the chaos suite SIGKILLs (Leaks.test.ts, the reap case): creates
// `count` scoped sessions with a short `ttl` against `endpoint`, prints their
// ids as one JSON line, and then holds them until it is killed, so that their
// release never runs. Run with `node --import tsx reapChild.ts <endpoint> <key> <count> <ttl>`.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

const [endpoint = "", key = "", count = "3", ttl = "3 seconds"] = process.argv.slice(2)

const program = Effect.gen(function*() {
  const bay = yield* AgentBay.AgentBay
  const sessions = yield* bay.sessions(
    Array.from(
      { length: Number(count) },
      () => ({ ttl: ttl as `${number} seconds`, labels: { origin: "killed-child" } })
    ),
    { concurrency: 4 }
  )
  yield* Console.log(JSON.stringify({ created: sessions.map((s) => s.id) }))
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(AgentBay.layer({ apiKey: Redacted.make(key), endpoint })),
  Effect.provide(NodeHttpClient.layerUndici)
)

Effect.runPromise(program).catch((error) => {
  console.error(`reapChild: ${String(error)}`)
  process.exit(1)
})
