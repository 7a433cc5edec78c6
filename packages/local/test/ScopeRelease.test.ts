// Closing a scope of many sessions on the embedded local runtime, with default
// options: every session is deleted and its sandbox gone. (How long it takes is
// measured by `pnpm bench`, not asserted here.)
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"

const liveIds = Effect.flatMap(
  AgentBay.AgentBay,
  (bay) => Effect.map(Stream.runCollect(bay.list({ pageSize: 100 })), (all) => [...all].map((s) => s.id))
)

describe("releasing many scoped sessions on the embedded runtime (default options)", () => {
  it.live(
    "10 sessions acquired with Effect.forEach are all deleted when the scope closes",
    () =>
      Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const ids = yield* Effect.scoped(Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          const sessions = yield* Effect.forEach(Array.from({ length: 10 }), () => bay.session(), { concurrency: 5 })
          const ids = sessions.map((s) => s.id)
          assert.sameMembers(yield* liveIds, ids)
          for (const id of ids) assert.isTrue(Fs.existsSync(`${info.dataDir}/sandboxes/${id}`))
          return ids
        }))
        assert.deepStrictEqual(yield* liveIds, [])
        for (const id of ids) assert.isFalse(Fs.existsSync(`${info.dataDir}/sandboxes/${id}`), id)
        const bay = yield* AgentBay.AgentBay
        for (const id of ids) assert.strictEqual((yield* (yield* bay.get(id)).getStatus()).status, "FINISH")
      }).pipe(Effect.provide(AgentBayLocal.layer())),
    { timeout: 60_000 }
  )

  it.live("bay.sessions(10) releases them all concurrently", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const ids = yield* Effect.scoped(Effect.map(bay.sessions(10), (ss) => ss.map((s) => s.id)))
      assert.strictEqual(new Set(ids).size, 10)
      assert.deepStrictEqual(yield* liveIds, [])
    }).pipe(Effect.provide(AgentBayLocal.layer())), { timeout: 60_000 })

  it.live(
    "the local layer carries short wait defaults; pause and resume settle without a 2 s poll",
    () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(yield* AgentBay.WaitDefaults, AgentBayLocal.waits)
        const bay = yield* AgentBay.AgentBay
        const s = yield* Effect.scoped(Effect.gen(function*() {
          const s = yield* bay.session()
          assert.strictEqual((yield* bay.betaPauseAsync(s)).status, "PAUSED")
          assert.strictEqual((yield* bay.betaResumeAsync(s)).status, "RUNNING")
          return s
        }))
        assert.strictEqual((yield* s.getStatus()).status, "FINISH")
      }).pipe(Effect.provide(AgentBayLocal.layer())),
    { timeout: 60_000 }
  )
})
