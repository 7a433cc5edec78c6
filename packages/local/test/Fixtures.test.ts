// Fixture replay: every session-lifecycle and tool exchange the official SDK was
// recorded sending (spec/fixtures) is sent again byte for byte (method, target,
// headers including `Transfer-Encoding: chunked`, form body), after putting real
// values in for the placeholders, and our answer must have the fixture's shape:
// HTTP status, envelope keys, Success/Code, Data field names, the top-level paging
// fields. Tool answers (CallMcpTool) must also agree on `isError`, and on the exact
// result text wherever it is determined (see `toolFixtures`).
//
// The server runs the REAL sandbox in process mode, so shell and run_code really
// run (sh, python3). Each tool fixture first puts into its session the files the
// recording had there (written through LocalFiles into the session's tree).
//
// Left out, for the persistence work: the context, volume, network, file transfer
// and session-context fixtures (`leftForPersistence`).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as McpTool from "@effect-agentbay/core/McpTool"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalFiles from "../src/LocalFiles.js"
import * as Sandbox from "../src/Sandbox.js"
import { portOf, raw, type RawResponse } from "./utils.js"

const dir = new URL("../../../spec/fixtures/", import.meta.url).pathname

type Setup = (bay: AgentBay.AgentBay.Service) => Effect.Effect<ReadonlyArray<string>, unknown>

const fast = { interval: "20 millis", timeout: "10 seconds" } as const
const demo = { project: "demo" }
const times = (n: number, make: () => Effect.Effect<{ id: string }, unknown>) =>
  Effect.map(Effect.forEach(Array.from({ length: n }), make), (ss) => ss.map((s) => s.id))

const none: Setup = () => Effect.succeed([])
const one: Setup = (bay) => times(1, () => bay.create())
const demoThree: Setup = (bay) => Effect.zipLeft(times(3, () => bay.create({ labels: demo })), bay.create())

// For each fixture: the sessions `<SESSION_ID_1>`, `<SESSION_ID_2>`, ... stand for, made in the right state.
const fixtures: ReadonlyArray<readonly [string, Setup]> = [
  ["create", none],
  ["create-with-labels", none],
  ["create-with-image", none],
  ["create-with-policy", none],
  ["create-with-network", none],
  ["create-with-volume", none],
  ["create-with-context-sync", none],
  ["get", one],
  ["get-status", one],
  ["session-info", one],
  ["get-link", one],
  ["get-link-port", one],
  ["get-labels", (bay) => times(1, () => bay.create({ labels: { project: "demo", owner: "alice" } }))],
  ["set-labels", one],
  ["list", (bay) => times(8, () => bay.create())],
  ["list-filtered", demoThree],
  ["list-page-2", demoThree],
  ["error-list-page-unreachable", demoThree],
  ["list-paused", (bay) =>
    Effect.gen(function*() {
      const s = yield* bay.create({ labels: demo })
      yield* bay.create({ labels: demo })
      yield* bay.betaPauseAsync(s.id, fast)
      return [s.id]
    })],
  ["pause", one],
  ["resume", (bay) => Effect.map(Effect.tap(bay.create(), (s) => bay.betaPauseAsync(s.id, fast)), (s) => [s.id])],
  ["resume-running-session", one],
  ["delete", one],
  ["delete-with-sync-context", (bay) =>
    times(1, () =>
      bay.create({
        labels: { project: "persist" },
        contextSync: [
          { contextId: "ctx-1", path: "/home/wuying/data" },
          { contextId: "ctx-2", path: "/home/wuying/cache" }
        ]
      }))],
  ["error-bad-key", none],
  ["error-bad-key-list", none],
  ["error-get-unknown-session", none],
  ["error-unknown-action", one]
]

const load = (name: string): { readonly exchanges: ReadonlyArray<Exchange> } =>
  JSON.parse(fs.readFileSync(`${dir}/${name}.json`, "utf8"))
const argsOf = (name: string) => load(name).exchanges.map((ex) => JSON.parse(new Map(ex.request.form).get("Args")!))
const textOf = (name: string, n: number): string => load(name).exchanges[n]!.response.body.Data.content[0].text

// The recording's files, in the fixtures' own texts: hello.txt as write-file wrote it and as
// write-file-append left it (what read-file reads back), big.txt as write-file-chunked's three
// pieces (128 000 bytes), notes.md as read-multiple-files shows it (its exact text proves it).
const helloFirst: string = argsOf("write-file")[0].content
const hello = textOf("read-file", 1)
const big = argsOf("write-file-chunked").map((a) => a.content as string).join("")
const notes = "# Notes\nstatus: draft\n"
const demoDir = "/home/wuying/demo"
// The recording server's frozen clock: files get it as their modification time, so that
// get_file_info's `modTime` (and so its whole text) is determined.
const recordedAt = new Date("2026-01-05T08:00:00Z")

type TextCheck = (ours: string, theirs: string, where: string, home: string) => void
/** In `ToolCase.after`: the path is a directory. */
const DIR = "<directory>"
interface ToolCase {
  /** The sessions: default one, `<SESSION_ID_1>`. */
  readonly setup?: Setup | undefined
  /** Files (path under /home/wuying -> content) put into `<SESSION_ID_1>` first; `{}`: the demo directory only. */
  readonly files?: Readonly<Record<string, string>> | undefined
  /** How a tool answer's text is compared with the fixture's. Default: exactly. */
  readonly text?: TextCheck | undefined
  /** What the session's files hold afterwards: sandbox path -> content, `DIR`, or null (absent). */
  readonly after?: Readonly<Record<string, string | null>> | undefined
}

// shell with cwd /home/wuying: in process mode the command runs in the session's tree on the host,
// so `pwd` prints the host path of the home (under bubblewrap it would be /home/wuying).
const hostHome: TextCheck = (ours, theirs, where, home) =>
  assert.strictEqual(ours, theirs.replaceAll("/home/wuying", home), where)

// run_code: everything but executionTime, which is measured (0.012 in the example).
const measured: TextCheck = (ours, theirs, where) => {
  const { executionTime, ...rest } = JSON.parse(ours)
  const { executionTime: _, ...expected } = JSON.parse(theirs)
  assert.deepStrictEqual(rest, expected, where)
  assert.isTrue(typeof executionTime === "number" && executionTime >= 0 && executionTime < 30, `${where}: time`)
}

// create-with-extra-configs: the official SDK applies `extraConfigs.mobile` with Android commands
// (setprop, killall com.android.systemui). This is a Linux host: the commands fail as any missing
// command does (exit 127, or killall's 1), reported like any exit code with isError false. The
// example's exit code 0 and empty stderr came from a test server that ran nothing.
const androidCommand: TextCheck = (ours, theirs, where) => {
  const got = Either.getOrThrow(McpTool.decodeResult(McpTool.Shell, ours))
  const example = Either.getOrThrow(McpTool.decodeResult(McpTool.Shell, theirs))
  assert.strictEqual(got.stdout, example.stdout, `${where}: stdout`)
  assert.notStrictEqual(got.exit_code, 0, `${where}: exit code`)
  assert.notStrictEqual(got.stderr, "", `${where}: stderr`)
  assert.strictEqual(got.traceId, "", `${where}: traceId`)
}

const toolFixtures: ReadonlyArray<readonly [string, ToolCase]> = [
  ["create-directory", { after: { [demoDir]: DIR } }],
  ["write-file", { files: {}, after: { [`${demoDir}/hello.txt`]: helloFirst } }],
  ["write-file-append", { files: { "demo/hello.txt": helloFirst }, after: { [`${demoDir}/hello.txt`]: hello } }],
  ["write-file-chunked", { files: {}, after: { [`${demoDir}/big.txt`]: big } }],
  ["get-file-info", { files: { "demo/hello.txt": hello } }],
  ["read-file", { files: { "demo/hello.txt": hello } }],
  ["read-file-bytes", { files: { "demo/hello.txt": hello } }],
  ["read-file-chunked", { files: { "demo/big.txt": big } }],
  ["list-directory", { files: { "demo/big.txt": big, "demo/hello.txt": hello, "demo/notes.md": notes } }],
  ["move-file", {
    files: { "demo/big.txt": big, "demo/hello.txt": hello, "demo/notes.md": notes },
    after: { [`${demoDir}/hello.txt`]: null, [`${demoDir}/greeting.txt`]: hello }
  }],
  ["search-files", { files: { "demo/big.txt": big, "demo/greeting.txt": hello, "demo/notes.md": notes } }],
  ["read-multiple-files", { files: { "demo/greeting.txt": hello, "demo/notes.md": notes } }],
  ["edit-file", { files: { "demo/notes.md": notes }, after: { [`${demoDir}/notes.md`]: "# Notes\nstatus: final\n" } }],
  ["delete-file", { files: { "demo/notes.md": notes }, after: { [`${demoDir}/notes.md`]: null } }],
  ["shell", { text: hostHome }],
  ["shell-exit-code", {}],
  ["run-code", { text: measured, setup: (bay) => times(1, () => bay.create({ imageId: "code_latest" })) }],
  ["create-with-extra-configs", { text: androidCommand, setup: none }]
]

/** Fixtures no test replays yet: they wait for contexts, volumes, networks and file transfer. */
const leftForPersistence = [
  ...["clear", "create", "delete-file", "delete", "file-download-url", "file-upload-url", "get-create", "get"]
    .map((n) => `context-${n}`),
  ...["list-files", "list-max-results", "list-next-page", "list", "update"].map((n) => `context-${n}`),
  "error-context-not-found",
  ...["create", "delete", "get-by-id", "get-by-name", "list-by-ids", "list-max-results", "list-next-page", "list"]
    .map((n) => `volume-${n}`),
  "network-bind-token",
  "network-bind-token-existing",
  "network-describe",
  "error-network-describe-unknown",
  "upload-file",
  "download-file",
  "session-context-info",
  "session-context-sync"
]

interface Exchange {
  readonly request: {
    readonly method: string
    readonly url: string
    readonly headers: Record<string, string>
    readonly body: string | null
    readonly form?: ReadonlyArray<readonly [string, string]>
  }
  readonly response: { readonly status: number; readonly body: Record<string, any> }
}

// Every fixture replayed, with the sessions it needs and, for a tool fixture, its case.
const cases: ReadonlyArray<readonly [string, Setup, ToolCase | undefined]> = [
  ...fixtures.map(([name, setup]) => [name, setup, undefined] as const),
  ...toolFixtures.map(([name, c]) => [name, c.setup ?? one, c] as const)
]

const keys = cases.map((_, i) => `akl-fixture-${i}`)
const wrongKey = "akl-fixture-wrong"
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: keys.map((k) => Redacted.make(k)), transitionDelay: "500 millis", deleteDelay: "500 millis" },
  (dataDir) => Sandbox.layer({ dataDir, isolation: "process" })
)

// Placeholder values for one fixture; ids are learned from setup and from create answers.
class Values {
  readonly ids = new Map<string, string>()
  readonly tokens = new Map<string, string>()
  constructor(readonly key: string, readonly host: string) {}
  text(s: string, encoded: boolean): string {
    const stamp = "2026-01-05T08:00:00Z"
    let out = s.replaceAll("<API_KEY>", this.key)
      .replaceAll("<WRONG_API_KEY>", wrongKey)
      .replaceAll("<HOST>", this.host)
      .replaceAll("<TIMESTAMP>", encoded ? encodeURIComponent(stamp) : stamp)
      .replaceAll("<NONCE>", "0123456789abcdef0123456789abcdef")
      .replace(/<CONTEXT_ID_(\d+)>/g, "ctx-$1")
      .replace(/<NETWORK_ID_(\d+)>/g, "net-$1")
      .replace(/<VOLUME_ID_(\d+)>/g, "vol-$1")
    out = out.replace(/<SESSION_ID_\d+>/g, (p) => {
      const id = this.ids.get(p)
      if (id === undefined) throw new Error(`no session stands for ${p}`)
      return id
    })
    for (const [theirs, ours] of this.tokens) out = out.replaceAll(`NextToken=${theirs}`, `NextToken=${ours}`)
    return out
  }
  value(v: string): string {
    const substituted = this.text(v, false)
    return this.tokens.get(substituted) ?? substituted
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

// Same field names, recursively through objects; arrays: same length, items compared.
const sameShape = (ours: unknown, theirs: unknown, path: string) => {
  if (Array.isArray(theirs)) {
    assert.isTrue(Array.isArray(ours), `${path} should be an array`)
    const list = ours as Array<unknown>
    assert.strictEqual(list.length, theirs.length, `${path} length`)
    theirs.forEach((item, i) => sameShape(list[i], item, `${path}[${i}]`))
  } else if (isObject(theirs)) {
    assert.isTrue(isObject(ours), `${path} should be an object`)
    assert.deepStrictEqual(Object.keys(ours as object).sort(), Object.keys(theirs).sort(), `${path} keys`)
    for (const k of Object.keys(theirs)) {
      if (isObject(theirs[k]) || Array.isArray(theirs[k])) sameShape((ours as any)[k], theirs[k], `${path}.${k}`)
    }
  } else {
    assert.strictEqual(typeof ours, typeof theirs, `${path} type`)
  }
}

// Our CreateMcpSession and GetSession answers add `ToolList` (JSON text: the tool -> server mapping,
// spec: wire-protocol.md §6.1), which the recording server did not send; the rest must match.
const withoutToolList = (ours: unknown, theirs: unknown, where: string): unknown => {
  if (!isObject(ours) || !isObject(theirs) || !("ToolList" in ours) || "ToolList" in theirs) return ours
  const { ToolList, ...rest } = ours
  assert.isString(ToolList, `${where}: ToolList is JSON text`)
  const tools = JSON.parse(ToolList as string) as Array<{ name: string; server: string }>
  assert.includeMembers(tools.map((tool) => tool.name), ["shell", "run_code", "read_file"], `${where}: ToolList`)
  return rest
}

const statusOf = (body: Record<string, any>): string | undefined =>
  isObject(body.Data)
    ? body.Data.Status as string | undefined
    : Array.isArray(body.Data)
    ? body.Data.map((d: any) => d.SessionStatus).join(",")
    : undefined

const exactly: TextCheck = (ours, theirs, where) => assert.strictEqual(ours, theirs, where)

/** The host path of a session's home (what `pwd` prints there in process mode). */
const hostHomeOf = (dataDir: string, id: string) => fs.realpathSync(`${dataDir}/sandboxes/${id}/home`)

const replay = (name: string, values: Values, port: number, tool: { text: TextCheck; dataDir: string }) =>
  Effect.gen(function*() {
    for (const [n, ex] of load(name).exchanges.entries()) {
      const where = `${name} #${n + 1} ${ex.request.url.split("&")[0]}`
      const headers = Object.fromEntries(Object.entries(ex.request.headers).map(([k, v]) => [k, values.text(v, false)]))
      let body: string | undefined
      if (ex.request.body !== null) {
        // Re-encode the decoded fields after substitution, as the client's encoder does.
        const pairs = (ex.request.form ?? []).map(([k, v]) => [k, values.value(v)] as const)
        body = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
        if (values.tokens.size === 0) {
          assert.strictEqual(body, values.text(ex.request.body, true), `${where}: body encoding`)
        }
      }
      const send = raw(port, { method: ex.request.method, path: values.text(ex.request.url, true), headers, body })
      const expected = ex.response.body
      let res: RawResponse = yield* send
      // A transitional status settles with time: poll (bounded) until ours reaches the fixture's.
      for (let i = 0; i < 60 && statusOf(expected) !== undefined && statusOf(res.json) !== statusOf(expected); i++) {
        yield* Effect.sleep("50 millis")
        res = yield* send
      }
      assert.strictEqual(res.status, ex.response.status, `${where}: HTTP status (${res.text})`)
      assert.deepStrictEqual(Object.keys(res.json).sort(), Object.keys(expected).sort(), `${where}: envelope keys`)
      assert.strictEqual(res.json.Success, expected.Success, `${where}: Success`)
      assert.strictEqual(res.json.Code, expected.Code, `${where}: Code`)
      assert.strictEqual(res.json.HttpStatusCode, res.status, `${where}: HttpStatusCode`)
      const data: unknown = expected.Data
      if ("Data" in expected) sameShape(withoutToolList(res.json.Data, data, where), data, `${where}: Data`)
      if (isObject(data) && "isError" in data) {
        // A tool answer (its shape checked above): the same isError, and the text as the case says.
        const [ours, theirs] = [res.json.Data, data] as Array<{ isError: boolean; content: [{ text: string }] }>
        const text = ours.content[0].text
        assert.strictEqual(ours.isError, theirs.isError, `${where}: isError (${text})`)
        const home = hostHomeOf(tool.dataDir, values.ids.get("<SESSION_ID_1>")!)
        tool.text(text, theirs.content[0].text, `${where}: ${new Map(ex.request.form).get("Name")}`, home)
      }
      assert.strictEqual(statusOf(res.json), statusOf(expected), `${where}: status`)
      for (const field of ["MaxResults", "TotalCount"] as const) {
        assert.strictEqual(res.json[field], expected[field], `${where}: ${field}`)
      }
      if ("NextToken" in expected) {
        assert.strictEqual(res.json.NextToken === "", expected.NextToken === "", `${where}: NextToken presence`)
        if (expected.NextToken !== "") values.tokens.set(expected.NextToken, res.json.NextToken)
      }
      // A create answer introduces the id its placeholder stands for.
      const placeholder: unknown = isObject(expected.Data) ? expected.Data.SessionId : undefined
      if (typeof placeholder === "string" && /^<SESSION_ID_\d+>$/.test(placeholder) && !values.ids.has(placeholder)) {
        values.ids.set(placeholder, res.json.Data.SessionId)
      }
    }
  })

/** The session's files, as the server sees them. */
const filesOf = (dataDir: string, id: string) => {
  const root = `${dataDir}/sandboxes/${id}`
  return LocalFiles.make({ root, home: `${root}/home`, tmp: `${root}/tmp` })
}

/** Puts `files` (paths relative to the home) into the session, mode 644, modified at `recordedAt`. */
const put = (dataDir: string, id: string, files: Readonly<Record<string, string>>) =>
  Effect.gen(function*() {
    const tree = filesOf(dataDir, id)
    yield* tree.makeDirectory(demoDir)
    for (const [path, content] of Object.entries(files)) {
      yield* tree.write(`/home/wuying/${path}`, new TextEncoder().encode(content), "overwrite")
      const host = `${dataDir}/sandboxes/${id}/home/${path}`
      fs.chmodSync(host, 0o644)
      fs.utimesSync(host, recordedAt, recordedAt)
    }
  })

const verify = (dataDir: string, id: string, after: Readonly<Record<string, string | null>>) =>
  Effect.gen(function*() {
    const tree = filesOf(dataDir, id)
    for (const [path, want] of Object.entries(after)) {
      const stat = yield* Effect.either(tree.stat(path))
      if (want === null) {
        assert.isTrue(Either.isLeft(stat) && stat.left.reason === "NotFound", `${path} should be gone`)
      } else if (want === DIR) {
        assert.isTrue(Either.isRight(stat) && stat.right.isDirectory, `${path} should be a directory`)
      } else {
        const size = Either.getOrThrow(stat).size
        assert.isTrue(new TextDecoder().decode(yield* tree.read(path, 0, size)) === want, `${path} content`)
      }
    }
  })

layer(Server, { excludeTestServices: true, timeout: "30 seconds" })("fixture replay", (it) => {
  cases.forEach(([name, setup, tool], i) =>
    it.effect(name, () =>
      Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const ids = yield* Effect.flatMap(AgentBay.AgentBay, setup).pipe(
          Effect.provide(AgentBay.layer({ apiKey: Redacted.make(keys[i]!), endpoint: info.endpoint })),
          Effect.provide(NodeHttpClient.layerUndici)
        )
        const values = new Values(keys[i]!, info.hostPort)
        ids.forEach((id, n) => values.ids.set(`<SESSION_ID_${n + 1}>`, id))
        if (tool?.files !== undefined) yield* put(info.dataDir, ids[0]!, tool.files)
        yield* replay(name, values, portOf(info.endpoint), { text: tool?.text ?? exactly, dataDir: info.dataDir })
        if (tool?.after !== undefined) yield* verify(info.dataDir, ids[0]!, tool.after)
      }))
  )

  it.effect("replays every fixture but those left for the persistence work", () =>
    Effect.sync(() => {
      const all = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""))
      const replayed = cases.map(([name]) => name)
      assert.strictEqual(new Set(replayed).size, replayed.length, "each fixture once")
      assert.sameMembers([...replayed, ...leftForPersistence], all)
    }))
})
