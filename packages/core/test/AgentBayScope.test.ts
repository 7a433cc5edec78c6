// Scoped sessions over the in-memory backend: the release runs on success,
// failure and interruption, never fails the scope, and nothing leaks even
// under injected faults and random interruption.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as TestClock from "effect/TestClock"

// These tests watch the intermediate states: transitions last 3 s on the TestClock.
const timed = { transitionDelay: "3 seconds" } as const

// Runs `self` with a logger that keeps the text of every warning.
const withWarnings = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push([message].flat().map(String).join(" "))
    })
    return Effect.map(Effect.provide(self, Logger.add(logger)), (a) => [a, warnings] as const)
  })

// Forks `self`, moves the clock by `duration`, and returns how `self` ended.
const runFor = <A, E, R>(self: Effect.Effect<A, E, R>, duration: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust(duration)
    return yield* Fiber.await(fiber)
  })

describe("AgentBay.session", () => {
  it.effect("is deleted when the scope succeeds, and the scope waits until it is gone", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const fiber = yield* Effect.fork(Effect.scoped(Effect.map(bay.session({ labels: { job: "a" } }), (s) => s.id)))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber))) // still waiting for DELETING to end
      yield* TestClock.adjust("1 second")
      const id = yield* Fiber.join(fiber)
      assert.deepStrictEqual((yield* backend.sessions).map((s) => [s.id, s.status]), [[id, "DELETED"]])
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("is deleted when the scope fails", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const exit = yield* runFor(Effect.scoped(Effect.zipRight(bay.session(), Effect.fail("boom"))), "3 seconds")
      assert.deepStrictEqual(exit, Exit.fail("boom"))
      assert.strictEqual((yield* backend.sessions).length, 1)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("is deleted when the scope is interrupted", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const fiber = yield* Effect.fork(Effect.scoped(Effect.zipRight(bay.session(), Effect.never)))
      yield* TestClock.adjust("1 minute")
      assert.strictEqual((yield* backend.liveSessions).length, 1)
      const stopping = yield* Effect.fork(Fiber.interrupt(fiber)) // the release needs the clock too
      yield* TestClock.adjust("3 seconds")
      assert.isTrue(Exit.isInterrupted(yield* Fiber.join(stopping)))
      assert.strictEqual((yield* backend.sessions).length, 1)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("a failing delete during release is logged and the scope still succeeds", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      yield* backend.failNext(
        "deleteSessionAsync",
        new TransportError({ action: "DeleteSessionAsync", reason: "Network" })
      )
      const [exit, warnings] = yield* withWarnings(
        runFor(Effect.scoped(Effect.map(bay.session(), (s) => s.id)), "1 second")
      )
      assert.isTrue(Exit.isSuccess(exit))
      const id = Exit.isSuccess(exit) ? exit.value : ""
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], `could not delete session ${id}`)
      // The session is still there: the release is total, not magic.
      assert.deepStrictEqual((yield* backend.liveSessions).map((s) => s.id), [id])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("the release is idempotent: a session deleted inside the scope is fine", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const workflow = Effect.scoped(Effect.flatMap(bay.session(), (s) => bay.delete(s)))
      const [exit, warnings] = yield* withWarnings(runFor(workflow, "10 seconds"))
      assert.isTrue(Exit.isSuccess(exit))
      assert.deepStrictEqual(warnings, [])
      assert.strictEqual(yield* backend.callCount("deleteSessionAsync"), 2)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "1 second" }))))
})

describe("AgentBay.session under faults", () => {
  // Everything the workflow or its release calls, except the delete itself: a
  // delete that never reaches the backend leaks by design (see the test above).
  const faulty = [
    "createMcpSession",
    "getSession",
    "setLabel",
    "pauseSessionAsync",
    "resumeSessionAsync",
    "getSessionDetail"
  ] as const
  const slow = [...faulty, "deleteSessionAsync"] as const

  it.effect("200 workflows with injected faults and random interruption leave no session behind", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const rng = Random.make("agentbay-chaos-1") // seeded: the same run every time
      const pick = <A>(items: ReadonlyArray<A>) => Effect.map(rng.nextIntBetween(0, items.length), (i) => items[i]!)

      const workflow = (i: number) =>
        Effect.scoped(Effect.gen(function*() {
          const s = yield* bay.session({ labels: { job: `${i}` } })
          yield* s.setLabels({ job: `${i}`, stage: "pausing" })
          yield* bay.betaPauseAsync(s)
          yield* bay.betaResumeAsync(s)
          return s.id
        }))

      const one = (i: number) =>
        Effect.gen(function*() {
          const roll = yield* rng.nextIntBetween(0, 10)
          if (roll < 4) {
            const method = yield* pick(faulty)
            yield* backend.failNext(method, new TransportError({ action: method, reason: "Network" }))
          } else if (roll < 6) {
            yield* backend.delayNext(yield* pick(slow), `${yield* rng.nextIntBetween(100, 3_000)} millis`)
          }
          const fiber = yield* Effect.fork(workflow(i))
          if ((yield* rng.nextIntBetween(0, 3)) === 0) {
            yield* Effect.sleep(`${yield* rng.nextIntBetween(0, 6_000)} millis`)
            return yield* Fiber.interrupt(fiber)
          }
          return yield* Fiber.await(fiber)
        })

      const run = yield* Effect.fork(Effect.forEach(Array.from({ length: 200 }, (_, i) => i), one, { concurrency: 50 }))
      for (let step = 0; step < 1_000 && Option.isNone(yield* Fiber.poll(run)); step++) {
        yield* TestClock.adjust("5 seconds")
      }
      const exits = yield* Fiber.join(run)

      const interrupted = exits.filter((e) => Exit.isFailure(e) && Cause.isInterruptedOnly(e.cause)).length
      const failed = exits.filter((e) => Exit.isFailure(e) && !Cause.isInterruptedOnly(e.cause)).length
      const succeeded = exits.filter(Exit.isSuccess).length
      assert.strictEqual(succeeded + failed + interrupted, 200)
      assert.isAbove(succeeded, 0)
      assert.isAbove(failed, 0)
      assert.isAbove(interrupted, 0)
      // Every session the backend ever created is gone.
      assert.isAbove((yield* backend.sessions).length, 150)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "1 second" }))))
})
