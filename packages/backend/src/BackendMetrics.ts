/**
 * The backend's own metrics, the server's side of the wire, declared with
 * Effect's `Metric`: requests by action and HTTP status and their duration
 * (recorded by `BackendRuntime.handle` for every request it answers), and the
 * stored sessions by status (a gauge, set by whoever reports it: the local
 * runtime's `/metrics` sets it at each scrape from `BackendStore`). Labels hold
 * only declared action names (anything else is `unknown`), HTTP statuses and
 * session statuses: never a key, a field's value or a URL.
 *
 * @since 0.1.0
 */
import * as AgentBayMetrics from "@effect-agentbay/core/AgentBayMetrics"
import { SessionStatus } from "@effect-agentbay/core/SessionStatus"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { Reply } from "./BackendRuntime.js"
import { BackendStore } from "./BackendStore.js"

/**
 * Requests answered, labelled `agentbay.action` and `status` (HTTP).
 *
 * @since 0.1.0
 * @category metrics
 */
export const requests = AgentBayMetrics.labelled(
  Metric.counter("agentbay_server_requests", {
    description: "Requests the backend answered, by action and HTTP status",
    incremental: true
  }),
  [AgentBayMetrics.labels.action, "status"]
)

/**
 * How long the backend took to answer, in seconds, labelled `agentbay.action`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const requestDuration = AgentBayMetrics.labelled(
  Metric.histogram(
    "agentbay_server_request_duration_seconds",
    AgentBayMetrics.durationBoundaries,
    "How long the backend took to answer a request, by action"
  ),
  [AgentBayMetrics.labels.action]
)

/**
 * Sessions stored, labelled `status`: set by `recordSessions`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const sessions = AgentBayMetrics.labelled(
  Metric.gauge("agentbay_server_sessions", { description: "Sessions stored by the backend, by status" }),
  ["status"]
)

/**
 * The label value of requests whose action is not one the backend declares
 * (missing, misspelt, or one it does not implement).
 *
 * @since 0.1.0
 * @category constants
 */
export const unknownAction = "unknown"

/**
 * Times one answer into `requests` and `requestDuration` under `action`
 * (which the caller bounds: a declared name or `unknownAction`).
 *
 * @since 0.1.0
 * @category utils
 */
export const observe = (action: string, self: Effect.Effect<Reply>): Effect.Effect<Reply> =>
  Effect.clockWith((clock) => {
    const start = clock.unsafeCurrentTimeNanos()
    return Effect.tap(self, (reply) =>
      Effect.zipRight(
        requests.update([action, String(reply.status)], 1),
        requestDuration.update([action], Number(clock.unsafeCurrentTimeNanos() - start) / 1e9)
      ))
  })

/**
 * Sets the `sessions` gauge of every status from the store (counts as the
 * store keeps them, each capped at `BackendStore.maxCount`; a transition due
 * but not yet settled counts in its old status).
 *
 * @since 0.1.0
 * @category utils
 */
export const recordSessions: Effect.Effect<void, never, BackendStore> = Effect.flatMap(
  BackendStore,
  (store) =>
    Effect.forEach(SessionStatus.literals, (status) =>
      Effect.flatMap(
        store.listSessions({ labels: {}, status, exclude: [], after: 0, limit: 0 }),
        (page) => sessions.update([status], page.total)
      ), { discard: true })
)
