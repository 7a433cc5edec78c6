// Waits as a user tunes them: a Schedule instead of an interval, wait defaults
// carried by a layer, and many scoped sessions released concurrently.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"

const times = (method: AgentBayTest.Method) =>
  Effect.flatMap(AgentBayTest.Backend, (b) => Effect.map(b.calls(method), (cs) => cs.map((c) => c.at)))
const isDone = <A, E>(fiber: Fiber.Fiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)
const timed = (delay: Duration.DurationInput) => AgentBayTest.layer({ transitionDelay: delay })

describe("waits driven by a Schedule", () => {
  it.effect("pause polls at once, then as the schedule says", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const schedule = Schedule.exponential("100 millis") // 100, 200, 400, 800 ms apart
      const fiber = yield* Effect.fork(bay.betaPauseAsync(s, { schedule }))
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* Fiber.join(fiber)).status, "PAUSED")
      // The state check, then the polls: at once, +100, +200, +400, +800 (the transition settles at 1 s).
      assert.deepStrictEqual(yield* times("getSession"), [0, 0, 100, 300, 700, 1500])
    }).pipe(Effect.provide(timed("1 second"))))

  it.effect("interval and schedule together are a ValidationError, before anything is sent", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      const error = yield* Effect.flip(bay.delete(s, { interval: "1 second", schedule: Schedule.spaced("1 second") }))
      assert.deepStrictEqual([error._tag, error._tag === "ValidationError" && error.field], [
        "ValidationError",
        "schedule"
      ])
      const bad = yield* Effect.flip(bay.betaPauseAsync(s, { timeout: "0 millis" }))
      assert.deepStrictEqual([bad._tag, bad._tag === "ValidationError" && bad.field], ["ValidationError", "timeout"])
      assert.strictEqual(yield* backend.callCount("deleteSessionAsync"), 0)
      assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 0)
    }).pipe(Effect.provide(AgentBayTest.layer())))
})

describe("wait defaults carried by a layer", () => {
  const fast = AgentBay.layerWaits({
    delete: { interval: "100 millis", timeout: "5 seconds" },
    transition: { schedule: Schedule.spaced("250 millis"), timeout: "10 seconds" }
  })
  const layer = AgentBay.layerWithoutClient.pipe(
    Layer.provide(fast),
    Layer.provideMerge(Layer.scopedContext(AgentBayTest.make({ transitionDelay: "1 second" })))
  )

  it.effect("delete and pause poll at the layer's pace; a call's own options still win", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const pause = yield* Effect.fork(bay.betaPauseAsync(s))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(pause)
      assert.deepStrictEqual(yield* times("getSession"), [0, 0, 250, 500, 750, 1000])
      const del = yield* Effect.fork(bay.delete(s))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(del)
      assert.deepStrictEqual(
        yield* times("getSessionDetail"),
        Array.from({ length: 11 }, (_, i) => 1000 + i * 100)
      )
      const t = yield* bay.create()
      const slow = yield* Effect.fork(Effect.flip(bay.delete(t, { timeout: "500 millis" })))
      yield* TestClock.adjust("500 millis")
      const error = yield* Fiber.join(slow)
      assert.deepStrictEqual(error._tag === "WaitTimeout" && [error.resource, error.id, error.timeout], [
        "Session",
        t.id,
        "500ms"
      ])
    }).pipe(Effect.provide(layer)))

  it.effect("without a layer of its own the service keeps the cloud defaults", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* AgentBay.WaitDefaults, AgentBay.cloudWaits)
    }))
})

describe("AgentBay.sessions", () => {
  it.effect("releases every session concurrently: the scope closes after one delete's time, not ten", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const sessions = yield* bay.sessions(10)
        assert.strictEqual(new Set(sessions.map((s) => s.id)).size, 10)
        assert.strictEqual((yield* backend.liveSessions).length, 10)
      })))
      // Each delete takes 3 s (polled every second); one after another they would take 30 s.
      yield* TestClock.adjust("2999 millis")
      assert.isFalse(yield* isDone(fiber))
      yield* TestClock.adjust("1 milli")
      yield* Fiber.join(fiber)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
      assert.strictEqual(yield* backend.callCount("deleteSessionAsync"), 10)
    }).pipe(Effect.provide(timed("3 seconds"))))

  it.effect("takes one options entry per session", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const labels = yield* Effect.scoped(Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const [a, b] = yield* bay.sessions([{ labels: { n: "a" } }, { labels: { n: "b" } }], { concurrency: 1 })
        return [AgentBay.withoutStamps(yield* a!.getLabels()), AgentBay.withoutStamps(yield* b!.getLabels())]
      }))
      assert.deepStrictEqual(labels, [{ n: "a" }, { n: "b" }])
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a failed creation releases the sessions already created and fails the call", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const error = new TransportError({ action: "CreateMcpSession", reason: "Network" })
      yield* backend.failNext("createMcpSession", error)
      const bay = yield* AgentBay.AgentBay
      // The first creation fails at once; with concurrency 1 nothing else is created.
      const exit = yield* Effect.exit(Effect.scoped(bay.sessions(3, { concurrency: 1 })))
      assert.isTrue(Exit.isFailure(exit))
      assert.deepStrictEqual(yield* backend.liveSessions, [])
      // The third is refused (a blank label value): the two created are deleted before the error comes back.
      const refused = yield* Effect.flip(Effect.scoped(Effect.gen(function*() {
        yield* bay.sessions([{}, {}, { labels: { team: " " } }], { concurrency: 1 })
        return yield* Effect.dieMessage("unreachable: the third creation must fail")
      })))
      assert.strictEqual(refused._tag, "ValidationError")
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 3) // the refused one is never sent
      assert.strictEqual(yield* backend.callCount("deleteSessionAsync"), 2)
      assert.deepStrictEqual(yield* backend.liveSessions, [])
      const bad = yield* Effect.flip(Effect.scoped(bay.sessions(-1)))
      assert.strictEqual(bad._tag === "ValidationError" && bad.field, "count")
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
