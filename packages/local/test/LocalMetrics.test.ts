// The local runtime's /metrics: Prometheus text rendered from Effect's metric
// registry, behind the key (Authorization header); the server's counters move
// with the requests it answers; no key, and no label a client chose freely.
import * as Wire from "@effect-agentbay/core/Wire"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalMetrics from "../src/LocalMetrics.js"
import { form, portOf, raw, type RawRequest, sandboxDouble } from "./utils.js"

const key = "akl-metrics-test-key"
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: [Redacted.make(key)], transitionDelay: 0 },
  () => sandboxDouble().layer
)

const send = (request: RawRequest) => Effect.flatMap(AgentBayLocal.Info, (info) => raw(portOf(info.endpoint), request))
const call = (action: string, fields: Record<string, string> = {}, authorization = `Bearer ${key}`) =>
  send({
    path: `/?Action=${encodeURIComponent(action)}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form({ Authorization: authorization, ...fields })
  })
const scrape = (headers: Record<string, string> = { authorization: `Bearer ${key}` }) =>
  send({ method: "GET", path: "/metrics", headers })

// One sample line: name, optional labels, value (the text format, version 0.0.4).
const sampleLine =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (NaN|[+-]Inf|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/

/** Checks every line of the text and returns its samples by `name{labels}`. */
const parse = (text: string) => {
  const samples = new Map<string, number>()
  const typed = new Map<string, string>()
  for (const line of text.split("\n").filter((l) => l !== "")) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type !== null) {
      typed.set(type[1]!, type[2]!)
      continue
    }
    if (line.startsWith("# HELP ")) continue
    const m = sampleLine.exec(line)
    assert.isNotNull(m, `not a sample line: ${line}`)
    const [, name, labels = "", value] = m!
    const family = [...typed.keys()].find((f) =>
      name === f || [`${f}_bucket`, `${f}_sum`, `${f}_count`].includes(name!)
    )
    assert.isDefined(family, `no TYPE line before ${name}`)
    samples.set(`${name}${labels}`, value === "+Inf" ? Infinity : Number(value))
  }
  return samples
}
const at = (samples: Map<string, number>, id: string) => samples.get(id) ?? 0

describe("LocalMetrics.render", () => {
  it.effect("counters, gauges, histograms and summaries in the text format", () =>
    Effect.gen(function*() {
      const prefix = "lm_render_test"
      yield* Metric.incrementBy(
        Metric.counter(`${prefix}_hits`, { description: "Hits\nsecond line" }).pipe(
          Metric.tagged("agentbay.action", "Get\"Session\\")
        ),
        3
      )
      yield* Metric.set(Metric.gauge(`${prefix}_level`), 1.5)
      const h = Metric.histogram(`${prefix}_latency`, MetricBoundaries.fromIterable([0.1, 1]), "Latency")
      yield* Effect.forEach([0.05, 0.5, 5], (v) => Metric.update(h, v))
      const summary = Metric.summary({
        name: `${prefix}_sizes`,
        maxAge: "1 minute",
        maxSize: 10,
        error: 0,
        quantiles: [0.5]
      })
      yield* Metric.update(summary, 4)
      const pairs = (yield* Metric.snapshot).filter((p) => p.metricKey.name.startsWith(prefix))
      assert.strictEqual(
        LocalMetrics.render(pairs),
        [
          "# HELP lm_render_test_hits_total Hits\\nsecond line",
          "# TYPE lm_render_test_hits_total counter",
          "lm_render_test_hits_total{agentbay_action=\"Get\\\"Session\\\\\"} 3",
          "# HELP lm_render_test_latency Latency",
          "# TYPE lm_render_test_latency histogram",
          "lm_render_test_latency_bucket{le=\"0.1\"} 1",
          "lm_render_test_latency_bucket{le=\"1\"} 2",
          "lm_render_test_latency_bucket{le=\"+Inf\"} 3",
          "lm_render_test_latency_sum 5.55",
          "lm_render_test_latency_count 3",
          "# TYPE lm_render_test_level gauge",
          "lm_render_test_level 1.5",
          "# TYPE lm_render_test_sizes summary",
          "lm_render_test_sizes{quantile=\"0.5\"} 4",
          "lm_render_test_sizes_sum 4",
          "lm_render_test_sizes_count 1",
          ""
        ].join("\n")
      )
      assert.strictEqual(LocalMetrics.render([]), "")
    }))
})

layer(Server, { excludeTestServices: true, timeout: "30 seconds" })("GET /metrics", (it) => {
  it.effect("needs an accepted key in the Authorization header", () =>
    Effect.gen(function*() {
      for (const headers of [{}, { authorization: "Bearer wrong-key" }, { authorization: key }]) {
        const res = yield* scrape(headers)
        assert.strictEqual(res.status, 401)
        assert.strictEqual(res.json.Code, Wire.Code.InvalidApiKey)
        assert.match(String(res.headers["www-authenticate"]), /^Bearer /)
        assert.notInclude(res.text, "agentbay_server")
      }
      // The key in the query, as the form API takes it, is not enough here.
      const inQuery = yield* send({
        method: "GET",
        path: `/metrics?Authorization=${encodeURIComponent(`Bearer ${key}`)}`
      })
      assert.strictEqual(inQuery.status, 401)
    }))

  it.effect("the server's counters, durations and session gauge move with the requests", () =>
    Effect.gen(function*() {
      const before = parse((yield* scrape()).text)
      const a = yield* call("CreateMcpSession")
      yield* call("CreateMcpSession")
      yield* call("GetSession", { SessionId: a.json.Data.SessionId })
      yield* call("GetSession", { SessionId: "no-such-session" })
      yield* call("CreateMcpSession", {}, "Bearer not-the-key")
      yield* call("Evil\"Action{le=\"x\"}")
      const res = yield* scrape()
      assert.strictEqual(res.status, 200)
      assert.strictEqual(res.headers["content-type"], LocalMetrics.contentType)
      const after = parse(res.text)
      const moved = (id: string) => at(after, id) - at(before, id)
      const requests = (action: string, status: number) =>
        moved(`agentbay_server_requests_total{agentbay_action="${action}",status="${status}"}`)
      assert.strictEqual(requests("CreateMcpSession", 200), 2)
      assert.strictEqual(requests("CreateMcpSession", 401), 1)
      assert.strictEqual(requests("GetSession", 200), 1)
      assert.strictEqual(requests("GetSession", 400), 1)
      assert.strictEqual(requests("unknown", 404), 1) // a name the server does not declare is never a label
      assert.notInclude(res.text, "Evil")
      const duration = "agentbay_server_request_duration_seconds"
      assert.strictEqual(moved(`${duration}_count{agentbay_action="CreateMcpSession"}`), 3)
      assert.strictEqual(
        at(after, `${duration}_bucket{agentbay_action="CreateMcpSession",le="+Inf"}`),
        at(after, `${duration}_count{agentbay_action="CreateMcpSession"}`)
      )
      assert.strictEqual(moved("agentbay_server_sessions{status=\"RUNNING\"}"), 2)
      assert.isTrue(after.has("agentbay_server_sessions{status=\"DELETED\"}")) // every status, zeros included
      assert.notInclude(res.text, key)
    }))

  it.effect("histogram buckets are cumulative up to +Inf", () =>
    Effect.gen(function*() {
      yield* call("ListMcpTools")
      const samples = parse((yield* scrape()).text)
      const buckets = [...samples].filter(([id]) =>
        id.startsWith("agentbay_server_request_duration_seconds_bucket{agentbay_action=\"ListMcpTools\",")
      )
      assert.isAbove(buckets.length, 2)
      const bound = (id: string) => {
        const le = /le="([^"]+)"/.exec(id)![1]!
        return le === "+Inf" ? Infinity : Number(le)
      }
      const counts = buckets.sort(([a], [b]) => bound(a) - bound(b)).map(([, n]) => n)
      for (let i = 1; i < counts.length; i++) assert.isAtLeast(counts[i]!, counts[i - 1]!)
      const count = samples.get("agentbay_server_request_duration_seconds_count{agentbay_action=\"ListMcpTools\"}")
      assert.strictEqual(counts.at(-1), count)
    }))
})
