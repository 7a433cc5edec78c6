// The real AgentBay waits (pause, resume, delete) over the in-memory backend.
// Time is the TestClock: fork the wait, move the clock, then join.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

// These tests watch the intermediate states: transitions last 3 s on the TestClock.
const timed = { transitionDelay: "3 seconds" } as const

// Clock times (ms) of the GetSession / GetSessionDetail calls so far.
const times = (method: AgentBayTest.Method) =>
  Effect.flatMap(AgentBayTest.Backend, (b) => Effect.map(b.calls(method), (cs) => cs.map((c) => c.at)))
const count = (method: AgentBayTest.Method) => Effect.flatMap(AgentBayTest.Backend, (b) => b.callCount(method))
const isDone = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)

describe("AgentBay.betaPauseAsync / betaResumeAsync", () => {
  it.effect("pause checks, submits once, polls at once and then every 2 s until PAUSED", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const fiber = yield* Effect.fork(bay.betaPauseAsync(s))
      yield* TestClock.adjust("7999 millis")
      assert.isFalse(yield* isDone(fiber))
      // One GetSession to check RUNNING, then the polls: at once, 2 s, 4 s, 6 s.
      assert.deepStrictEqual(yield* times("getSession"), [0, 0, 2000, 4000, 6000])
      yield* TestClock.adjust("1 milli")
      const paused = yield* Fiber.join(fiber)
      assert.strictEqual(paused.status, "PAUSED")
      assert.strictEqual(paused.id, s.id)
      assert.deepStrictEqual(yield* times("getSession"), [0, 0, 2000, 4000, 6000, 8000])
      assert.strictEqual(yield* count("pauseSessionAsync"), 1)
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "7 seconds" }))))

  it.effect("resume honours a custom interval", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      yield* backend.setStatus(s.id, "PAUSED")
      const fiber = yield* Effect.fork(bay.betaResumeAsync(s, { interval: "500 millis" }))
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).status, "RUNNING")
      assert.deepStrictEqual(yield* times("getSession"), [0, 0, 500, 1000, 1500, 2000, 2500, 3000])
      assert.strictEqual(yield* count("resumeSessionAsync"), 1)
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("gives up after 600 s by default with WaitTimeout, carrying the last status", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const fiber = yield* Effect.fork(Effect.flip(bay.betaPauseAsync(s)))
      yield* TestClock.adjust("599 seconds")
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "WaitTimeout")
      if (error._tag === "WaitTimeout") {
        assert.deepStrictEqual([error.id, error.target, error.lastStatus], [s.id, "PAUSED", "PAUSING"])
      }
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: Duration.infinity }))))

  it.effect("honours a custom timeout", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      yield* backend.setStatus(s.id, "PAUSED")
      const fiber = yield* Effect.fork(Effect.flip(bay.betaResumeAsync(s, { timeout: "30 seconds" })))
      yield* TestClock.adjust("29 seconds")
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual(error._tag === "WaitTimeout" && [error.target, error.lastStatus], ["RUNNING", "RESUMING"])
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "1 hour" }))))

  it.effect("a wait that ends in another state is InvalidState with the state seen", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      const pausing = yield* Effect.fork(Effect.flip(bay.betaPauseAsync(s)))
      yield* TestClock.adjust("1 second")
      // Someone else deletes the session while the pause is in flight.
      const deleting = yield* Effect.fork(bay.delete(s))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(pausing)
      assert.deepStrictEqual(
        error._tag === "InvalidState" && [error.id, error.operation, error.status],
        [s.id, "pause", "DELETING"]
      )
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(deleting)

      // Or the backend reports a state the lifecycle never produces.
      const t = yield* bay.create()
      yield* backend.setStatus(t.id, "PAUSED")
      const resuming = yield* Effect.fork(Effect.flip(bay.betaResumeAsync(t)))
      yield* TestClock.adjust("1 second")
      yield* backend.setStatus(t.id, "ERROR")
      yield* TestClock.adjust("1 second")
      const failed = yield* Fiber.join(resuming)
      assert.deepStrictEqual(failed._tag === "InvalidState" && [failed.operation, failed.status], ["resume", "ERROR"])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("pausing a non-RUNNING or resuming a non-PAUSED session is InvalidState, and nothing is sent", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      const resume = yield* Effect.flip(bay.betaResumeAsync(s))
      assert.deepStrictEqual(resume._tag === "InvalidState" && [resume.operation, resume.status], ["resume", "RUNNING"])
      for (const status of ["PAUSED", "PAUSING", "RESUMING", "DELETED"] as const) {
        yield* backend.setStatus(s.id, status)
        const pause = yield* Effect.flip(bay.betaPauseAsync(s))
        assert.deepStrictEqual(pause._tag === "InvalidState" && pause.status, status)
      }
      assert.strictEqual(yield* count("pauseSessionAsync"), 0)
      assert.strictEqual(yield* count("resumeSessionAsync"), 0)
      const unknown = yield* Effect.flip(bay.betaPauseAsync("no-such-session"))
      assert.strictEqual(unknown._tag, "NotFound")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("interrupting a wait stops the polling", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const fiber = yield* Effect.fork(bay.betaPauseAsync(s))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      const polled = yield* count("getSession")
      assert.strictEqual(polled, 7) // the check, then polls at 0, 2, 4, 6, 8, 10 s
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* count("getSession"), polled)
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: Duration.infinity }))))
})

describe("AgentBay.delete", () => {
  it.effect("submits once and polls GetSessionDetail every second until the session is gone", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      const fiber = yield* Effect.fork(bay.delete(s))
      yield* TestClock.adjust("2999 millis")
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust("1 milli")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* times("getSessionDetail"), [0, 1000, 2000, 3000])
      assert.strictEqual(yield* count("deleteSessionAsync"), 1)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("an already deleted or unknown session counts as deleted", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      yield* backend.setStatus(s.id, "DELETED")
      yield* bay.delete(s) // refused by the backend as InvalidState, then seen as gone
      yield* bay.delete("no-such-session") // NotFound: nothing to wait for
      assert.strictEqual(yield* count("deleteSessionAsync"), 2)
      assert.strictEqual(yield* count("getSessionDetail"), 1)
      // A session already DELETING is waited for, not refused.
      const t = yield* bay.create()
      const first = yield* Effect.fork(bay.delete(t))
      const second = yield* Effect.fork(bay.delete(t))
      yield* TestClock.adjust("3 seconds")
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("gives up after 300 s by default, and after a custom timeout, with the last status", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const fiber = yield* Effect.fork(Effect.flip(bay.delete(s)))
      yield* TestClock.adjust("299 seconds")
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual(
        error._tag === "WaitTimeout" && [error.id, error.target, error.lastStatus],
        [s.id, "FINISH", "DELETING"]
      )
      const custom = yield* Effect.fork(Effect.flip(bay.delete(s, { timeout: "5 seconds" })))
      yield* TestClock.adjust("5 seconds")
      const late = yield* Fiber.join(custom)
      assert.deepStrictEqual(late._tag === "WaitTimeout" && late.lastStatus, "DELETING")
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: Duration.infinity }))))
})
