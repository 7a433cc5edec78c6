// MCP tools by name (callTool, listTools, getMetrics) and the wire client's
// CallMcpTool / ListMcpTools: the envelope is checked before `Data`, a result
// with isError is ToolError with the tool's texts joined, the tool's server
// comes from the session's ToolList.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as AgentBayMcp from "@effect-agentbay/core/AgentBayMcp"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

import * as Fixtures from "./fixtures.js"

const S1 = "sess-1"

const withMcp = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: (
    mcp: AgentBayMcp.AgentBayMcp.Service,
    requests: Effect.Effect<ReadonlyArray<Fixtures.Recorded>>,
    client: AgentBayClient.AgentBayClient.Service
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted(reply)
    const client = yield* AgentBayClient.make({ apiKey: Redacted.make("sk-mcp"), endpoint: "http://127.0.0.1:1" }).pipe(
      Effect.provideService(HttpClient.HttpClient, fake.client)
    )
    return yield* use(AgentBayMcp.fromClient(client), fake.requests, client)
  })

const tools = [
  { name: "shell", server: "wuying_shell", description: "Run a command", inputSchema: { type: "object" } },
  { name: "read_file", server: "wuying_filesystem", description: "Read" }
]

describe("AgentBayMcp.callTool", () => {
  it.effect("sends Name, Args (JSON), Server and AutoGenSession=false; returns the text and content", () =>
    withMcp(() => Fixtures.toolResult(["first", "second"]), (mcp, requests) =>
      Effect.gen(function*() {
        const r = yield* mcp.callTool(S1, "press_keys", { keys: ["Ctrl", "a"], hold: false })
        assert.strictEqual(r.text, "first")
        assert.deepStrictEqual(r.content.map((c) => c.text), ["first", "second"])
        const fields = Fixtures.fieldsOf((yield* requests)[0]!)
        assert.strictEqual(fields.get("Action"), "CallMcpTool")
        assert.strictEqual(fields.get("Name"), "press_keys")
        assert.strictEqual(fields.get("Args"), "{\"keys\":[\"Ctrl\",\"a\"],\"hold\":false}")
        assert.strictEqual(fields.get("Server"), "")
        assert.strictEqual(fields.get("AutoGenSession"), "false")
        assert.strictEqual(fields.get("SessionId"), S1)
      })))

  it.effect("isError is ToolError: every content text joined with \"; \"", () =>
    withMcp(() => Fixtures.toolResult(["no such file", "", "check the path"], true), (mcp) =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(mcp.callTool(S1, "read_file", { path: "/nope" }))
        assert.deepInclude(e, {
          _tag: "ToolError",
          tool: "read_file",
          sessionId: S1,
          text: "no such file; check the path"
        })
      })))

  it.effect("a session whose ToolList names the tool's server sends that server", () =>
    withMcp(() => Fixtures.toolResult("ok"), (mcp, requests) =>
      Effect.gen(function*() {
        yield* mcp.callTool({ id: S1, tools } as never, "shell", { command: "true", timeout_ms: 1000 })
        yield* mcp.callTool({ id: S1, tools } as never, "get_metrics")
        const sent = (yield* requests).map((r) => Fixtures.fieldsOf(r).get("Server"))
        assert.deepStrictEqual(sent, ["wuying_shell", ""])
      })))

  it.effect("args that are not a JSON object are ValidationError, nothing sent", () =>
    withMcp(() => Fixtures.toolResult("ok"), (mcp, requests) =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(mcp.callTool(S1, "shell", [1, 2] as never))
        assert.deepInclude(e, { _tag: "ValidationError", field: "args" })
        assert.strictEqual((yield* requests).length, 0)
      })))

  it.effect("the envelope is checked before Data: Success:false with a code is ApiError even when Data is there", () =>
    withMcp(
      () =>
        Fixtures.json(200, { RequestId: "r-q", Success: false, Code: "Quota.Exceeded", Message: "too many", Data: {} }),
      (mcp) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(mcp.callTool(S1, "shell", {}))
          assert.deepInclude(e, { _tag: "ApiError", action: "CallMcpTool", code: "Quota.Exceeded", requestId: "r-q" })
        })
    ))

  it.effect("Success:false without Data is ApiError with its code (not \"invalid response data\")", () =>
    withMcp(
      () => Fixtures.json(400, { RequestId: "r-x", Success: false, Code: "InvalidParameter", Message: "Args" }),
      (mcp) =>
        Effect.gen(function*() {
          assert.deepInclude(yield* Effect.flip(mcp.callTool(S1, "shell", {})), {
            _tag: "ApiError",
            code: "InvalidParameter"
          })
        })
    ))

  it.effect("a tool call is never retried, even on a 503", () =>
    withMcp(
      () => Fixtures.json(503, { Success: false, Code: "ServiceUnavailable" }),
      (mcp, requests) =>
        Effect.gen(function*() {
          yield* Effect.flip(mcp.callTool(S1, "shell", {}))
          assert.strictEqual((yield* requests).length, 1)
        })
    ))
})

describe("AgentBayMcp.listTools and ListMcpTools", () => {
  const listed = () => Fixtures.json(200, { RequestId: "r-l", Success: true, Code: "ok", Data: JSON.stringify(tools) })

  it.effect("ListMcpTools: Data is JSON text of the tools", () =>
    withMcp(listed, (_mcp, requests, client) =>
      Effect.gen(function*() {
        const list = yield* client.listMcpTools()
        assert.deepStrictEqual(list.map((t) => [t.name, t.server]), [
          ["shell", "wuying_shell"],
          ["read_file", "wuying_filesystem"]
        ])
        assert.deepStrictEqual(list[0]!.inputSchema, { type: "object" })
        assert.strictEqual(Fixtures.fieldsOf((yield* requests)[0]!).get("ImageId"), "linux_latest")
      })))

  it.effect("ListMcpTools with Data as an array (not JSON text) is DecodeError", () =>
    withMcp(
      () => Fixtures.json(200, { Success: true, Data: tools }),
      (_mcp, _requests, client) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(client.listMcpTools("code_latest"))
          assert.deepInclude(e, { _tag: "DecodeError", action: "ListMcpTools" })
        })
    ))

  it.effect("a session with its image asks for that image; an id asks GetSessionDetail first", () =>
    withMcp(
      (action) =>
        action === "GetSessionDetail"
          ? Fixtures.json(200, { Success: true, Data: { Status: "RUNNING", ImageId: "code_latest" } })
          : listed(),
      (mcp, requests) =>
        Effect.gen(function*() {
          yield* mcp.listTools({ id: S1, imageId: "browser_latest" } as never)
          yield* mcp.listTools(S1)
          const sent = (yield* requests).map((r) => {
            const f = Fixtures.fieldsOf(r)
            return `${f.get("Action")} ${f.get("ImageId") ?? f.get("SessionId")}`
          })
          assert.deepStrictEqual(sent, [
            "ListMcpTools browser_latest",
            `GetSessionDetail ${S1}`,
            "ListMcpTools code_latest"
          ])
        })
    ))
})

describe("AgentBayMcp.getMetrics", () => {
  it.effect("the record, with the official client's alias fields accepted", () =>
    withMcp(
      () =>
        Fixtures.toolResult(JSON.stringify({
          cpu_count: 4,
          cpu_used_pct: 12.5,
          disk_total: 100,
          disk_used: 10,
          mem_total: 2048,
          mem_used: 1024,
          rx_rate_KBps: 1.5,
          tx_rate_kbps: 2.5,
          rx_used_KB: 30,
          tx_used_kb: 40,
          timestamp: "2026-01-05T08:00:00Z"
        })),
      (mcp, requests) =>
        Effect.gen(function*() {
          const m = yield* mcp.getMetrics(S1)
          assert.deepInclude(m, {
            cpu_count: 4,
            rx_rate_kbyte_per_s: 1.5,
            tx_rate_kbyte_per_s: 2.5,
            rx_used_kbyte: 30,
            tx_used_kbyte: 40
          })
          assert.deepStrictEqual(Fixtures.argsOf((yield* requests)[0]!), {})
          assert.strictEqual(Fixtures.fieldsOf((yield* requests)[0]!).get("Name"), "get_metrics")
        })
    ))

  it.effect("a record missing a required field is DecodeError", () =>
    withMcp(() => Fixtures.toolResult("{\"cpu_count\":1}"), (mcp) =>
      Effect.gen(function*() {
        assert.deepInclude(yield* Effect.flip(mcp.getMetrics(S1)), { _tag: "DecodeError", action: "get_metrics" })
      })))
})
