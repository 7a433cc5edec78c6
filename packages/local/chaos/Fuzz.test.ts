// Bad input: property-based fuzzing (fast-check, through effect/FastCheck) of
// an in-process local server over raw HTTP. At least 10,000 generated requests,
// 16 at a time over keep-alive connections (plus raw-socket requests for what
// node:http cannot send): random actions (declared and unknown), missing and
// wrong-typed fields, invalid and deeply nested JSON, huge and truncated bodies,
// NUL bytes and unicode in ids, random keys. Every request must be answered
// within a bound with a well-formed envelope (2xx/4xx, never 5xx, HttpStatusCode
// = the HTTP status), and the server must keep serving. Then each edge case the
// fuzzer covers (and that once broke the server) gets its own named test.
import * as McpTool from "@effect-agentbay/core/McpTool"
import { labelLimits } from "@effect-agentbay/core/Session"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as http from "node:http"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import {
  type Answer,
  envelopeViolation,
  figure,
  filesDouble,
  form,
  formType,
  jsonOf,
  rawExchange,
  rawPost,
  type Request,
  seedOf,
  send
} from "./utils.js"

const key = "akl-chaos-fuzz-0123456789abcdef"
const auth = `Bearer ${key}`
const maxBodySize = 1024 * 1024 // 1 MiB cap, so "huge" bodies stay cheap to send
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: [Redacted.make(key)], transitionDelay: "20 millis", maxBodySize },
  (dataDir) => filesDouble(dataDir)
)

const requestCount = 10_000
const concurrency = 16
const answerBoundMs = 10_000

// ---------------------------------------------------------------------------
// What a request may carry
// ---------------------------------------------------------------------------

type FieldKind = "id" | "json" | "labels" | "persistence" | "args" | "int" | "bool" | "status" | "tool" | "text"

/** The declared actions and the kind of each of their fields (checked against the registries below). */
const declared: Record<string, Record<string, FieldKind>> = {
  CreateMcpSession: {
    ImageId: "text",
    Labels: "labels",
    McpPolicyId: "text",
    NetworkId: "text",
    VolumeId: "text",
    PersistenceDataList: "persistence",
    ExtraConfigs: "json",
    EnableRecord: "bool",
    SdkStats: "json",
    LoginRegionId: "text"
  },
  GetSession: { SessionId: "id" },
  GetSessionDetail: { SessionId: "id" },
  ListSession: { Labels: "labels", Status: "status", MaxResults: "int", NextToken: "text" },
  DeleteSessionAsync: { SessionId: "id" },
  PauseSessionAsync: { SessionId: "id" },
  ResumeSessionAsync: { SessionId: "id" },
  ReleaseMcpSession: { SessionId: "id" },
  SetLabel: { SessionId: "id", Labels: "labels" },
  GetLabel: { SessionId: "id", MaxResults: "int", NextToken: "text" },
  GetMcpResource: { SessionId: "id" },
  GetLink: { SessionId: "id", ProtocolType: "text", Port: "int", Option: "json" },
  CallMcpTool: { SessionId: "id", Name: "tool", Args: "args", Server: "text", AutoGenSession: "bool" },
  ListMcpTools: { ImageId: "text" },
  SyncContext: { SessionId: "id", ContextId: "text", Path: "text", Mode: "text" },
  GetContextInfo: { SessionId: "id", ContextId: "text", Path: "text", TaskType: "text" },
  GetContext: { Name: "text", ContextId: "text", AllowCreate: "bool", LoginRegionId: "text" },
  ListContexts: { MaxResults: "int", NextToken: "text", SessionId: "id" },
  ModifyContext: { Id: "text", Name: "text" },
  DeleteContext: { Id: "text" },
  ClearContext: { Id: "text" },
  GetContextFileUploadUrl: { ContextId: "text", FilePath: "text" },
  GetContextFileDownloadUrl: { ContextId: "text", FilePath: "text" },
  DeleteContextFile: { ContextId: "text", FilePath: "text" },
  DescribeContextFiles: { ContextId: "text", ParentFolderPath: "text", PageNumber: "int", PageSize: "int" },
  GetAndLoadInternalContext: { SessionId: "id", "ContextTypes.1": "text" },
  GetVolume: { VolumeName: "text", ImageId: "text", AllowCreate: "bool" },
  ListVolumes: { ImageId: "text", MaxResults: "int", NextToken: "text", VolumeName: "text", "VolumeIds.1": "text" },
  DeleteVolume: { VolumeId: "text" },
  CreateNetwork: { NetworkId: "text", LoginRegionId: "text" },
  DescribeNetwork: { NetworkId: "text" }
}

const declaredNames = [...WireSession.actions, ...WireContext.actions, ...WireVolume.actions, ...WireNetwork.actions]
  .map((a) => a.name)

const fc = FastCheck

/** Strings that have broken parsers before: NUL, lone surrogates, escapes, traversal, long. */
const nasty = fc.constantFrom(
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "%00",
  "%zz",
  "\uD800",
  "\uDFFF",
  "😀",
  "ﬀ\u202E",
  "null",
  "__proto__",
  "constructor",
  "toString",
  "../../../../etc/passwd",
  "..",
  "/",
  "x".repeat(5_000),
  "\r\nX-Injected: 1"
)

const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 30 }), weight: 2 },
  { arbitrary: nasty, weight: 2 }
)

/** Nesting `depth` deep: arrays, objects, or an alternation. */
const nested = (depth: number, shape: number) =>
  shape === 0
    ? "[".repeat(depth) + "]".repeat(depth)
    : shape === 1
    ? "{\"a\":".repeat(depth) + "\"v\"" + "}".repeat(depth)
    : "[{\"a\":".repeat(depth) + "1" + "}]".repeat(depth)

const depth = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 6 },
  { arbitrary: fc.integer({ min: 500, max: 12_000 }), weight: 1 }
)
const deepJson = fc.tuple(depth, fc.integer({ min: 0, max: 2 })).map(([d, s]) => ({ text: nested(d, s), depth: d }))

const manyKeys = (n: number) =>
  JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`])))

const invalidJson = fc.oneof(
  fc.constantFrom("{", "[1,", "{\"a\":}", "nul", "'a'", "{\"a\":\"b\"", "\u0000", "", " ", "{a:1}", "[]]", "1e99999"),
  fc.json().map((s) => s.slice(0, Math.floor(s.length / 2)))
)

interface Value {
  readonly text: string
  readonly note?: string | undefined
}

const plain = (arb: FastCheck.Arbitrary<string>): FastCheck.Arbitrary<Value> => arb.map((t) => ({ text: t }))

const json: FastCheck.Arbitrary<Value> = fc.oneof(
  { arbitrary: plain(fc.json({ maxDepth: 4 })), weight: 4 },
  { arbitrary: plain(fc.dictionary(text, text, { maxKeys: 6 }).map((d) => JSON.stringify(d))), weight: 3 },
  { arbitrary: plain(invalidJson), weight: 3 },
  { arbitrary: deepJson.map((d) => ({ text: d.text, note: `${d.depth}-deep JSON` })), weight: 2 },
  { arbitrary: plain(fc.constantFrom("null", "[]", "\"s\"", "1", "true", "{\"__proto__\":{\"x\":\"y\"}}")), weight: 1 }
)

const labels: FastCheck.Arbitrary<Value> = fc.oneof(
  {
    arbitrary: plain(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 })
        .map((d) => JSON.stringify(d))
    ),
    weight: 5
  },
  { arbitrary: json, weight: 4 },
  {
    arbitrary: fc.oneof(fc.integer({ min: 10, max: 300 }), fc.integer({ min: 900, max: 3_000 })).map((n) => ({
      text: manyKeys(n),
      note: `${n} label keys`
    })),
    weight: 1
  }
)

const persistence: FastCheck.Arbitrary<Value> = fc.oneof(
  {
    arbitrary: fc.record({
      ContextId: text,
      Path: text,
      Policy: fc.oneof(fc.json(), invalidJson, deepJson.map((d) => d.text))
    }, {
      requiredKeys: []
    }).map((item) => ({ text: JSON.stringify([item]) })),
    weight: 3
  },
  { arbitrary: json, weight: 3 }
)

const sandboxPath = fc.oneof(
  fc.constantFrom(
    "/home/wuying/notes.txt",
    "notes.txt",
    "dir/sub/file",
    "/tmp/x",
    "/etc/hostname",
    "/proc/self/environ",
    "../../../../etc/passwd",
    "/home/wuying/../../../root",
    "a\u0000b",
    "/home/wuying/" + "../".repeat(30) + "etc",
    "😀/ü",
    "x".repeat(5_000),
    "",
    "/"
  ),
  text
)

const toolNames = McpTool.all.map((t) => t.name)

const args: FastCheck.Arbitrary<Value> = fc.oneof(
  {
    arbitrary: fc.record({
      path: sandboxPath,
      source: sandboxPath,
      destination: sandboxPath,
      paths: fc.array(sandboxPath, { maxLength: 3 }),
      content: text,
      mode: fc.constantFrom("overwrite", "append", "create_new", "bogus"),
      offset: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constant(1e300)),
      length: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.constant(2 ** 40)),
      format: fc.constantFrom("text", "binary", "x"),
      pattern: text,
      edits: fc.array(fc.record({ oldText: text, newText: text }), { maxLength: 2 }),
      command: text,
      timeout_ms: fc.integer({ min: -1, max: 1000 }),
      code: text,
      language: fc.constantFrom("python", "javascript", "cobol"),
      timeout_s: fc.integer({ min: -1, max: 5 })
    }, { requiredKeys: [] }).map((a) => ({ text: JSON.stringify(a) })),
    weight: 6
  },
  { arbitrary: json, weight: 3 }
)

const int = plain(fc.oneof(
  fc.integer({ min: -5, max: 120 }).map(String),
  fc.integer({ min: 30_090, max: 30_210 }).map(String),
  fc.constantFrom("abc", "1e3", "1.5", "", " 1", "NaN", "Infinity", "0x10", "9".repeat(400), "-0", "１"),
  text
))

const bool = plain(fc.oneof(fc.constantFrom("true", "false", "TRUE", "1", "0", ""), text))
const status = plain(fc.oneof(fc.constantFrom("RUNNING", "PAUSED", "PAUSING", "DELETED", "FINISH", "running"), text))
const tool = plain(fc.oneof({ arbitrary: fc.constantFrom(...toolNames), weight: 4 }, { arbitrary: text, weight: 1 }))

const valueOf = (kind: FieldKind, ids: FastCheck.Arbitrary<string>): FastCheck.Arbitrary<Value> => {
  switch (kind) {
    case "id":
      return plain(ids)
    case "json":
      return json
    case "labels":
      return labels
    case "persistence":
      return persistence
    case "args":
      return args
    case "int":
      return int
    case "bool":
      return bool
    case "status":
      return status
    case "tool":
      return tool
    case "text":
      return plain(text)
  }
}

/** The key field: mostly right, else missing, wrong, or malformed. */
const authorization = fc.oneof(
  { arbitrary: fc.constant<string | undefined>(auth), weight: 12 },
  { arbitrary: fc.constant<string | undefined>(undefined), weight: 1 },
  {
    arbitrary: fc.constantFrom<string | undefined>(
      `bearer ${key}`,
      `Bearer   ${key}  `,
      key,
      "Bearer",
      "Bearer ",
      `Bearer ${key}\u0000`,
      `Bearer ${key} ${key}`,
      `Basic ${key}`,
      `Bearer ${key.toUpperCase()}`,
      `Bearer ${key.slice(0, -1)}`
    ),
    weight: 2
  },
  { arbitrary: text.map((t) => `Bearer ${t}`), weight: 1 }
)

// Percent-encodes UTF-8 bytes (a lone surrogate becomes U+FFFD, as TextEncoder does): never throws.
const pct = (s: string) => {
  let out = ""
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}
const encode = (fields: ReadonlyArray<readonly [string, string]>) =>
  fields.map(([k, v]) => `${pct(k)}=${pct(v)}`).join("&")

interface Generated {
  readonly via: "http" | "raw"
  /** What the request is, for the report (action, placement, notable values). */
  readonly label: string
  /** Its notable traits without values or action, to group failures by ("N KiB query", "path /%zz"). */
  readonly traits: string
  /** Built when sent (a body over the cap is not kept in memory meanwhile). */
  readonly request?: (() => Request) | undefined
  readonly bytes?: string | Uint8Array | undefined
  readonly halfClose?: boolean | undefined
}

const actionName = fc.oneof(
  { arbitrary: fc.constantFrom(...Object.keys(declared)), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      "GetAdbLink",
      "CreateSession",
      "listsession",
      "ListSession ",
      "__proto__",
      "constructor",
      ""
    ),
    weight: 1
  },
  { arbitrary: text, weight: 1 }
)

/** A request node:http can send: any action, fields, key, method, path, content type and body framing. */
const httpRequest = (ids: FastCheck.Arbitrary<string>): FastCheck.Arbitrary<Generated> =>
  actionName.chain((action) => {
    const kinds = declared[action] ?? { SessionId: "id" as const, Labels: "labels" as const }
    const fields = fc.record(
      Object.fromEntries(Object.entries(kinds).map(([name, kind]) => [name, valueOf(kind, ids)])),
      { requiredKeys: [] }
    )
    return fc.record({
      action: fc.constant(action),
      fields,
      extra: fc.dictionary(fc.oneof(text, fc.constantFrom("Action", "Authorization", "Labels.1", "SessionId")), text, {
        maxKeys: 2
      }),
      authorization,
      placement: fc.constantFrom("body", "body", "body", "body", "query", "split"),
      method: fc.oneof(
        { arbitrary: fc.constant("POST"), weight: 16 },
        { arbitrary: fc.constant("GET"), weight: 2 },
        { arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "OPTIONS"), weight: 1 }
      ),
      path: fc.oneof(
        { arbitrary: fc.constant("/"), weight: 30 },
        {
          arbitrary: fc.constantFrom("/x", "//", "/resource/abc", "/link/x", "/link/x/port/1", "/%zz", "/..%2f"),
          weight: 1
        }
      ),
      contentType: fc.oneof(
        { arbitrary: fc.constant<string | undefined>(formType["content-type"]), weight: 20 },
        {
          arbitrary: fc.constantFrom<string | undefined>(
            undefined,
            "application/json",
            "text/plain",
            "application/x-www-form-urlencoded; charset=utf-8",
            "multipart/form-data; boundary=x",
            "x/y; charset=\"utf-8\""
          ),
          weight: 1
        }
      ),
      body: fc.oneof(
        { arbitrary: fc.constant<"form" | "bytes" | "huge">("form"), weight: 150 },
        { arbitrary: fc.constant<"form" | "bytes" | "huge">("bytes"), weight: 6 },
        { arbitrary: fc.constant<"form" | "bytes" | "huge">("huge"), weight: 1 }
      ),
      noise: fc.uint8Array({ maxLength: 64 }),
      chunked: fc.boolean()
    })
  }).map((g): Generated => {
    const notes: Array<string> = []
    const own: Array<readonly [string, string]> = []
    for (const [name, value] of Object.entries(g.fields) as Array<[string, Value]>) {
      own.push([name, value.text])
      if (value.note !== undefined) notes.push(`${name}: ${value.note}`)
    }
    for (const [k, v] of Object.entries(g.extra)) own.push([k, v])
    const keyField: Array<readonly [string, string]> = g.authorization === undefined
      ? []
      : [["Authorization", g.authorization]]
    const method = g.method
    const allInQuery = method === "GET" || g.placement === "query"
    const queryFields: Array<readonly [string, string]> = [["Action", g.action]]
    const bodyFields: Array<readonly [string, string]> = []
    const [keyTo, ownTo] = allInQuery
      ? [queryFields, queryFields]
      : g.placement === "split"
      ? [queryFields, bodyFields]
      : [bodyFields, bodyFields]
    for (const field of keyField) keyTo.push(field)
    for (const field of own) ownTo.push(field)
    let body: Uint8Array | string | undefined = method === "GET" ? undefined : encode(bodyFields)
    if (method !== "GET" && g.body === "bytes") {
      body = g.noise
      notes.push("raw bytes body")
    }
    const huge = method !== "GET" && g.body === "huge"
    if (huge) notes.push("body over the size cap")
    const query = encode(queryFields)
    if (query.length > 16 * 1024) notes.push(`${Math.round(query.length / 1024)} KiB query`)
    const headers: Record<string, string> = {}
    if (g.contentType !== undefined && body !== undefined) headers["content-type"] = g.contentType
    if (g.contentType !== formType["content-type"] && body !== undefined) notes.push(`content-type ${g.contentType}`)
    if (g.path !== "/") notes.push(`path ${g.path}`)
    return {
      via: "http",
      label: [`${method} ${g.action.slice(0, 40) || "(no action)"}`, g.placement, ...notes].join(", "),
      traits: notes.length === 0 ? "a plain request" : notes.map((n) => n.replace(/\d+/g, "N")).join(", "),
      request: () => ({
        method,
        path: `${g.path}?${query}`,
        headers,
        body: huge ? `${body}&Pad=${"a".repeat(maxBodySize + 1024)}` : body,
        chunked: g.chunked && body !== undefined
      })
    }
  })

/** Requests only a raw socket can send: framing, request line and header errors. */
const rawRequest: FastCheck.Arbitrary<Generated> = fc.record({
  shape: fc.integer({ min: 0, max: 13 }),
  size: fc.integer({ min: 17, max: 40 }),
  body: fc.string({ maxLength: 40 })
}).map(({ body, shape, size }): Generated => {
  const fields = form({ Authorization: auth, Labels: body })
  const line = "POST /?Action=ListSession HTTP/1.1"
  const raw = (label: string, bytes: string, halfClose = false): Generated => ({
    via: "raw",
    label,
    traits: `raw: ${label.replace(/\d+/g, "N")}`,
    bytes,
    halfClose
  })
  switch (shape) {
    case 0:
      return raw("HTTP/1.1 without Host", rawPost("ListSession", { Authorization: auth }, []))
    case 1:
      return raw(
        "HTTP/1.0 without Host",
        rawPost("ListSession", { Authorization: auth }, []).replace("HTTP/1.1", "HTTP/1.0")
      )
    case 2:
      return raw(
        "Content-Length and Transfer-Encoding both",
        `${line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${
          fields.length.toString(16)
        }\r\n${fields}\r\n0\r\n\r\n`
      )
    case 3:
      return raw(
        "two different Content-Length values",
        `${line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${fields.length}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n${fields}`
      )
    case 4:
      return raw(
        "truncated body, then FIN",
        `${line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${
          fields.length + 100
        }\r\n\r\n${fields}`,
        true
      )
    case 5:
      return raw(
        "truncated chunked body, then FIN",
        `${line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${
          (fields.length + 50).toString(16)
        }\r\n${fields}`,
        true
      )
    case 6:
      return raw(
        "invalid chunk size",
        `${line}\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n${fields}\r\n0\r\n\r\n`
      )
    case 7:
      return raw(
        `${size} KiB query`,
        `POST /?Action=ListSession&Pad=${
          "a".repeat(size * 1024)
        } HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${fields.length}\r\nConnection: close\r\n\r\n${fields}`
      )
    case 8:
      return raw(
        `${size} KiB header`,
        `${line}\r\nHost: x\r\nX-Pad: ${
          "a".repeat(size * 1024)
        }\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${fields.length}\r\nConnection: close\r\n\r\n${fields}`
      )
    case 9:
      return raw(
        "malformed path /%zz",
        rawPost("ListSession", { Authorization: auth }).replace("POST /?", "POST /%zz?")
      )
    case 10:
      return raw("request line garbage", "GARBAGE\r\n\r\n")
    case 11:
      return raw("bare LF line ends", rawPost("ListSession", { Authorization: auth }).replace(/\r\n/g, "\n"))
    case 12:
      return raw(
        "absolute-form target",
        rawPost("ListSession", { Authorization: auth }).replace("POST /?", "POST http://127.0.0.1/?")
      )
    default:
      return raw(
        "NUL in a header value",
        rawPost("ListSession", { Authorization: auth }, ["Host: 127.0.0.1", "X-Nul: a\u0000b"])
      )
  }
})

// ---------------------------------------------------------------------------
// Running and judging
// ---------------------------------------------------------------------------

const Port = Effect.map(AgentBayLocal.Info, (info) => info.port)

const post = (port: number, action: string, fields: Record<string, string>) =>
  send(false, port, { path: `/?Action=${action}`, headers: formType, body: form({ Authorization: auth, ...fields }) })

/** The answer must be an envelope (see `envelopeViolation`) with a 4xx status. */
const expectRefused = (answer: Answer) => {
  const violation = envelopeViolation(answer)
  assert.isUndefined(violation, violation)
  assert.isTrue(answer._tag === "Response" && answer.status >= 400 && answer.status < 500, "a 4xx")
}

layer(Server, { excludeTestServices: true, timeout: "120 seconds" })("bad input", (it) => {
  it.effect(
    `${requestCount} fuzzed requests: each answered in time with a well-formed envelope, never a 5xx`,
    () =>
      Effect.gen(function*() {
        assert.deepStrictEqual(
          Object.keys(declared).sort(),
          [...declaredNames].sort(),
          "every declared action is fuzzed"
        )
        const info = yield* AgentBayLocal.Info
        const port = info.port
        // A few real sessions, so that the fuzzer reaches past the id checks.
        const pool = yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), (i) =>
          Effect.map(post(port, "CreateMcpSession", { Labels: JSON.stringify({ pool: String(i) }) }), (a) => {
            assert.isUndefined(envelopeViolation(a))
            return jsonOf(a).Data.SessionId as string
          }))
        const ids = fc.oneof(
          { arbitrary: fc.constantFrom(...pool), weight: 6 },
          {
            arbitrary: fc.constantFrom("local-000000000000000000000000", `${pool[0]}\u0000`, `${pool[0]}/../x`),
            weight: 1
          },
          { arbitrary: text, weight: 3 }
        )
        const seed = seedOf("fuzz")
        const rawShare = 0.06
        const rawCount = Math.round(requestCount * rawShare)
        const generated = [
          ...fc.sample(httpRequest(ids), { numRuns: requestCount - rawCount, seed }),
          ...fc.sample(rawRequest, { numRuns: rawCount, seed: seed + 1 })
        ]
        const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency })
        const started = Date.now()
        const statuses = new Map<string, number>()
        const violations = new Map<string, { count: number; example: string }>()
        let slowest = 0
        yield* Effect.forEach(generated, (g) =>
          Effect.map(
            g.via === "http"
              ? send(agent, port, g.request!(), answerBoundMs)
              : rawExchange(port, g.bytes!, { halfClose: g.halfClose, timeoutMs: answerBoundMs }),
            (answer) => {
              slowest = Math.max(slowest, answer.ms)
              const status = answer._tag === "Response" ? String(answer.status) : answer._tag
              statuses.set(status, (statuses.get(status) ?? 0) + 1)
              const violation = envelopeViolation(answer)
              if (violation !== undefined) {
                // Grouped by what went wrong and the kind of request (its notes, not its values).
                const group = `${violation.replace(/"[^"]*"/g, "\"…\"").slice(0, 90)} <- ${g.traits}`
                const seen = violations.get(group)
                if (seen === undefined) {
                  violations.set(group, { count: 1, example: g.label })
                } else seen.count++
              }
            }
          ), { concurrency, discard: true })
        agent.destroy()
        const elapsed = Date.now() - started
        figure("fuzz", {
          requests: generated.length,
          raw: rawCount,
          seconds: elapsed / 1000,
          slowestMs: slowest,
          statuses: Object.fromEntries([...statuses].sort()),
          violations: [...violations.values()].reduce((n, v) =>
            n + v.count, 0)
        })
        const byCount = [...violations].sort((a, b) =>
          b[1].count - a[1].count
        )
        for (const [group, v] of byCount) {
          console.log(`[chaos] fuzz violation x${v.count}: ${group} (e.g. ${v.example})`)
        }

        // The server still serves, and nothing was written outside the session trees.
        const after = yield* post(port, "ListSession", { MaxResults: "1" })
        assert.isUndefined(envelopeViolation(after))
        assert.strictEqual(after._tag === "Response" && after.status, 200)
        const top = Fs.readdirSync(info.dataDir).filter((f) => !/^agentbay\.db(-wal|-shm|-journal)?$/.test(f))
        assert.deepStrictEqual(top.filter((f) => f !== "server.json").sort(), ["sandboxes"])
        for (const id of Fs.readdirSync(Path.join(info.dataDir, "sandboxes"))) {
          assert.deepStrictEqual(Fs.readdirSync(Path.join(info.dataDir, "sandboxes", id)).sort(), ["home", "tmp"])
        }
        assert.isAtLeast(generated.length, 10_000)
        assert.deepStrictEqual(
          byCount.map(([group, v]) => `x${v.count} ${group}`),
          [],
          "every answer is a well-formed 2xx/4xx envelope in time"
        )
      }),
    { timeout: 150_000 }
  )

  describe("edge cases, one by one (an envelope and a 4xx each)", () => {
    const deep = nested(6_000, 1)
    const deepCases: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
      ["CreateMcpSession", "Labels", { Labels: deep }],
      ["CreateMcpSession", "ExtraConfigs", { ExtraConfigs: deep }],
      ["CreateMcpSession", "SdkStats", { SdkStats: deep }],
      ["CreateMcpSession", "PersistenceDataList", { PersistenceDataList: `[${nested(6_000, 1)}]` }],
      ["CreateMcpSession", "PersistenceDataList Policy", {
        PersistenceDataList: JSON.stringify([{ ContextId: "c", Path: "/home/wuying/x", Policy: deep }])
      }],
      ["ListSession", "Labels", { Labels: deep }],
      ["SetLabel", "Labels", { SessionId: "local-000000000000000000000000", Labels: deep }],
      ["CallMcpTool", "Args", {
        SessionId: "local-000000000000000000000000",
        Name: "read_file",
        Args: deep,
        Server: "",
        AutoGenSession: "false"
      }],
      ["GetLink", "Option", { SessionId: "local-000000000000000000000000", Option: deep }]
    ]
    for (const [action, field, fields] of deepCases) {
      it.effect(`${action} with 6,000-deep JSON in ${field}`, () =>
        Effect.gen(function*() {
          expectRefused(yield* post(yield* Port, action, fields))
        }))
    }

    for (const n of [940, 2_000]) {
      it.effect(`ListSession with ${n} label filter keys`, () =>
        Effect.gen(function*() {
          const answer = yield* post(yield* Port, "ListSession", { Labels: manyKeys(n) })
          const violation = envelopeViolation(answer)
          assert.isUndefined(violation, violation)
          // Either refused (a limit) or answered (no match): never a 5xx.
          assert.isTrue(answer._tag === "Response" && answer.status < 500)
        }))
    }

    const rawCases: ReadonlyArray<readonly [string, (port: number) => string, boolean]> = [
      [
        "a malformed path: /%zz",
        () => rawPost("ListSession", { Authorization: auth }).replace("POST /?", "POST /%zz?"),
        false
      ],
      ["HTTP/1.1 without a Host header", () => rawPost("ListSession", { Authorization: auth }, []), false],
      [
        "a 20 KiB query",
        () =>
          rawPost("ListSession", { Authorization: auth }).replace("Action=", `Pad=${"a".repeat(20 * 1024)}&Action=`),
        false
      ],
      [
        "a 20 KiB header",
        () => rawPost("ListSession", { Authorization: auth }, ["Host: x", `X-Pad: ${"a".repeat(20 * 1024)}`]),
        false
      ],
      [
        "a truncated body (Content-Length 100 more than sent), then FIN",
        () =>
          rawPost("ListSession", { Authorization: auth }).replace(
            /Content-Length: (\d+)/,
            (_, n) => `Content-Length: ${Number(n) + 100}`
          ),
        true
      ],
      ["Content-Length and Transfer-Encoding: chunked both", () => {
        const body = form({ Authorization: auth })
        return `POST /?Action=ListSession HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${
          body.length.toString(16)
        }\r\n${body}\r\n0\r\n\r\n`
      }, false],
      [
        "two different Content-Length values",
        () =>
          rawPost("ListSession", { Authorization: auth }).replace(
            "Connection: close",
            "Content-Length: 3\r\nConnection: close"
          ),
        false
      ],
      [
        "an invalid chunk size",
        () =>
          `POST /?Action=ListSession HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
        false
      ],
      ["a garbage request line", () => "GARBAGE\r\n\r\n", false]
    ]
    for (const [name, bytes, halfClose] of rawCases) {
      it.effect(name, () =>
        Effect.gen(function*() {
          const port = yield* Port
          expectRefused(yield* rawExchange(port, bytes(port), { halfClose, timeoutMs: answerBoundMs }))
        }))
    }

    it.effect("labels past the limits are 400 InvalidParameter: in a create, a SetLabel and a list filter", () =>
      Effect.gen(function*() {
        const port = yield* Port
        const created = yield* post(port, "CreateMcpSession", {})
        assert.isUndefined(envelopeViolation(created))
        const id = jsonOf(created).Data.SessionId as string
        const { maxKeyLength, maxLabels, maxValueLength } = labelLimits
        const tooMany = manyKeys(maxLabels + 1)
        const longKey = JSON.stringify({ ["k".repeat(maxKeyLength + 1)]: "v" })
        const longValue = JSON.stringify({ k: "v".repeat(maxValueLength + 1) })
        const atLimit = JSON.stringify({ ["k".repeat(maxKeyLength)]: "v".repeat(maxValueLength) })
        for (const labels of [tooMany, longKey, longValue]) {
          for (
            const [action, fields] of [
              ["CreateMcpSession", { Labels: labels }],
              ["SetLabel", { SessionId: id, Labels: labels }],
              ["ListSession", { Labels: labels }]
            ] as const
          ) {
            const answer = yield* post(port, action, fields)
            expectRefused(answer)
            assert.strictEqual(jsonOf(answer).Code, "InvalidParameter", `${action} ${labels.slice(0, 40)}`)
          }
        }
        // At the limits exactly: accepted.
        const ok = yield* post(port, "SetLabel", { SessionId: id, Labels: atLimit })
        assert.isUndefined(envelopeViolation(ok))
        assert.strictEqual(ok._tag === "Response" && ok.status, 200)
      }))

    it.effect(`a body over the cap (${maxBodySize} bytes), without a key: 413, and the server still answers`, () =>
      Effect.gen(function*() {
        const port = yield* Port
        const answer = yield* send(false, port, {
          path: "/?Action=ListSession",
          headers: formType,
          body: `Pad=${"a".repeat(maxBodySize * 2)}`
        })
        expectRefused(answer)
        assert.strictEqual(answer._tag === "Response" && answer.status, 413)
        const after = yield* post(port, "ListSession", {})
        assert.isUndefined(envelopeViolation(after))
      }))
  })
})
