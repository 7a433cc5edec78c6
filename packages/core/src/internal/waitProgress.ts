// How a wait reports its polls to the `WaitProgress` reporter in effect.
// Internal: pollUntil (internal/poll.ts) is the only caller.
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

import type { Resource } from "../AgentBayError.js"
import { none, WaitProgress } from "../WaitProgress.js"

/** What a wait tells about itself. */
export interface Observed<A> {
  readonly span: string
  readonly resource?: Resource | undefined
  readonly id: string
  readonly target: string
  readonly lastStatus?: ((value: A) => string) | undefined
}

/**
 * `self` as the wait should poll it: unchanged when no reporter is set (the
 * default), else followed by a report of what it returned. `start` is when the
 * wait began (Clock milliseconds). A defect of the reporter is ignored, so a
 * reporter never changes the wait.
 */
export const observe = <A, E, R>(
  self: Effect.Effect<A, E, R>,
  wait: Observed<A>,
  start: number
): Effect.Effect<Effect.Effect<A, E, R>> =>
  Effect.map(WaitProgress, (report) => {
    if (report === none) return self
    let attempt = 0 // one wait's polls run one after another
    return Effect.tap(self, (value) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        report({
          operation: wait.span,
          resource: wait.resource ?? "Session",
          id: wait.id,
          target: wait.target,
          status: wait.lastStatus?.(value),
          attempt: ++attempt,
          elapsed: Duration.millis(now - start)
        }).pipe(Effect.catchAllDefect(() => Effect.void))))
  })
