/**
 * The local runtime's `GET /metrics`: Effect's metric registry (`Metric.snapshot`)
 * in the Prometheus text exposition format (version 0.0.4): the server's own
 * metrics (`BackendMetrics`: requests by action and HTTP status, their
 * duration, sessions by status, refreshed at each scrape), and whatever else
 * the process records (the SDK's `AgentBayMetrics` when it runs in the same
 * process, as with `AgentBayLocal.layer()`).
 *
 * The endpoint needs a key the server accepts, sent as an
 * `Authorization: Bearer <key>` header (Prometheus: `authorization:
 * { credentials_file: ... }` in the scrape config); without one it answers the
 * 401 envelope. The text holds metric names, label values (action names,
 * statuses, outcomes) and numbers: never a key.
 *
 * @since 0.1.0
 */
import { BackendAuth } from "@effect-agentbay/backend/BackendAuth"
import * as BackendMetrics from "@effect-agentbay/backend/BackendMetrics"
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import type { BackendStore } from "@effect-agentbay/backend/BackendStore"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

/**
 * The path the server answers on.
 *
 * @since 0.1.0
 * @category constants
 */
export const path = "/metrics"

/**
 * The content type of the text format.
 *
 * @since 0.1.0
 * @category constants
 */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/** A metric or label name as Prometheus allows it (`agentbay.action` → `agentbay_action`). */
const metricName = (name: string) => {
  const clean = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[0-9]/.test(clean) ? `_${clean}` : clean
}
const labelName = (name: string) => metricName(name).replace(/:/g, "_")

const escapeValue = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")
const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

const number = (n: number | bigint): string =>
  typeof n === "bigint"
    ? n.toString()
    : Number.isNaN(n)
    ? "NaN"
    : n === Infinity
    ? "+Inf"
    : n === -Infinity
    ? "-Inf"
    : String(n)

type Labels = ReadonlyArray<readonly [string, string]>

const braces = (labels: Labels): string => {
  if (labels.length === 0) return ""
  const seen = new Set<string>()
  const parts: Array<string> = []
  for (const [key, value] of labels) {
    const name = labelName(key)
    if (seen.has(name)) continue // two keys that clean to one name: the first wins
    seen.add(name)
    parts.push(`${name}="${escapeValue(value)}"`)
  }
  return `{${parts.join(",")}}`
}

interface Family {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: Option.Option<string>
  /** Each series' samples (in the order the format wants), keyed by its labels for sorting. */
  readonly series: Array<readonly [string, ReadonlyArray<string>]>
}

// The samples of one series, and the family (name, type) they belong to.
const series = (pair: MetricPair.MetricPair.Untyped) => {
  const base = metricName(pair.metricKey.name)
  const labels: Labels = pair.metricKey.tags.map((t) => [t.key, t.value] as const)
  const state = pair.metricState
  const line = (name: string, extra: Labels, value: number | bigint) =>
    `${name}${braces([...labels, ...extra])} ${number(value)}`
  if (MetricState.isCounterState(state)) {
    const name = base.endsWith("_total") ? base : `${base}_total`
    return { name, type: "counter" as const, samples: [line(name, [], state.count)] }
  }
  if (MetricState.isGaugeState(state)) {
    return { name: base, type: "gauge" as const, samples: [line(base, [], state.value)] }
  }
  if (MetricState.isHistogramState(state)) {
    // Effect's buckets are cumulative, in ascending order, and end with +Inf.
    const samples = state.buckets.map(([le, n]) => line(`${base}_bucket`, [["le", number(le)]], n))
    if (!state.buckets.some(([le]) => le === Infinity)) {
      samples.push(line(`${base}_bucket`, [["le", "+Inf"]], state.count))
    }
    samples.push(line(`${base}_sum`, [], state.sum), line(`${base}_count`, [], state.count))
    return { name: base, type: "histogram" as const, samples }
  }
  if (MetricState.isSummaryState(state)) {
    const samples = state.quantiles.flatMap(([q, value]) =>
      Option.isSome(value) ? [line(base, [["quantile", number(q)]], value.value)] : []
    )
    samples.push(line(`${base}_sum`, [], state.sum), line(`${base}_count`, [], state.count))
    return { name: base, type: "summary" as const, samples }
  }
  if (MetricState.isFrequencyState(state)) {
    // Each word a series of a counter, labelled `key`.
    const name = base.endsWith("_total") ? base : `${base}_total`
    const samples = [...state.occurrences].map(([word, n]) => line(name, [["key", word]], n))
    return { name, type: "counter" as const, samples }
  }
  return undefined
}

const byText = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0

/**
 * A registry snapshot as Prometheus text: one `# HELP` (when the metric has a
 * description) and `# TYPE` per family, then its samples; families sorted by
 * name. Counters end in `_total`; histograms give `_bucket{le=...}`
 * (cumulative, up to `+Inf`), `_sum` and `_count`; label keys are cleaned to
 * Prometheus names (`agentbay.action` → `agentbay_action`).
 *
 * @since 0.1.0
 * @category utils
 */
export const render = (pairs: Iterable<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const pair of pairs) {
    const one = series(pair)
    if (one === undefined) continue
    const id = `${one.name} ${one.type}`
    let family = families.get(id)
    if (family === undefined) {
      family = { name: one.name, type: one.type, help: pair.metricKey.description, series: [] }
      families.set(id, family)
    }
    family.series.push([braces(pair.metricKey.tags.map((t) => [t.key, t.value] as const)), one.samples])
  }
  const out: Array<string> = []
  for (const family of [...families.values()].sort((a, b) => byText(a.name, b.name))) {
    if (Option.isSome(family.help)) out.push(`# HELP ${family.name} ${escapeHelp(family.help.value)}`)
    out.push(`# TYPE ${family.name} ${family.type}`)
    for (const [, samples] of family.series.sort(([a], [b]) => byText(a, b))) {
      for (const sample of samples) out.push(sample)
    }
  }
  return out.length === 0 ? "" : out.join("\n") + "\n"
}

/**
 * The text `/metrics` answers: the sessions gauge refreshed from the store,
 * then the registry's snapshot, rendered.
 *
 * @since 0.1.0
 * @category utils
 */
export const scrape: Effect.Effect<string, never, BackendStore> = Effect.zipRight(
  BackendMetrics.recordSessions,
  Effect.map(Metric.snapshot, render)
)

/**
 * `GET /metrics`, for a request with an accepted key in `Authorization: Bearer
 * <key>`; else the 401 envelope, with `WWW-Authenticate: Bearer`.
 *
 * @since 0.1.0
 * @category routers
 */
export const router: HttpRouter.HttpRouter<never, BackendAuth | BackendStore> = HttpRouter.empty.pipe(
  HttpRouter.get(
    path,
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const auth = yield* BackendAuth
      if (Option.isNone(auth.authenticate(request.headers.authorization))) {
        const reply = BackendRuntime.unauthorized()
        return HttpServerResponse.unsafeJson(reply.body, {
          status: reply.status,
          headers: { "www-authenticate": "Bearer realm=\"agentbay-local\"" }
        })
      }
      return HttpServerResponse.text(yield* scrape, { contentType })
    })
  )
)
