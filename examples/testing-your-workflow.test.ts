/**
 * Testing your own AgentBay code, without the cloud and without waiting.
 *
 * 1. Provide `AgentBayTest.layer()` inside each test: the real SDK (its waits,
 *    paging and scoped sessions) over an in-memory backend, fresh per test.
 * 2. Sessions change state on the Effect clock, which `it.effect` replaces by
 *    `TestClock`. Fork the code under test, move the clock, then join.
 * 3. Ask `AgentBayTest.Backend` what happened: `liveSessions` (empty means
 *    nothing leaked), `callCount(method)`; and make things go wrong:
 *    `failNext(method, error)`, `delayNext(method, duration)`.
 *
 * For code that only needs canned answers, `AgentBayTest.layerStub({ get: ... })`
 * is lighter: methods you do not stub die with a message naming them.
 */
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

import { reapJobs, runJob } from "./workflow.js"

// Forks `self`, lets `duration` pass on the test clock, and returns how `self` ended.
const runFor = <A, E, R>(self: Effect.Effect<A, E, R>, duration: `${number} ${"seconds" | "minutes"}`) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust(duration)
    return yield* Fiber.await(fiber)
  })

describe("runJob", () => {
  it.effect("labels, pauses and resumes its session, then deletes it", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      // Each pause, resume and delete takes 3 s on the fake's clock: 1 minute is plenty.
      const exit = yield* runFor(runJob({ team: "search" }), "1 minutes")
      assert.isTrue(Exit.isSuccess(exit))
      if (Exit.isSuccess(exit)) {
        assert.strictEqual(exit.value.status, "RUNNING")
        assert.deepStrictEqual(exit.value.labels, { team: "search", stage: "started" })
      }
      assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 1)
      assert.deepStrictEqual(yield* backend.liveSessions, []) // nothing leaked
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("when the pause fails, the caller gets the error and the session is still deleted", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      yield* backend.failNext(
        "pauseSessionAsync",
        new TransportError({ action: "PauseSessionAsync", reason: "Network" })
      )
      const exit = yield* runFor(runJob({ team: "search" }), "1 minutes")
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      assert.strictEqual(error._tag, "TransportError")
      assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 1) // writes are never retried for you
      assert.strictEqual((yield* backend.sessions).length, 1)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a job cut short by a timeout still deletes its session", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      yield* backend.delayNext("pauseSessionAsync", "10 minutes") // a pause request that hangs
      const exit = yield* runFor(runJob({ team: "search" }).pipe(Effect.timeout("30 seconds")), "1 minutes")
      assert.strictEqual(Exit.isFailure(exit) && (yield* Effect.flip(exit))._tag, "TimeoutException")
      assert.strictEqual((yield* backend.sessions).length, 1)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})

describe("reapJobs", () => {
  it.effect("deletes every session with the labels, and only those", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const bay = yield* AgentBay.AgentBay
      yield* Effect.replicateEffect(bay.create({ labels: { run: "nightly" } }), 12)
      const keep = yield* bay.create({ labels: { run: "manual" } })
      const exit = yield* runFor(reapJobs({ run: "nightly" }), "1 minutes")
      assert.deepStrictEqual(exit, Exit.succeed(12))
      assert.deepStrictEqual((yield* backend.liveSessions).map((s) => s.id), [keep.id])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
