// examples/persistent-workspace.ts end to end on the embedded local runtime:
// what session 1 left in the synced workspace is there in session 2, the
// excluded scratch folder is not, and the binary file went in and out byte-exact.
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

import { persistentWorkspace, workspace } from "./persistent-workspace.js"

it.live("a context carries the workspace from one session to the next", () =>
  Effect.gen(function*() {
    const carried = yield* persistentWorkspace
    assert.strictEqual(carried.notes, "# Plan\n- step 1 done\n")
    assert.strictEqual(carried.log, "ok\n")
    assert.isFalse(carried.scratchCarried, "tmp/ is excluded by the policy")
    assert.deepStrictEqual([...carried.downloaded], Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
    assert.includeMembers([...carried.stored], [
      `${workspace}/notes.md`,
      `${workspace}/build.log`,
      `${workspace}/data.bin`
    ])
    assert.notInclude([...carried.stored], `${workspace}/tmp`)
  }).pipe(
    Effect.provide(AgentBayLocal.layer())
  ), { timeout: 60_000 })
