// The README's testing example, verbatim, so the README cannot drift from what works.
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

it.effect("my job never leaks a session, even when pausing fails", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const backend = yield* AgentBayTest.Backend
    yield* backend.failNext("pauseSessionAsync", new TransportError({ action: "PauseSessionAsync", reason: "Network" }))
    const job = Effect.scoped(Effect.flatMap(bay.session(), (s) => bay.betaPauseAsync(s)))
    const fiber = yield* Effect.fork(Effect.exit(job))
    yield* TestClock.adjust("1 minute")            // time moves only when the test says so
    yield* Fiber.join(fiber)
    assert.deepStrictEqual(yield* backend.liveSessions, [])
    assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 1) // writes are never retried
  }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "3 seconds" }))))
