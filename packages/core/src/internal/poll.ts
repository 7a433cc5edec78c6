// The one polling helper. Internal: not exported from the package.
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { WaitTimeout } from "../AgentBayError.js"

/**
 * Runs `self` at once, then every `interval`, until `done(value, elapsed)` holds,
 * and returns that value. Once `timeout` has passed it fails with `WaitTimeout`
 * (carrying `lastStatus` of the last value seen, if any). Interrupting the caller
 * stops the polling. The whole loop is one span, `span`, with the session id and
 * target as attributes.
 */
export const pollUntil = <A, E, R>(self: Effect.Effect<A, E, R>, options: {
  readonly span: string
  readonly sessionId: string
  readonly target: string
  readonly done: (value: A, elapsed: Duration.Duration) => boolean
  readonly interval: Duration.DurationInput
  readonly timeout: Duration.DurationInput
  readonly lastStatus?: ((value: A) => string) | undefined
}): Effect.Effect<A, E | WaitTimeout, R> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const last = yield* Ref.make(Option.none<A>())
    const until = (a: A) => Effect.map(Clock.currentTimeMillis, (now) => options.done(a, Duration.millis(now - start)))
    const polled = Effect.tap(self, (a) => Ref.set(last, Option.some(a))).pipe(
      Effect.repeat({ schedule: Schedule.spaced(options.interval), until }),
      Effect.zipRight(Ref.get(last)),
      Effect.map(Option.getOrThrow) // a completed repeat has run `self` at least once
    )
    return yield* Effect.flatten(Effect.timeoutTo(polled, {
      duration: options.timeout,
      onSuccess: (a): Effect.Effect<A, WaitTimeout> => Effect.succeed(a),
      onTimeout: () =>
        Effect.flatMap(Ref.get(last), (l) =>
          Effect.fail(
            new WaitTimeout({
              sessionId: options.sessionId,
              target: options.target,
              timeout: Duration.format(Duration.decode(options.timeout)),
              lastStatus: options.lastStatus === undefined ? undefined : Option.getOrUndefined(Option.map(l, options.lastStatus))
            })
          ))
    }))
  }).pipe(
    Effect.withSpan(options.span, {
      attributes: {
        "agentbay.session_id": options.sessionId,
        "agentbay.wait.target": options.target,
        "agentbay.wait.interval_ms": Duration.toMillis(options.interval),
        "agentbay.wait.timeout_ms": Duration.toMillis(options.timeout)
      }
    })
  )
