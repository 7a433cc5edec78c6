/**
 * Tracing: a scoped session workflow (create, a command, a file written and
 * read back, the release) on the embedded local runtime, its spans exported
 * with `@effect/opentelemetry`: to the console, to an OTLP collector when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and to memory, from which the span
 * tree is printed at the end, with the SDK's metrics. See docs/tracing.md.
 *
 *   npx tsx examples/tracing.ts                                            # console + tree
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npx tsx examples/tracing.ts   # also to a collector
 *   TRACING_CONSOLE=0 npx tsx examples/tracing.ts                          # the tree only
 *
 * @since 0.1.0
 */
import { pathToFileURL } from "node:url"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayMetrics from "@effect-agentbay/core/AgentBayMetrics"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"

/**
 * The workflow, under one root span (`example.workflow`): a scoped session,
 * so its release (the delete, and the wait until gone) runs when the scope
 * closes, still under the root.
 *
 * @since 0.1.0
 * @category programs
 */
export const workflow = Effect.scoped(Effect.gen(function*() {
  const bay = yield* AgentBay.AgentBay
  const session = yield* bay.session({ labels: { example: "tracing" } })
  const run = yield* session.command.executeCommand("echo traced")
  yield* session.filesystem.writeFile("/tmp/traced.txt", "written by a traced workflow")
  const text = yield* session.filesystem.readFile("/tmp/traced.txt")
  return { sessionId: session.id, stdout: run.stdout.trim(), text }
})).pipe(Effect.withSpan("example.workflow"))

/**
 * Where spans go besides memory.
 *
 * @since 0.1.0
 * @category options
 */
export interface ExportOptions {
  /** Print each span as it ends (`ConsoleSpanExporter`). Default true. */
  readonly console?: boolean | undefined
  /** Send spans over OTLP/HTTP to this collector (`<endpoint>/v1/traces`). Default: none. */
  readonly otlpEndpoint?: string | undefined
}

/**
 * The tracer: `NodeSdk.layer` with a `SimpleSpanProcessor` into `memory` (for
 * the tree), the console exporter and, given an endpoint, a
 * `BatchSpanProcessor` into an OTLP exporter (flushed when the layer closes).
 *
 * @since 0.1.0
 * @category layers
 */
export const tracing = (options: ExportOptions = {}) => {
  const memory = new InMemorySpanExporter()
  const processors: Array<SpanProcessor> = [new SimpleSpanProcessor(memory)]
  if (options.console ?? true) processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()))
  if (options.otlpEndpoint !== undefined && options.otlpEndpoint !== "") {
    const url = `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })))
  }
  const layer = NodeSdk.layer(() => ({
    resource: { serviceName: "agentbay-tracing-example" },
    spanProcessor: processors
  }))
  return { memory, layer }
}

/**
 * The attributes the tree shows, when a span has them.
 *
 * @since 0.1.0
 * @category constants
 */
export const shownAttributes = [
  "agentbay.action",
  "agentbay.session_id",
  "agentbay.request_id",
  "agentbay.tool",
  "agentbay.wait.target"
] as const

const millis = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6
const startOf = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1]

/**
 * The spans as a tree: one line per span (name, duration, the attributes of
 * `shownAttributes` but those its parent shows with the same value), children
 * indented under their parent in start order. A span whose parent is not
 * among `spans` is a root.
 *
 * @since 0.1.0
 * @category utils
 */
export const spanTree = (spans: ReadonlyArray<ReadableSpan>): string => {
  const ids = new Set(spans.map((s) => s.spanContext().spanId))
  const children = new Map<string | undefined, Array<ReadableSpan>>()
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    children.set(key, [...(children.get(key) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (parent: ReadableSpan | undefined, depth: number) => {
    const under = children.get(parent?.spanContext().spanId) ?? []
    for (const span of under.sort((a, b) => startOf(a) - startOf(b))) {
      const shown = shownAttributes.flatMap((k) => {
        const value = span.attributes[k]
        return value === undefined || value === parent?.attributes[k] ? [] : [`${k}=${value}`]
      })
      const head = `${"  ".repeat(depth)}${span.name}`
      lines.push(`${head.padEnd(40)} ${millis(span).toFixed(1).padStart(8)} ms  ${shown.join(" ")}`.trimEnd())
      walk(span, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines.join("\n")
}

/**
 * The workflow on `runtime` (default: the local runtime), traced; then its
 * span tree (the root's trace only) and the SDK's metrics, printed.
 *
 * @since 0.1.0
 * @category programs
 */
export const main = (
  options: ExportOptions = {},
  runtime: Layer.Layer<AgentBay.AgentBay, unknown> = AgentBayLocal.layer()
) => {
  const { layer, memory } = tracing(options)
  return Effect.gen(function*() {
    const result = yield* workflow
    const spans = memory.getFinishedSpans()
    const root = spans.find((s) => s.name === "example.workflow")
    const trace = spans.filter((s) => s.spanContext().traceId === root?.spanContext().traceId)
    yield* Console.log(`\nspan tree of session ${result.sessionId} (${trace.length} spans):\n${spanTree(trace)}`)
    const created = yield* Metric.value(AgentBayMetrics.sessionsCreated)
    const deleted = yield* Metric.value(AgentBayMetrics.sessionsDeleted)
    yield* Console.log(`\nmetrics: sessions created ${created.count}, deleted ${deleted.count}`)
    return { result, trace }
  }).pipe(
    // The tracer is provided inside the runtime's layer: the SDK's spans are
    // exported, the in-process server's are not (they would be separate traces).
    Effect.provide(layer),
    Effect.provide(runtime)
  )
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  NodeRuntime.runMain(main({
    console: process.env.TRACING_CONSOLE !== "0",
    otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  }))
}
