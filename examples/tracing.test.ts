// The tracing example, run for real on the embedded local runtime: the span
// tree of its scoped-session workflow, the attributes of every wire call, an
// OTLP collector (a 127.0.0.1 server of this test) receiving the spans, and
// neither the key nor the file's contents in anything exported.
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import { assert, describe, it } from "@effect/vitest"
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

import { main, spanTree } from "./tracing.js"

const key = "akl-tracing-example-key"

// An OTLP/HTTP collector on 127.0.0.1 that keeps what it receives; stopped with the scope.
const collector = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<{ path: string; body: string }>; server: Http.Server }>(
    (resume) => {
      const received: Array<{ path: string; body: string }> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("end", () => {
          received.push({ path: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") })
          res.writeHead(200, { "content-type": "application/json" }).end("{}")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, received, server }))
      })
    }
  ),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const parentOf = (spans: ReadonlyArray<ReadableSpan>, span: ReadableSpan | undefined) =>
  spans.find((s) => s.spanContext().spanId === span?.parentSpanContext?.spanId)

describe("examples/tracing", () => {
  it.scopedLive(
    "exports the span tree of a scoped session workflow, to memory and to an OTLP collector",
    () =>
      Effect.gen(function*() {
        const otlp = yield* collector
        const runtime = AgentBayLocal.layer({ apiKey: Redacted.make(key) })
        const { result, trace } = yield* main({ console: false, otlpEndpoint: otlp.url }, runtime)
        assert.strictEqual(result.stdout, "traced")

        // The root, with create and release under it; each wire call under its operation.
        const [root] = named(trace, "example.workflow")
        assert.isDefined(root)
        assert.isUndefined(parentOf(trace, root))
        const [create] = named(trace, "AgentBay.create")
        const [release] = named(trace, "AgentBay.release")
        const [del] = named(trace, "AgentBay.delete")
        assert.strictEqual(parentOf(trace, create), root)
        assert.strictEqual(parentOf(trace, release), root)
        assert.strictEqual(parentOf(trace, del), release)
        assert.strictEqual(parentOf(trace, named(trace, "AgentBayClient.CreateMcpSession")[0]), create)
        assert.strictEqual(parentOf(trace, named(trace, "AgentBayClient.DeleteSessionAsync")[0]), del)
        assert.strictEqual(parentOf(trace, named(trace, "AgentBay.waitUntilGone")[0]), del)
        const tools = named(trace, "AgentBayClient.CallMcpTool").map((s) => parentOf(trace, s)?.name)
        assert.includeMembers(tools, [
          "AgentBayCommand.executeCommand",
          "AgentBayFileSystem.writeFile",
          "AgentBayFileSystem.readFile"
        ])

        // Every wire call: its action, its session (but the create's), the request id of its answer.
        const calls = trace.filter((s) => s.name.startsWith("AgentBayClient."))
        assert.isAtLeast(calls.length, 6)
        for (const span of calls) {
          assert.strictEqual(span.attributes["agentbay.action"], span.name.slice("AgentBayClient.".length))
          assert.match(String(span.attributes["agentbay.request_id"]), /^[0-9A-F]{16}$/)
          if (span.name !== "AgentBayClient.CreateMcpSession") {
            assert.strictEqual(span.attributes["agentbay.session_id"], result.sessionId, span.name)
          }
        }

        // The printed tree: indented by depth.
        const lines = spanTree(trace).split("\n")
        assert.strictEqual(lines.length, trace.length)
        assert.match(lines[0]!, /^example\.workflow\s+\d+\.\d ms$/)
        assert.isTrue(
          lines.some((l) => /^ {4}AgentBayClient\.CreateMcpSession\s.*agentbay\.action=CreateMcpSession/.test(l))
        )
        assert.isTrue(lines.some((l) => /^ {6}AgentBayClient\.DeleteSessionAsync\s/.test(l)))

        // Nothing exported holds the key or the file's contents.
        const exported = JSON.stringify(trace.map((s) => [s.name, s.attributes, s.events, s.status]))
        assert.notInclude(exported, key)
        assert.notInclude(exported, result.text)

        // The collector got the same spans over OTLP/HTTP (JSON), flushed when the tracer closed.
        const posted = otlp.received.filter((r) => r.path === "/v1/traces").map((r) => r.body).join("\n")
        assert.include(posted, "example.workflow")
        assert.include(posted, "AgentBayClient.DeleteSessionAsync")
        assert.include(posted, result.sessionId)
        assert.notInclude(posted, key)
        assert.notInclude(posted, result.text)
      }),
    { timeout: 60_000 }
  )
})
