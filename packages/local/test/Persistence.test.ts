// One behavioural suite of persistence through the typed SDK services (`bay.context`, `session.context`,
// `session.filesystem`'s file transfer, `bay.betaVolume`, `bay.betaNetwork`), written once and run against the
// fake (AgentBayTest) and the embedded local runtime (AgentBayLocal, in each isolation mode that works here).
// Where the backends must differ, `Backend` (persistence.ts) says how and why: time (the fake's TestClock, the
// local runtime's real clock) and whether shell commands really run.
import { describe } from "@effect/vitest"
import { targets } from "./persistence.js"
import { contexts } from "./persistenceContexts.js"
import { resources } from "./persistenceResources.js"
import { syncs } from "./persistenceSync.js"

const suite = [...contexts, ...syncs, ...resources]

for (const target of targets) {
  describe(`persistence on ${target.name}`, () => {
    for (const { body, name, options } of suite) target.test(name, body, options)
  })
}
