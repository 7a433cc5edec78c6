// The SDK's metrics after workflows on the fake: each counter and histogram
// moved by what happened (read as deltas: the registry is the process's).
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import * as AgentBayMetrics from "@effect-agentbay/core/AgentBayMetrics"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import type * as MetricState from "effect/MetricState"
import * as TestClock from "effect/TestClock"

const counters = Effect.all({
  created: Metric.value(AgentBayMetrics.sessionsCreated),
  deleted: Metric.value(AgentBayMetrics.sessionsDeleted),
  leaked: Metric.value(AgentBayMetrics.sessionsLeakedAtRelease)
})

const histogram = (metric: Metric.Metric<any, any, MetricState.MetricState.Histogram>) =>
  Effect.map(Metric.value(metric), (s) => ({ count: s.count, sum: s.sum }))

// How `self` moved the counters and the histogram `metric`.
const moved = <A, E, R>(
  metric: Metric.Metric<any, any, MetricState.MetricState.Histogram>,
  self: Effect.Effect<A, E, R>
) =>
  Effect.gen(function*() {
    const [c0, h0] = [yield* counters, yield* histogram(metric)]
    const exit = yield* Effect.exit(self)
    const [c1, h1] = [yield* counters, yield* histogram(metric)]
    return {
      exit,
      created: c1.created.count - c0.created.count,
      deleted: c1.deleted.count - c0.deleted.count,
      leaked: c1.leaked.count - c0.leaked.count,
      count: h1.count - h0.count,
      sum: h1.sum - h0.sum
    }
  })

const quiet = Logger.replace(Logger.defaultLogger, Logger.none)

describe("AgentBayMetrics", () => {
  it.effect("a scoped session counts one created and one deleted, and one wait until gone", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const gone = AgentBayMetrics.waits.tagged(["AgentBay.waitUntilGone", "success"])
      const m = yield* moved(gone, Effect.scoped(bay.session()))
      assert.isTrue(Exit.isSuccess(m.exit))
      assert.deepStrictEqual([m.created, m.deleted, m.leaked, m.count], [1, 1, 0, 1])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("every wire call is one request, by action and outcome", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const tools = AgentBayMetrics.requests.tagged(["CallMcpTool", "success"])
      const before = yield* backend.callCount("callMcpTool")
      const m = yield* moved(
        tools,
        Effect.scoped(Effect.flatMap(bay.session(), (s) =>
          Effect.zipRight(
            s.filesystem.writeFile("/tmp/a.txt", "a"),
            s.filesystem.readFile("/tmp/a.txt")
          )))
      )
      assert.isTrue(Exit.isSuccess(m.exit))
      const calls = (yield* backend.callCount("callMcpTool")) - before
      assert.isAbove(calls, 1)
      assert.strictEqual(m.count, calls) // one observation per call, none per attempt or span
      const created = yield* histogram(AgentBayMetrics.requests.tagged(["CreateMcpSession", "success"]))
      assert.isAtLeast(created.count, 1)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a failed call's outcome is its error's tag", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const notFound = AgentBayMetrics.requests.tagged(["GetSession", "NotFound"])
      const m = yield* moved(notFound, bay.get("no-such-session"))
      assert.isTrue(Exit.isFailure(m.exit))
      assert.strictEqual(m.count, 1) // not retried: one call, one observation
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a wait that times out is timed on the clock, with outcome WaitTimeout", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const s = yield* bay.create()
      const timedOut = AgentBayMetrics.waits.tagged(["AgentBay.waitForStatus", "WaitTimeout"])
      const m = yield* moved(
        timedOut,
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(bay.betaPauseAsync(s, { interval: "1 second", timeout: "5 seconds" }))
          yield* TestClock.adjust("10 seconds")
          return yield* Fiber.join(fiber)
        })
      )
      assert.isTrue(Exit.isFailure(m.exit))
      assert.strictEqual(m.count, 1)
      assert.strictEqual(m.sum, 5) // seconds on the TestClock
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "1 hour" }))))

  it.effect("a release that cannot delete its session counts one leaked, not deleted", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const gone = AgentBayMetrics.waits.tagged(["AgentBay.waitUntilGone", "success"])
      const m = yield* moved(
        gone,
        Effect.scoped(Effect.tap(bay.session(), () =>
          backend.failNext(
            "deleteSessionAsync",
            new TransportError({ action: "DeleteSessionAsync", reason: "Network" })
          )))
      )
      assert.isTrue(Exit.isSuccess(m.exit)) // the release never fails the scope
      assert.deepStrictEqual([m.created, m.deleted, m.leaked, m.count], [1, 0, 1, 0])
      assert.strictEqual((yield* backend.liveSessions).length, 1)
    }).pipe(Effect.provide(AgentBayTest.layer()), Effect.provide(quiet)))

  it.effect("the fiber's metric labels (Effect.tagMetrics) are added to the request's", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const tenant = AgentBayMetrics.requests.tagged(["CreateMcpSession", "success"]).pipe(
        Metric.tagged("tenant", "t-1")
      )
      const m = yield* moved(tenant, bay.create().pipe(Effect.tagMetrics("tenant", "t-1")))
      assert.isTrue(Exit.isSuccess(m.exit))
      assert.strictEqual(m.count, 1)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it("outcome names success, the error's tag, interruption and defects", () => {
    assert.strictEqual(AgentBayMetrics.outcome(Exit.succeed(1)), "success")
    const network = new TransportError({ action: "X", reason: "Network" })
    assert.strictEqual(AgentBayMetrics.outcome(Exit.fail(network)), "TransportError")
    assert.strictEqual(AgentBayMetrics.outcome(Exit.fail("plain")), "failure")
    assert.strictEqual(AgentBayMetrics.outcome(Exit.interrupt(FiberId.none)), "interrupted")
    assert.strictEqual(AgentBayMetrics.outcome(Exit.die(new Error("bug"))), "defect")
  })
})
