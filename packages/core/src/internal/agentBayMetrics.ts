// What the SDK records about its own work, besides the spans it opens: the
// client span's per-call attributes (the session a request names, the request
// id of the answer) and the metrics of AgentBayMetrics (request and wait
// durations). Internal: AgentBayMetrics.ts is the public surface.
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import type * as Tracer from "effect/Tracer"

import * as AgentBayMetrics from "../AgentBayMetrics.js"

const seconds = (from: bigint, to: bigint) => Number(to - from) / 1e9

// The `RequestId` of an answer: the envelope's on success; on failure, the
// error's (ApiError, AuthError, DecodeError, and the NotFound/InvalidState
// mapped from a code carry it).
const requestIdOf = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  let value: unknown
  if (Exit.isSuccess(exit)) {
    value = (exit.value as { readonly envelope?: { readonly RequestId?: unknown } } | undefined)?.envelope?.RequestId
  } else {
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") value = (failure.value as { readonly requestId?: unknown } | undefined)?.requestId
  }
  return typeof value === "string" && value !== "" ? value : undefined
}

/**
 * One wire call, observed: its duration goes to `requestDuration` under its
 * action and outcome (once per call, retries included), and the request id of
 * its answer, when there is one, to the current span (the client span, as
 * this runs inside it) as `agentbay.request_id`. One step at the end, on the
 * fiber itself (`Effect.annotateCurrentSpan` would add three).
 */
export const observeCall = <A, E>(action: string, self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    return Effect.onExit(self, (exit) =>
      Effect.withFiberRuntime((fiber) => {
        const requestId = requestIdOf(exit)
        const span = fiber.currentSpan
        if (requestId !== undefined && span !== undefined && span._tag === "Span") {
          span.attribute("agentbay.request_id", requestId)
        }
        return AgentBayMetrics.requests.update(
          [action, AgentBayMetrics.outcome(exit)],
          seconds(start, clock.unsafeCurrentTimeNanos())
        )
      }))
  })

/**
 * The client span's options for one call: the action's (`base`, built once
 * per action), plus `agentbay.session_id` when the request names a session.
 */
export const callSpan = (base: Tracer.SpanOptions, params: unknown): Tracer.SpanOptions => {
  const id = typeof params === "object" && params !== null
    ? (params as { readonly SessionId?: unknown }).SessionId
    : undefined
  return typeof id === "string" && id !== ""
    ? { ...base, attributes: { ...base.attributes, "agentbay.session_id": id } }
    : base
}

/**
 * A wait (poll loop) timed into `waitDuration` under its operation (the
 * loop's span name) and outcome.
 */
export const timedWait = <A, E, R>(operation: string, self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    return Effect.onExit(self, (exit) =>
      AgentBayMetrics.waits.update(
        [operation, AgentBayMetrics.outcome(exit)],
        seconds(start, clock.unsafeCurrentTimeNanos())
      ))
  })

/** A session the SDK had to delete and could not: counted, and logged as a warning with its cause. */
export const leaked = (message: string, cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Effect.zipRight(Metric.increment(AgentBayMetrics.sessionsLeakedAtRelease), Effect.logWarning(message, cause))

/** A session created (`sessionsCreated`). */
export const created: Effect.Effect<void> = Metric.increment(AgentBayMetrics.sessionsCreated)

/** A session deleted and seen gone (`sessionsDeleted`). */
export const deleted: Effect.Effect<void> = Metric.increment(AgentBayMetrics.sessionsDeleted)
