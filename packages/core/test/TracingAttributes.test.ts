// The attributes of the client spans over a scoped-session workflow on the
// fake: every wire call's span names its action, the session its request
// names and the request id of its answer; no span holds the key or a file's
// contents.
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

import { type RecordingSpan, recordingTracer } from "./tracing.js"

const secretText = "the-file-contents-must-never-be-traced-0451"

// A scoped session: a command, a file written and read back, then the release.
const workflow = Effect.gen(function*() {
  const bay = yield* AgentBay
  const backend = yield* AgentBayTest.Backend
  yield* backend.onCommand("echo hi", { stdout: "hi\n" })
  return yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* bay.session({ labels: { job: "traced" } })
    yield* session.command.executeCommand("echo hi")
    yield* session.filesystem.writeFile("/tmp/note.txt", secretText)
    const text = yield* session.filesystem.readFile("/tmp/note.txt")
    assert.strictEqual(text, secretText)
    return session.id
  }))
}).pipe(Effect.withSpan("workflow"))

const clientSpans = (spans: ReadonlyArray<RecordingSpan>) => spans.filter((s) => s.name.startsWith("AgentBayClient."))
const parentOf = (span: RecordingSpan, spans: ReadonlyArray<RecordingSpan>) =>
  Option.match(span.parent, { onNone: () => undefined, onSome: (p) => spans.find((s) => s.spanId === p.spanId) })

describe("client span attributes", () => {
  it.effect("each wire call names its action, its session and the request id of its answer", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const id = yield* Effect.withTracer(workflow, tracer)
      const calls = clientSpans(spans)
      const actions = calls.map((s) => s.name.slice("AgentBayClient.".length))
      assert.includeMembers(actions, ["CreateMcpSession", "CallMcpTool", "DeleteSessionAsync", "GetSessionDetail"])
      for (const span of calls) {
        assert.strictEqual(span.attributes.get("agentbay.action"), span.name.slice("AgentBayClient.".length))
        assert.strictEqual(span.kind, "client")
        // The fake's backend answers every request with a 16-hex-digit id.
        assert.match(String(span.attributes.get("agentbay.request_id")), /^[0-9A-F]{16}$/, span.name)
        // CreateMcpSession names no session yet; every later call names this one.
        if (span.name === "AgentBayClient.CreateMcpSession") assert.isFalse(span.attributes.has("agentbay.session_id"))
        else assert.strictEqual(span.attributes.get("agentbay.session_id"), id, span.name)
      }
      const requestIds = new Set(calls.map((s) => s.attributes.get("agentbay.request_id")))
      assert.strictEqual(requestIds.size, calls.length) // one answer each
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("the spans nest: create and release under the workflow, each wire call under its operation", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      yield* Effect.withTracer(workflow, tracer)
      const named = (name: string) => spans.filter((s) => s.name === name)
      const [root] = named("workflow")
      const [create] = named("AgentBay.create")
      const [release] = named("AgentBay.release")
      const [del] = named("AgentBay.delete")
      assert.strictEqual(parentOf(create!, spans), root)
      assert.strictEqual(parentOf(release!, spans), root)
      assert.strictEqual(parentOf(del!, spans), release)
      assert.strictEqual(parentOf(named("AgentBayClient.CreateMcpSession")[0]!, spans), create)
      assert.strictEqual(parentOf(named("AgentBayClient.DeleteSessionAsync")[0]!, spans), del)
      for (const span of spans) assert.strictEqual(span.status._tag, "Ended", span.name)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a failed call's span carries the request id of the error answer", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const bay = yield* AgentBay
      const exit = yield* Effect.exit(Effect.withTracer(bay.get("no-such-session"), tracer))
      assert.isTrue(exit._tag === "Failure")
      const [span] = clientSpans(spans)
      assert.strictEqual(span!.name, "AgentBayClient.GetSession")
      assert.strictEqual(span!.attributes.get("agentbay.session_id"), "no-such-session")
      assert.match(String(span!.attributes.get("agentbay.request_id")), /^[0-9A-F]{16}$/)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("no span, attribute, event or failure holds the API key or a file's contents", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      yield* Effect.withTracer(workflow, tracer)
      // A failing call too: its error is recorded on the span.
      yield* Effect.exit(Effect.withTracer(Effect.flatMap(AgentBay, (bay) => bay.get("gone")), tracer))
      assert.isAbove(spans.length, 10)
      for (const span of spans) {
        const text = span.dump()
        assert.notInclude(text, AgentBayTest.apiKey, span.name)
        assert.notInclude(text, secretText, span.name)
      }
      assert.isTrue(spans.some((s) => s.exit?._tag === "Failure")) // the check above saw a failure's text
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
