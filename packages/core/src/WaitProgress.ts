/**
 * Progress of the SDK's waits (pause, resume, delete, context sync, ...): a
 * callback each wait calls after every poll, with the status it saw and the
 * time since the wait began, e.g. to show a progress line in a terminal.
 *
 * The callback is read from the context of the call that waits, so it can be
 * given around any program:
 *
 * ```ts
 * bay.betaPauseAsync(id).pipe(
 *   WaitProgress.withReporter((p) => Console.error(`${p.id}: ${p.status} after ${Duration.format(p.elapsed)}`))
 * )
 * ```
 *
 * Unset (the default) it costs nothing: a wait then polls exactly as it would
 * without this module. A reporter never changes what a wait does or returns;
 * it runs between two polls (keep it quick), and a defect in it is ignored.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"

import type { Resource } from "./AgentBayError.js"

/**
 * What one poll of a wait saw.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  /**
   * The wait, as its span is named: `AgentBay.waitForStatus` (pause and
   * resume), `AgentBay.waitUntilGone` (delete), `AgentBay.waitForContextSync`, ...
   */
  readonly operation: string
  readonly resource: Resource
  readonly id: string
  /** What the wait waits for, e.g. `PAUSED`, `FINISH`, `context sync`. */
  readonly target: string
  /** The status this poll saw, for waits on a status (pause, resume, delete); else undefined. */
  readonly status: string | undefined
  /** 1 for the first poll, which a wait makes at once. */
  readonly attempt: number
  /** Since the wait began, on the `Clock`, measured when this poll answered. */
  readonly elapsed: Duration.Duration
}

/**
 * The callback of the waits.
 *
 * @since 0.1.0
 * @category models
 */
export type Reporter = (progress: Progress) => Effect.Effect<void>

/**
 * The default reporter: does nothing (and a wait under it skips reporting altogether).
 *
 * @since 0.1.0
 * @category constants
 */
export const none: Reporter = () => Effect.void

/**
 * The reporter the waits of the current fiber call: `none` unless one is given.
 *
 * @since 0.1.0
 * @category tags
 */
export class WaitProgress extends Context.Reference<WaitProgress>()("@effect-agentbay/core/WaitProgress", {
  defaultValue: (): Reporter => none
}) {}

/**
 * Runs `self` with `reporter` called by every wait in it.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withReporter: {
  (reporter: Reporter): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, reporter: Reporter): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, reporter: Reporter): Effect.Effect<A, E, R> =>
    Effect.provideService(self, WaitProgress, reporter)
)

/**
 * The reporter for every wait of the effects this layer is provided to.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (reporter: Reporter): Layer.Layer<WaitProgress> => Layer.succeed(WaitProgress, reporter)
