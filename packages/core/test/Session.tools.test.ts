// A Session offers the tool services bound (session.filesystem, .command,
// .code, .mcp, getMetrics), the services in the context when there are some
// (so they can be stubbed). Every tool operation has a span with the session id
// and the tool, and no span carries file contents or command text. Also: the
// GetLink port rule, and a failed context sync as ContextSyncError.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as AgentBayFileSystem from "@effect-agentbay/core/AgentBayFileSystem"
import { idOf } from "@effect-agentbay/core/Session"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Fixtures from "./fixtures.js"
import { recordingTracer } from "./tracing.js"

const S1 = "sess-1"
const clientLayer = (fake: HttpClient.HttpClient) =>
  AgentBayClient.layer({ apiKey: Redacted.make("sk-session"), endpoint: "http://127.0.0.1:1" }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, fake))
  )

const running = () =>
  Fixtures.json(200, { RequestId: "r-get", Success: true, Data: { SessionId: S1, Status: "RUNNING" } })

// The real SDK layer over a scripted server whose GetSession says RUNNING.
const withBay = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: (
    bay: AgentBay.AgentBay.Service,
    requests: Effect.Effect<ReadonlyArray<Fixtures.Recorded>>
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted((action, n) => (action === "GetSession" ? running() : reply(action, n)))
    const layer = AgentBay.layerWithoutClient.pipe(Layer.provideMerge(clientLayer(fake.client)))
    return yield* Effect.provide(Effect.flatMap(AgentBay.AgentBay, (bay) => use(bay, fake.requests)), layer)
  })

const metrics = {
  cpu_count: 1,
  cpu_used_pct: 0,
  disk_total: 1,
  disk_used: 0,
  mem_total: 1,
  mem_used: 0,
  timestamp: "t"
}

const tools = (requests: ReadonlyArray<Fixtures.Recorded>) =>
  requests.filter((r) => Fixtures.fieldsOf(r).get("Action") === "CallMcpTool").map((r) =>
    Fixtures.fieldsOf(r).get("Name")
  )

describe("Session: bound tool services", () => {
  it.effect("session.filesystem, .command, .code, .mcp and getMetrics address the session", () =>
    withBay(
      (_, n) =>
        n === 2
          ? Fixtures.toolResult("[FILE] a.txt")
          : n === 3
          ? Fixtures.toolResult(JSON.stringify({ stdout: "hi\n", stderr: "", exit_code: 0 }))
          : n === 4
          ? Fixtures.toolResult(JSON.stringify({ result: [], stdout: ["3\n"], stderr: [] }))
          : n === 5
          ? Fixtures.toolResult("pong")
          : Fixtures.toolResult(JSON.stringify(metrics)),
      (bay, requests) =>
        Effect.gen(function*() {
          const s = yield* bay.get(S1)
          assert.deepStrictEqual(yield* s.filesystem.listDirectory("/home"), [{ name: "a.txt", isDirectory: false }])
          assert.strictEqual((yield* s.command.executeCommand("echo hi")).stdout, "hi\n")
          assert.strictEqual((yield* s.code.runCode("print(3)", "py")).text, "3\n")
          assert.strictEqual((yield* s.mcp.callTool("ping")).text, "pong")
          assert.strictEqual((yield* s.getMetrics()).cpu_count, 1)
          const sent = yield* requests
          assert.deepStrictEqual(tools(sent), ["list_directory", "shell", "run_code", "ping", "get_metrics"])
          assert.isTrue(sent.slice(1).every((r) => Fixtures.fieldsOf(r).get("SessionId") === S1))
          // The groups are not data: a session still logs, spreads and compares as its record.
          assert.notInclude(Object.keys(s), "filesystem")
          assert.strictEqual(s.filesystem, s.filesystem, "bound once per session")
        })
    ))

  it.effect("a stubbed AgentBayFileSystem in the context is what sessions use", () =>
    Effect.gen(function*() {
      const fake = yield* Fixtures.scripted(() => running())
      const stub = Layer.effect(
        AgentBayFileSystem.AgentBayFileSystem,
        Effect.map(AgentBayFileSystem.make, (fs) => ({
          ...fs,
          readFile: (session, path) => Effect.succeed(`stub ${idOf(session)} ${path}`)
        }))
      )
      const layer = Layer.effect(AgentBay.AgentBay, AgentBay.make).pipe(
        Layer.provide(stub),
        Layer.provideMerge(clientLayer(fake.client))
      )
      const text = yield* Effect.provide(
        Effect.flatMap(AgentBay.AgentBay, (bay) =>
          Effect.flatMap(bay.get(S1), (s) => s.filesystem.readFile("/etc/hostname"))),
        layer
      )
      assert.strictEqual(text, `stub ${S1} /etc/hostname`)
      assert.deepStrictEqual(tools(yield* fake.requests), [], "the stub answered, nothing went to CallMcpTool")
    }))

  it.effect("spans: module.operation with agentbay.session_id and agentbay.tool; no contents or command text", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const secret = "TOP-SECRET-CONTENT-4711"
      yield* withBay(
        (_, n) =>
          n === 2
            ? Fixtures.toolResult("ok")
            : Fixtures.toolResult(JSON.stringify({ stdout: secret, stderr: "", exit_code: 0 })),
        (bay) =>
          Effect.gen(function*() {
            const s = yield* bay.get(S1)
            yield* s.filesystem.writeFile("/notes.txt", `${secret}\n`)
            yield* s.command.executeCommand(`echo ${secret}`)
          })
      ).pipe(Effect.withTracer(tracer))
      const write = spans.find((x) => x.name === "AgentBayFileSystem.writeFile")
      const exec = spans.find((x) => x.name === "AgentBayCommand.executeCommand")
      assert.strictEqual(write?.attributes.get("agentbay.session_id"), S1)
      assert.strictEqual(write?.attributes.get("agentbay.tool"), "write_file")
      assert.strictEqual(exec?.attributes.get("agentbay.tool"), "shell")
      assert.isDefined(spans.find((x) => x.name === "AgentBayClient.CallMcpTool"))
      for (const span of spans) {
        // Neither the written contents, the command, nor its output (a result, not an attribute).
        assert.notInclude(span.dump(), secret, span.name)
      }
    }))
})

describe("GetLink: the port rule", () => {
  it.effect("a port outside 30100..30199 is ValidationError, nothing sent; the bounds are accepted", () =>
    withBay(
      () => Fixtures.json(200, { Success: true, Data: { Url: "https://link" } }),
      (bay, requests) =>
        Effect.gen(function*() {
          const s = yield* bay.get(S1)
          for (const port of [8080, 30099, 30200, 30150.5]) {
            const e = yield* Effect.flip(s.getLink({ port }))
            assert.deepInclude(e, { _tag: "ValidationError", operation: "GetLink", field: "Port" }, String(port))
          }
          assert.strictEqual((yield* requests).length, 1, "only the GetSession of bay.get")
          assert.strictEqual(yield* s.getLink({ port: 30100 }), "https://link")
          assert.strictEqual(yield* s.getLink({ protocolType: "https", port: 30199 }), "https://link")
          const sent = (yield* requests).slice(1).map((r) => Fixtures.fieldsOf(r).get("Port"))
          assert.deepStrictEqual(sent, ["30100", "30199"])
        })
    ))
})

describe("ContextSyncError", () => {
  const failedTask = {
    contextId: "ctx-1",
    path: "/home/wuying/data",
    status: "Failed",
    taskType: "download",
    errorMessage: "quota exceeded"
  }
  const contextStatus = (tasks: ReadonlyArray<WireContext.ContextTask>) =>
    Fixtures.json(200, { Success: true, Data: { ContextStatus: WireContext.encodeTasks(tasks) } })
  const ok = () => Fixtures.json(200, { Success: true })

  it.effect("create: a failed initial sync is ContextSyncError, and the new session is deleted", () =>
    withBay(
      (action) =>
        action === "CreateMcpSession"
          ? Fixtures.json(200, { Success: true, Data: { SessionId: S1 } })
          : action === "GetContextInfo"
          ? contextStatus([failedTask])
          : action === "GetSessionDetail"
          ? Fixtures.json(200, { Success: true, Data: { Status: "FINISH" } })
          : ok(),
      (bay, requests) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(bay.create({ contextSync: [{ contextId: "ctx-1", path: "/home/wuying/data" }] }))
          assert.strictEqual(e._tag, "ContextSyncError")
          if (e._tag !== "ContextSyncError") return
          assert.strictEqual(e.sessionId, S1)
          assert.deepStrictEqual(e.tasks, [failedTask])
          assert.include(e.message, "quota exceeded")
          const actions = (yield* requests).map((r) => Fixtures.fieldsOf(r).get("Action"))
          assert.deepStrictEqual(actions, [
            "CreateMcpSession",
            "GetContextInfo",
            "DeleteSessionAsync",
            "GetSessionDetail"
          ])
        })
    ))

  it.effect("delete with syncContext: a failed upload is ContextSyncError and the session is left in place", () =>
    withBay(
      (action) => action === "GetContextInfo" ? contextStatus([{ ...failedTask, taskType: "upload" }]) : ok(),
      (bay, requests) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(bay.delete(S1, { syncContext: true }))
          assert.deepInclude(e, { _tag: "ContextSyncError", sessionId: S1, operation: "SyncContext" })
          const actions = (yield* requests).map((r) => Fixtures.fieldsOf(r).get("Action"))
          assert.deepStrictEqual(actions, ["SyncContext", "GetContextInfo"])
        })
    ))
})
