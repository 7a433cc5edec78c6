/**
 * The SDK's metrics, declared with Effect's `Metric` and recorded in Effect's
 * metric registry: sessions created, deleted and leaked at release, the
 * duration of every wait (by operation and outcome) and of every wire call (by
 * `agentbay.action` and outcome). Read them with `Metric.value` or
 * `Metric.snapshot`, export them with `@effect/opentelemetry`'s `Metrics`
 * layer, or scrape the local runtime's `/metrics` (which renders the snapshot
 * as Prometheus text). Durations are in seconds. No label ever holds a key, a
 * URL or file contents: only action and operation names, error tags and
 * HTTP statuses.
 *
 * ```ts
 * const created = yield* Metric.value(AgentBayMetrics.sessionsCreated)
 * const calls = yield* Metric.value(AgentBayMetrics.requests.tagged(["CreateMcpSession", "success"]))
 * ```
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"

/**
 * Sessions the `AgentBay` service created (`create`, `session`, `sessions`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const sessionsCreated: Metric.Metric.Counter<number> = Metric.counter("agentbay_sessions_created", {
  description: "Sessions created by the AgentBay service",
  incremental: true
})

/**
 * Sessions the `AgentBay` service deleted and saw gone (`delete`, a scope's
 * release, a reap). A delete of a session already gone does not count.
 *
 * @since 0.1.0
 * @category metrics
 */
export const sessionsDeleted: Metric.Metric.Counter<number> = Metric.counter("agentbay_sessions_deleted", {
  description: "Sessions deleted by the AgentBay service and seen gone",
  incremental: true
})

/**
 * Sessions the SDK had to delete and could not: a scope's release whose
 * delete failed (logged as a warning), or the clean-up of a create that failed
 * after the session existed. Each one may still be running: `AgentBay.reap`
 * finds the stamped ones later.
 *
 * @since 0.1.0
 * @category metrics
 */
export const sessionsLeakedAtRelease: Metric.Metric.Counter<number> = Metric.counter(
  "agentbay_sessions_leaked_at_release",
  { description: "Sessions whose release (or failed-create clean-up) could not delete them", incremental: true }
)

/**
 * The histograms' bucket bounds in seconds (5 ms to 10 minutes; the last
 * bucket is unbounded).
 *
 * @since 0.1.0
 * @category constants
 */
export const durationBoundaries: MetricBoundaries.MetricBoundaries = MetricBoundaries.fromIterable([
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
  600
])

/**
 * The label keys the SDK's metrics use.
 *
 * @since 0.1.0
 * @category constants
 */
export const labels = {
  /** The wire action (`CreateMcpSession`), as on the client span. */
  action: "agentbay.action",
  /** The wait loop's span name (`AgentBay.waitUntilGone`). */
  operation: "agentbay.operation",
  /** `success`, the failure's `_tag` (`NotFound`, `WaitTimeout`, ...), `interrupted` or `defect`. */
  outcome: "outcome"
} as const

/**
 * How long each wait (poll loop) took, in seconds, labelled with
 * `agentbay.operation` and `outcome` (read it through `waits`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const waitDuration = Metric.histogram(
  "agentbay_wait_duration_seconds",
  durationBoundaries,
  "How long the SDK's waits (poll loops) took, by operation and outcome"
)

/**
 * How long each wire call took, in seconds, retries included, labelled with
 * `agentbay.action` and `outcome` (read it through `requests`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const requestDuration = Metric.histogram(
  "agentbay_request_duration_seconds",
  durationBoundaries,
  "How long the SDK's wire calls took (retries included), by action and outcome"
)

/**
 * What an exit counts as in the `outcome` label: `success`, the typed
 * failure's `_tag`, `interrupted`, or `defect`.
 *
 * @since 0.1.0
 * @category utils
 */
export const outcome = (exit: Exit.Exit<unknown, unknown>): string => {
  if (Exit.isSuccess(exit)) return "success"
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const error = failure.value
    return typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
      ? (error as { _tag: string })._tag
      : "failure"
  }
  return Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect"
}

/**
 * A metric with a fixed list of label keys, recorded under label values.
 *
 * @since 0.1.0
 * @category models
 */
export interface Labelled<Type, In, Out> {
  readonly keys: ReadonlyArray<string>
  /** The metric under these values (one per key, in order): what `Metric.value` reads. */
  readonly tagged: (values: ReadonlyArray<string>) => Metric.Metric<Type, In, Out>
  /** Records `input` under these values, plus the fiber's metric labels (`Effect.tagMetrics`). */
  readonly update: (values: ReadonlyArray<string>, input: In) => Effect.Effect<void>
}

/**
 * `metric` under the label `keys`, for values from a small, bounded set (an
 * action name, an outcome, a status): never pass values a caller chooses
 * freely, as each combination is a series kept for the process's lifetime.
 * The labels of each combination are built once and reused, so recording is a
 * lookup, not a new metric key per update (`Metric.tagged` per call would be).
 *
 * @since 0.1.0
 * @category constructors
 */
export const labelled = <Type, In, Out>(
  metric: Metric.Metric<Type, In, Out>,
  keys: ReadonlyArray<string>
): Labelled<Type, In, Out> => {
  const cache = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  const labelsOf = (values: ReadonlyArray<string>) => {
    const id = values.join("\u0000")
    let found = cache.get(id)
    if (found === undefined) {
      found = keys.map((key, i) => MetricLabel.make(key, values[i] ?? ""))
      cache.set(id, found)
    }
    return found
  }
  return {
    keys,
    tagged: (values) => Metric.taggedWithLabels(metric, labelsOf(values)),
    update: (values, input) =>
      Effect.withFiberRuntime((fiber) => {
        const own = labelsOf(values)
        const extra = fiber.getFiberRef(FiberRef.currentMetricLabels)
        // The same array each time: Effect's metric finds its series by the array's identity.
        metric.unsafeUpdate(input, extra.length === 0 ? own : Arr.union(own, extra))
        return Effect.void
      })
  }
}

/**
 * `requestDuration` by `[action, outcome]`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const requests = labelled(requestDuration, [labels.action, labels.outcome])

/**
 * `waitDuration` by `[operation, outcome]`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const waits = labelled(waitDuration, [labels.operation, labels.outcome])
