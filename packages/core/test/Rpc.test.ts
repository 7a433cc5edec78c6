// What the wire client's hot path (internal/rpc.ts, `bounded`) relies on in
// Effect, pinned so that an Effect upgrade that changes it fails here, loudly,
// instead of silently taking the slower fallback: the live clock is recognised
// by its `sleep`; the raw timer bounds an attempt as Effect.timeoutFail would
// (fails on time, interrupts the attempt, stops with the caller); `enter` runs
// in the attempt's own fiber.
import * as Rpc from "@effect-agentbay/core/internal/rpc"
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as TestClock from "effect/TestClock"

const ms = Duration.millis

describe("rpc: the live clock", () => {
  it.live("the default Clock service is recognised as live (its sleep is the prototype's)", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      assert.isTrue(
        Rpc.isLiveClock(clock),
        "Effect's default Clock no longer shares `sleep`: update Rpc.isLiveClock, or the hot path loses its timer"
      )
      assert.strictEqual(Clock.make().sleep, Clock.make().sleep)
    }))

  it.effect("a TestClock is not live, and bounded follows it", () =>
    Effect.gen(function*() {
      assert.isFalse(Rpc.isLiveClock(yield* Effect.clock))
      const fiber = yield* Effect.fork(
        Effect.flip(Rpc.bounded(Effect.never, { duration: ms(500), onTimeout: () => "late" }))
      )
      yield* TestClock.adjust(ms(499))
      assert.strictEqual((yield* Fiber.poll(fiber))._tag, "None")
      yield* TestClock.adjust(ms(1))
      assert.strictEqual(yield* Fiber.join(fiber), "late")
    }))
})

describe("rpc: bounded on the live clock (the raw timer)", () => {
  it.live("fails with onTimeout on time and interrupts the attempt first", () =>
    Effect.gen(function*() {
      let interrupted = false
      const attempt = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))))
      const start = Date.now()
      const e = yield* Effect.flip(Rpc.bounded(attempt, { duration: ms(40), onTimeout: () => "timeout" as const }))
      const elapsed = Date.now() - start
      assert.strictEqual(e, "timeout")
      assert.isTrue(interrupted, "the attempt was interrupted before the failure")
      assert.isAtLeast(elapsed, 35)
      assert.isBelow(elapsed, 2_000)
    }))

  it.live("an attempt that ends in time gives its own exit", () =>
    Effect.gen(function*() {
      const ok = yield* Rpc.bounded(Effect.as(Effect.sleep(ms(5)), "done"), {
        duration: ms(1_000),
        onTimeout: () => "t"
      })
      assert.strictEqual(ok, "done")
      const e = yield* Effect.flip(Rpc.bounded(Effect.fail("boom"), { duration: ms(1_000), onTimeout: () => "t" }))
      assert.strictEqual(e, "boom")
    }))

  it.live("interrupting the caller interrupts the attempt and the timer never fires", () =>
    Effect.gen(function*() {
      let interrupted = false
      let timedOut = 0
      const attempt = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => (interrupted = true))))
      const fiber = yield* Effect.fork(Rpc.bounded(attempt, { duration: ms(30), onTimeout: () => ++timedOut }))
      yield* Effect.sleep(ms(5))
      yield* Fiber.interrupt(fiber)
      assert.isTrue(interrupted)
      yield* Effect.sleep(ms(60))
      assert.strictEqual(timedOut, 0)
    }))

  it.live("enter runs in the attempt's own fiber: what it sets is seen there, never by the caller", () =>
    Effect.gen(function*() {
      const ref = FiberRef.unsafeMake("caller")
      const seen = yield* Rpc.bounded(FiberRef.get(ref), {
        duration: ms(1_000),
        onTimeout: () => "t",
        enter: FiberRef.set(ref, "attempt")
      })
      assert.strictEqual(seen, "attempt")
      assert.strictEqual(yield* FiberRef.get(ref), "caller")
    }))
})
