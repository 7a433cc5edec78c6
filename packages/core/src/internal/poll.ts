// The one polling helper, and how a wait's options resolve against the
// defaults a layer carries. Internal: not exported from the package.
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"

import { ValidationError, WaitTimeout } from "../AgentBayError.js"
import { timedWait } from "./agentBayMetrics.js"
import { observe } from "./waitProgress.js"

/**
 * How a wait polls: first poll at once, then as `schedule` says, until `timeout`.
 * `interval` is a shorthand for `Schedule.spaced(interval)`.
 */
export interface WaitOptions {
  readonly interval?: Duration.DurationInput | undefined
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/** A wait as it runs: the spacing after the first poll and the bound. */
export interface Wait {
  readonly schedule: Schedule.Schedule<unknown, unknown>
  readonly timeout: Duration.Duration
  /** The spacing in milliseconds, when it is a fixed interval (for the span). */
  readonly intervalMillis: number | undefined
}

const positive = (operation: string, field: string, value: Duration.DurationInput) => {
  const d = Duration.decodeUnknown(value)
  return Option.isSome(d) && Duration.greaterThan(d.value, Duration.zero)
    ? Effect.succeed(d.value)
    : Effect.fail(new ValidationError({ operation, field, reason: "must be a positive duration" }))
}

/**
 * The wait a call asked for, field by field over `defaults`: its `schedule` or
 * `interval` (not both) replaces the default spacing, its `timeout` the default bound.
 */
export const resolveWait = (
  operation: string,
  options: WaitOptions,
  defaults: WaitOptions,
  prefix = ""
): Effect.Effect<Wait, ValidationError> =>
  Effect.gen(function*() {
    const field = (name: string) => prefix === "" ? name : `${prefix}.${name}`
    if (options.schedule !== undefined && options.interval !== undefined) {
      return yield* new ValidationError({
        operation,
        field: field("schedule"),
        reason: "cannot be combined with interval"
      })
    }
    const own = options.schedule !== undefined || options.interval !== undefined
    const spacing = own ? options : defaults
    const timeout = yield* positive(operation, field("timeout"), options.timeout ?? defaults.timeout ?? "60 seconds")
    if (spacing.schedule !== undefined) {
      return { schedule: spacing.schedule, timeout, intervalMillis: undefined }
    }
    const interval = yield* positive(operation, field("interval"), spacing.interval ?? "1 second")
    return { schedule: Schedule.spaced(interval), timeout, intervalMillis: Duration.toMillis(interval) }
  })

/**
 * Runs `self` at once, then on `wait.schedule`, until `done(value, elapsed)`
 * holds, and returns that value. Once `wait.timeout` has passed it fails with
 * `WaitTimeout` (carrying `lastStatus` of the last value seen, if any).
 * Interrupting the caller stops the polling. The whole loop is one span,
 * `span`, with the resource id and target as attributes.
 */
export const pollUntil = <A, E, R>(self: Effect.Effect<A, E, R>, options: {
  readonly span: string
  readonly resource?: "Session" | "Context" | "Volume" | undefined
  readonly id: string
  readonly target: string
  readonly done: (value: A, elapsed: Duration.Duration) => boolean
  readonly wait: Wait
  readonly lastStatus?: ((value: A) => string) | undefined
}): Effect.Effect<A, E | WaitTimeout, R> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const last = yield* Ref.make(Option.none<A>())
    const until = (a: A) => Effect.map(Clock.currentTimeMillis, (now) => options.done(a, Duration.millis(now - start)))
    const observed = yield* observe(self, options, start) // reports each poll to the WaitProgress in effect
    const polled = Effect.tap(observed, (a) => Ref.set(last, Option.some(a))).pipe(
      Effect.repeat({ schedule: options.wait.schedule, until }),
      Effect.zipRight(Ref.get(last)),
      Effect.map(Option.getOrThrow) // a completed repeat has run `self` at least once
    )
    return yield* Effect.flatten(Effect.timeoutTo(polled, {
      duration: options.wait.timeout,
      onSuccess: (a): Effect.Effect<A, WaitTimeout> => Effect.succeed(a),
      onTimeout: () =>
        Effect.flatMap(Ref.get(last), (l) =>
          Effect.fail(
            new WaitTimeout({
              resource: options.resource ?? "Session",
              id: options.id,
              target: options.target,
              timeout: Duration.format(options.wait.timeout),
              lastStatus: options.lastStatus === undefined
                ? undefined
                : Option.getOrUndefined(Option.map(l, options.lastStatus))
            })
          ))
    }))
  }).pipe(
    (loop) => timedWait(options.span, loop), // AgentBayMetrics.waitDuration, by operation and outcome
    Effect.withSpan(options.span, {
      attributes: {
        [(options.resource ?? "Session") === "Session" ? "agentbay.session_id" : "agentbay.resource_id"]: options.id,
        "agentbay.wait.target": options.target,
        ...(options.wait.intervalMillis === undefined
          ? {}
          : { "agentbay.wait.interval_ms": options.wait.intervalMillis }),
        "agentbay.wait.timeout_ms": Duration.toMillis(options.wait.timeout)
      }
    })
  )
