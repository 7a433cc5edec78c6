// The README's quickstart, verbatim (typechecked by `pnpm check`; run it with a key:
// AGENTBAY_API_KEY=... npx tsx examples/readme-quickstart.ts, or point AGENTBAY_ENDPOINT at agentbay-local).
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as Effect from "effect/Effect"

const program = Effect.gen(function*() {
  const bay = yield* AgentBay
  // Scoped: deleted (and waited for) when the scope closes: on success, failure or interruption.
  const session = yield* bay.session({ labels: { project: "demo" } })
  yield* session.setLabels({ project: "demo", stage: "running" })
  yield* bay.betaPauseAsync(session) // polls at once, then every 2 s, for up to 600 s
  yield* bay.betaResumeAsync(session, { interval: "500 millis", timeout: "2 minutes" })
  return session.id
})

Effect.scoped(program).pipe(Effect.provide(NodeAgentBay.layer), Effect.runPromise)
