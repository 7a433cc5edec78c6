// The README's five-minute walkthrough, verbatim from the first import: one scoped
// session that runs a command and reads back the file it wrote. `npx tsx
// examples/first-session.ts` runs it on the embedded local runtime; with
// AGENTBAY_API_KEY (and AGENTBAY_ENDPOINT) set, on that endpoint.
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

const firstSession = Effect.scoped(Effect.gen(function*() {
  const bay = yield* AgentBay
  const session = yield* bay.session({ labels: { project: "first" } }) // deleted when this scope closes
  const run = yield* session.command.executeCommand("echo hello from $(uname -s) > greeting.txt")
  const text = yield* session.filesystem.readFile("/home/wuying/greeting.txt")
  yield* Console.log(`session ${session.id}: exit ${run.exitCode}, greeting.txt says ${text.trim()}`)
}))

// No key: the embedded local runtime (in this process, a free port, a temporary data dir).
const target = process.env.AGENTBAY_API_KEY ? NodeAgentBay.layer : AgentBayLocal.layer()

firstSession.pipe(Effect.provide(target), Effect.runPromise)
