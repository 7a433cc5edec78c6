// WaitProgress: the waits report each poll (status, attempt, elapsed on the
// Clock) to the reporter in effect, and behave exactly the same without one.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as WaitProgress from "@effect-agentbay/core/WaitProgress"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

const timed = AgentBayTest.layer({ transitionDelay: "5 seconds" })

/** A reporter that records what it is told. */
const recorder = Effect.map(Ref.make<ReadonlyArray<WaitProgress.Progress>>([]), (seen) => ({
  seen: Ref.get(seen),
  reporter: (p: WaitProgress.Progress) => Ref.update(seen, (all) => [...all, p])
}))

/** Runs `self` in a fiber and moves the TestClock until it is done. */
const settle = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust("30 seconds")
    return yield* Fiber.join(fiber)
  })

const times = (method: AgentBayTest.Method) =>
  Effect.flatMap(AgentBayTest.Backend, (b) => Effect.map(b.calls(method), (cs) => cs.map((c) => c.at)))

describe("WaitProgress", () => {
  it.effect("a pause reports RUNNING -> PAUSING -> PAUSED, elapsed growing poll by poll", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const { reporter, seen } = yield* recorder
      // RUNNING is the state the pause starts from; the wait polls after the submit.
      assert.strictEqual((yield* bay.get(s)).status, "RUNNING")
      const paused = yield* settle(bay.betaPauseAsync(s).pipe(WaitProgress.withReporter(reporter)))
      assert.strictEqual(paused.status, "PAUSED")
      const reports = yield* seen
      // Cloud waits: a poll at once, then every 2 s; the transition settles at 5 s.
      assert.deepStrictEqual(reports.map((p) => p.status), ["PAUSING", "PAUSING", "PAUSING", "PAUSED"])
      assert.deepStrictEqual(reports.map((p) => p.attempt), [1, 2, 3, 4])
      assert.deepStrictEqual(reports.map((p) => Duration.toMillis(p.elapsed)), [0, 2000, 4000, 6000])
      for (const p of reports) {
        assert.deepStrictEqual([p.operation, p.resource, p.id, p.target], [
          "AgentBay.waitForStatus",
          "Session",
          s.id,
          "PAUSED"
        ])
      }
    }).pipe(Effect.provide(timed)))

  it.effect("a resume and a delete report their own targets", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      yield* settle(bay.betaPauseAsync(s))
      const { reporter, seen } = yield* recorder
      yield* settle(Effect.zipRight(bay.betaResumeAsync(s), bay.delete(s)).pipe(WaitProgress.withReporter(reporter)))
      const reports = yield* seen
      const resume = reports.filter((p) => p.operation === "AgentBay.waitForStatus")
      const del = reports.filter((p) => p.operation === "AgentBay.waitUntilGone")
      assert.deepStrictEqual(resume.map((p) => [p.target, p.status]), [
        ["RUNNING", "RESUMING"],
        ["RUNNING", "RESUMING"],
        ["RUNNING", "RESUMING"],
        ["RUNNING", "RUNNING"]
      ])
      // Delete polls GetSessionDetail every second until FINISH (5 s after the request).
      assert.deepStrictEqual(del.map((p) => p.status), [
        "DELETING",
        "DELETING",
        "DELETING",
        "DELETING",
        "DELETING",
        "FINISH"
      ])
      assert.deepStrictEqual(del.map((p) => Duration.toMillis(p.elapsed)), [0, 1000, 2000, 3000, 4000, 5000])
      assert.strictEqual(reports.length, resume.length + del.length)
    }).pipe(Effect.provide(timed)))

  it.effect("without a reporter the waits poll exactly as with one", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const a = yield* bay.create()
      yield* settle(bay.betaPauseAsync(a))
      const plain = yield* times("getSession")
      const { reporter, seen } = yield* recorder
      const b = yield* bay.create()
      yield* settle(bay.betaPauseAsync(b).pipe(WaitProgress.withReporter(reporter)))
      const start = 30_000 // the second pause starts after the first settle's 30 s
      const reported = (yield* times("getSession")).slice(plain.length).map((t) => t - start)
      assert.deepStrictEqual(reported, plain)
      assert.strictEqual((yield* seen).length, plain.length - 1) // every poll; the state check is not one
    }).pipe(Effect.provide(timed)))

  it.effect("a reporter that dies changes nothing; outside withReporter nothing is reported", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const broken: WaitProgress.Reporter = () => Effect.dieMessage("reporter bug")
      const paused = yield* settle(bay.betaPauseAsync(s).pipe(WaitProgress.withReporter(broken)))
      assert.strictEqual(paused.status, "PAUSED")
      const { reporter, seen } = yield* recorder
      yield* Effect.provide(Effect.void, WaitProgress.layer(reporter))
      yield* settle(bay.betaResumeAsync(s))
      assert.deepStrictEqual(yield* seen, [])
      const layered = yield* settle(bay.delete(s).pipe(Effect.provide(WaitProgress.layer(reporter))))
      assert.strictEqual(layered, undefined)
      assert.deepStrictEqual((yield* seen).map((p) => p.status).at(-1), "FINISH")
    }).pipe(Effect.provide(timed)))
})
