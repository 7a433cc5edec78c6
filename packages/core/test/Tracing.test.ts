// Spans: one per public operation, one per wait loop (under it), one per wire call (under the loop).
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

import { recordingTracer } from "./tracing.js"

it.effect("betaPauseAsync: an operation span with the poll loop's span inside it", () =>
  Effect.gen(function*() {
    const { spans, tracer } = recordingTracer()
    const bay = yield* AgentBay
    const s = yield* bay.create()
    const fiber = yield* Effect.fork(bay.betaPauseAsync(s, { interval: "1 second" }).pipe(Effect.withTracer(tracer)))
    yield* TestClock.adjust("5 seconds")
    yield* Fiber.join(fiber)

    const op = spans.find((x) => x.name === "AgentBay.betaPauseAsync")
    const loop = spans.find((x) => x.name === "AgentBay.waitForStatus")
    assert.isDefined(op)
    assert.isDefined(loop)
    assert.strictEqual(Option.getOrThrow(loop!.parent).spanId, op!.spanId)
    assert.strictEqual(loop!.attributes.get("agentbay.session_id"), s.id)
    assert.strictEqual(loop!.attributes.get("agentbay.wait.target"), "PAUSED")
    assert.strictEqual(loop!.attributes.get("agentbay.wait.interval_ms"), 1000)
    assert.strictEqual(loop!.status._tag, "Ended")
  }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "3 seconds" }))))

it.effect("delete: the wait-until-gone loop is its own span", () =>
  Effect.gen(function*() {
    const { spans, tracer } = recordingTracer()
    const bay = yield* AgentBay
    const s = yield* bay.create()
    const fiber = yield* Effect.fork(bay.delete(s).pipe(Effect.withTracer(tracer)))
    yield* TestClock.adjust("5 seconds")
    yield* Fiber.join(fiber)
    const op = spans.find((x) => x.name === "AgentBay.delete")
    const loop = spans.find((x) => x.name === "AgentBay.waitUntilGone")
    assert.isDefined(op)
    assert.isDefined(loop)
    assert.strictEqual(Option.getOrThrow(loop!.parent).spanId, op!.spanId)
    assert.strictEqual(loop!.attributes.get("agentbay.wait.timeout_ms"), 300_000)
  }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "3 seconds" }))))
