// Security of the local runtime, in-process with real bubblewrap sandboxes and
// two keys (A and B): every declared action is refused without a key or with a
// wrong one; B naming A's session gets NotFound and never A's data; path
// traversal and symlink escapes through every filesystem tool are refused and
// change nothing outside the session; a session cannot read another's files
// (file tools and shell); and the key never shows in logs, spans, errors,
// responses or the data directory (only its hash, and the generated key file).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { createHash, randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import {
  type Answer,
  envelopeViolation,
  figure,
  filesBelow,
  form,
  formType,
  jsonOf,
  killUnder,
  send,
  tempDir
} from "./utils.js"

const keyA = `akl-chaos-a-${randomBytes(12).toString("hex")}`
const keyB = `akl-chaos-b-${randomBytes(12).toString("hex")}`
const wrongKey = `akl-chaos-wrong-${randomBytes(12).toString("hex")}`
const marker = randomBytes(6).toString("hex")
const secretLabel = `label-secret-${marker}`
const secretFileA = `A-FILE-SECRET-${marker}`
const secretFileB = `B-FILE-SECRET-${marker}`
const outsideSecret = `OUTSIDE-SECRET-${marker}`
const pwned = `PWNED-${marker}`

// What the server and the SDK log and trace, captured for the leak checks.
const logs: Array<string> = []
const spans: Array<{ name: string; attributes: Map<string, unknown>; events: Array<unknown>; exit?: string }> = []

const captureLogs = Layer.merge(
  Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void logs.push(line))),
  Logger.minimumLogLevel(LogLevel.All)
)

const recordingTracer = Tracer.make({
  span: (name, parent, context, links, startTime, kind) => {
    const record: (typeof spans)[number] = { name, attributes: new Map(), events: [] }
    spans.push(record)
    let status: Tracer.SpanStatus = { _tag: "Started", startTime }
    return {
      _tag: "Span",
      name,
      spanId: `span-${spans.length}`,
      traceId: "chaos-trace",
      parent,
      context,
      get status() {
        return status
      },
      attributes: record.attributes,
      links,
      sampled: true,
      kind,
      end: (endTime, exit) => {
        status = { _tag: "Ended", startTime, endTime, exit }
        record.exit = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "success"
      },
      attribute: (key, value) => void record.attributes.set(key, value),
      event: (eventName, _time, attributes) => void record.events.push({ eventName, attributes }),
      addLinks: () => undefined
    }
  },
  context: (f) => f()
})
const captureSpans = Layer.setTracer(recordingTracer)

// Outside /tmp and /home, so that no host path of the data dir means a place inside a session.
const varTmp = Fs.existsSync("/var/tmp") ? "/var/tmp" : "/tmp"
const dataDir = Fs.mkdtempSync(Path.join(varTmp, "agentbay-chaos-sec-"))
afterAll(() => {
  killUnder(dataDir)
  Fs.rmSync(dataDir, { recursive: true, force: true })
})

const Server = AgentBayLocal.layerServer({
  dataDir,
  apiKeys: [Redacted.make(keyA), Redacted.make(keyB)],
  transitionDelay: "20 millis",
  isolation: "bubblewrap"
}).pipe(
  Layer.provide(Layer.merge(captureLogs, captureSpans))
)

const registry = [...WireSession.actions, ...WireContext.actions, ...WireVolume.actions, ...WireNetwork.actions]
const declared = registry.map((a) => a.name)
// The actions that name a session (an unknown one is InvalidMcpSession.NotFound).
const namingSession = registry.filter((a) => Wire.ruleFor(a, Wire.Code.SessionNotFound)?.resource === "Session")
  .map((a) => a.name)

const Port = Effect.map(AgentBayLocal.Info, (info) => info.port)

const call = (port: number, action: string, fields: Record<string, string>, authorization?: string) =>
  send(false, port, {
    path: `/?Action=${action}`,
    headers: formType,
    body: form(authorization === undefined ? fields : { Authorization: authorization, ...fields })
  })

const okData = (answer: Answer) => {
  const violation = envelopeViolation(answer)
  assert.isUndefined(violation, violation)
  assert.strictEqual(answer._tag === "Response" && answer.status, 200, answer._tag === "Response" ? answer.text : "")
  return jsonOf(answer).Data
}

const expectCode = (answer: Answer, status: number, code: string, context: string) => {
  const violation = envelopeViolation(answer)
  assert.isUndefined(violation, `${context}: ${violation}`)
  assert.strictEqual(
    answer._tag === "Response" && answer.status,
    status,
    `${context}: ${answer._tag === "Response" ? answer.text : answer._tag}`
  )
  assert.strictEqual(jsonOf(answer).Code, code, context)
}

/** Plausible fields for `action` on session `id` (valid, so that only the key decides). */
const fieldsFor = (action: string, id: string): Record<string, string> => {
  switch (action) {
    case "CreateMcpSession":
      return { Labels: JSON.stringify({ made: "by-refused-request" }) }
    case "ListSession":
      return { Labels: JSON.stringify({ owner: secretLabel }) }
    case "SetLabel":
      return { SessionId: id, Labels: JSON.stringify({ owner: "overwritten" }) }
    case "CallMcpTool":
      return {
        SessionId: id,
        Name: "read_file",
        Args: JSON.stringify({ path: "/home/wuying/secret.txt" }),
        Server: "",
        AutoGenSession: "false"
      }
    case "ListMcpTools":
      return { ImageId: "linux_latest" }
    case "GetLink":
      return { SessionId: id, Port: "30100" }
    default:
      return { SessionId: id }
  }
}

/** A's and B's sessions, each with a secret label and a secret file; made once, in the first test that needs them. */
let made: { readonly a: string; readonly b: string; readonly tokenA: string } | undefined
const sessions = Effect.gen(function*() {
  if (made !== undefined) return made
  const port = yield* Port
  const a = okData(
    yield* call(port, "CreateMcpSession", { Labels: JSON.stringify({ owner: secretLabel }) }, `Bearer ${keyA}`)
  )
  const b = okData(yield* call(port, "CreateMcpSession", { Labels: JSON.stringify({ owner: "b" }) }, `Bearer ${keyB}`))
  for (const [id, key, secret] of [[a.SessionId, keyA, secretFileA], [b.SessionId, keyB, secretFileB]] as const) {
    const wrote = okData(
      yield* call(port, "CallMcpTool", {
        SessionId: id,
        Name: "write_file",
        Args: JSON.stringify({ path: "/home/wuying/secret.txt", content: secret }),
        Server: "",
        AutoGenSession: "false"
      }, `Bearer ${key}`)
    )
    assert.isFalse(wrote.isError)
  }
  made = { a: a.SessionId, b: b.SessionId, tokenA: a.Token }
  return made
})

/** A's session as the owner sees it: status, labels, its file. */
const stateOfA = Effect.gen(function*() {
  const port = yield* Port
  const { a } = yield* sessions
  const got = okData(yield* call(port, "GetSession", { SessionId: a }, `Bearer ${keyA}`))
  const labels = okData(yield* call(port, "GetLabel", { SessionId: a }, `Bearer ${keyA}`))
  const file = okData(yield* call(port, "CallMcpTool", fieldsFor("CallMcpTool", a), `Bearer ${keyA}`))
  return { status: got.Status, labels: labels.Labels, file: McpTool.textOf(file) }
})

const countOf = (port: number, key: string) =>
  Effect.map(
    call(port, "ListSession", { MaxResults: "100" }, `Bearer ${key}`),
    (answer) => okData(answer).length as number
  )

layer(Server, { excludeTestServices: true, timeout: "120 seconds" })("security", (it) => {
  it.effect("every declared action without a key, with a wrong one, or with a malformed one is 401 InvalidApiKey; nothing changes", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const { a, tokenA } = yield* sessions
      const before = yield* stateOfA
      const countsBefore = [yield* countOf(port, keyA), yield* countOf(port, keyB)]
      const bad: ReadonlyArray<readonly [string, string | undefined, Record<string, string>?]> = [
        ["no key", undefined],
        ["a wrong key", `Bearer ${wrongKey}`],
        ["A's key cut short", `Bearer ${keyA.slice(0, -1)}`],
        ["A's key plus a character", `Bearer ${keyA}0`],
        ["A's key without Bearer", keyA],
        ["A's key twice", `Bearer ${keyA} ${keyA}`],
        ["Basic scheme", `Basic ${keyA}`],
        ["an empty key", "Bearer "],
        ["A's key as an HTTP header only", undefined, { authorization: `Bearer ${keyA}` }]
      ]
      let refused = 0
      for (const action of declared) {
        for (const [what, authorization, headers] of bad) {
          const answer = yield* send(false, port, {
            path: `/?Action=${action}`,
            headers: { ...formType, ...headers },
            body: form(
              authorization === undefined
                ? fieldsFor(action, a)
                : { Authorization: authorization, ...fieldsFor(action, a) }
            )
          })
          expectCode(answer, 401, "InvalidApiKey", `${action} with ${what}`)
          const text = answer._tag === "Response" ? answer.text : ""
          for (const secret of [secretLabel, secretFileA, tokenA, keyA, wrongKey]) {
            assert.notInclude(text, secret, `${action} with ${what} answers nothing of A's`)
          }
          refused++
        }
      }
      assert.deepStrictEqual(yield* stateOfA, before, "A's session is as it was")
      assert.deepStrictEqual(
        [yield* countOf(port, keyA), yield* countOf(port, keyB)],
        countsBefore,
        "no session was made"
      )
      figure("security/auth", { actions: declared.length, refusedRequests: refused })
    }))

  it.effect("with B's key, A's session is InvalidMcpSession.NotFound on every action naming it, and never its data", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const { a, tokenA } = yield* sessions
      const before = yield* stateOfA
      const naming = namingSession
      for (const action of naming) {
        const answer = yield* call(port, action, fieldsFor(action, a), `Bearer ${keyB}`)
        expectCode(answer, 400, "InvalidMcpSession.NotFound", `${action} by B on A's session`)
        for (const secret of [secretLabel, secretFileA, tokenA]) {
          assert.notInclude(answer._tag === "Response" ? answer.text : "", secret, `${action} by B`)
        }
      }
      // Lists: B sees none of A's sessions, with or without A's label as the filter.
      for (const fields of [{ MaxResults: "100" }, { Labels: JSON.stringify({ owner: secretLabel }) }]) {
        const listed = okData(yield* call(port, "ListSession", fields, `Bearer ${keyB}`)) as Array<
          { SessionId: string }
        >
        assert.isFalse(listed.some((s) => s.SessionId === a), "B's list never holds A's session")
      }
      // The links of a session go through GetLink, which B cannot call on A's session (above).
      assert.deepStrictEqual(
        yield* stateOfA,
        before,
        "A's session is as it was (B's pause, delete, SetLabel did nothing)"
      )
      figure("security/ownership", { actions: naming.length })
    }))

  it.effect("with B's key, A's contexts, volumes and networks are NotFound on every action naming them, and unchanged", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const asA = (action: string, fields: Record<string, string>) => call(port, action, fields, `Bearer ${keyA}`)
      const asB = (action: string, fields: Record<string, string>) => call(port, action, fields, `Bearer ${keyB}`)
      const context = okData(yield* asA("GetContext", { Name: "a-secret-context", AllowCreate: "true" })).Id as string
      const volume = okData(
        yield* asA("GetVolume", { VolumeName: "a-volume", ImageId: "linux_latest", AllowCreate: "true" })
      ).VolumeId as string
      const network = okData(yield* asA("CreateNetwork", {})).NetworkId as string
      const file = { ContextId: context, FilePath: "/home/wuying/data/a.txt" }
      const refused: ReadonlyArray<readonly [string, Record<string, string>, string]> = [
        ["GetContext", { ContextId: context, AllowCreate: "false" }, Wire.Code.ContextNotFound],
        ["GetContext", { Name: "a-secret-context", AllowCreate: "false" }, Wire.Code.ContextNotFound],
        ["ModifyContext", { Id: context, Name: "renamed-by-b" }, Wire.Code.ContextNotFound],
        ["DeleteContext", { Id: context }, Wire.Code.ContextNotFound],
        ["ClearContext", { Id: context }, Wire.Code.ContextNotFound],
        ["GetContextFileUploadUrl", file, Wire.Code.ContextNotFound],
        ["GetContextFileDownloadUrl", file, Wire.Code.ContextNotFound],
        ["DeleteContextFile", file, Wire.Code.ContextNotFound],
        ["DescribeContextFiles", { ContextId: context }, Wire.Code.ContextNotFound],
        ["DeleteVolume", { VolumeId: volume }, Wire.Code.VolumeNotFound],
        ["DescribeNetwork", { NetworkId: network }, Wire.Code.NetworkNotFound],
        ["CreateNetwork", { NetworkId: network }, Wire.Code.NetworkNotFound],
        [
          "CreateMcpSession",
          { PersistenceDataList: JSON.stringify([{ ContextId: context, Path: "/home/wuying/d" }]) },
          Wire.Code.ContextNotFound
        ],
        ["CreateMcpSession", { VolumeId: volume }, Wire.Code.VolumeNotFound],
        ["CreateMcpSession", { NetworkId: network }, Wire.Code.NetworkNotFound]
      ]
      for (const [action, fields, code] of refused) {
        const answer = yield* asB(action, fields)
        expectCode(answer, 400, code, `${action} by B on A's ${Object.keys(fields).join(",")}`)
        assert.notProperty(jsonOf(answer), "Data", `${action} by B: nothing of A's comes back`)
      }
      // B's lists hold none of A's; B's get-or-create of the same name makes B's own context.
      const contexts = okData(yield* asB("ListContexts", { MaxResults: "100" })) as Array<{ Id: string }>
      assert.isFalse(contexts.some((c) => c.Id === context), "B's ListContexts never holds A's context")
      const volumes = okData(yield* asB("ListVolumes", { ImageId: "linux_latest", "VolumeIds.1": volume })) as Array<
        unknown
      >
      assert.deepStrictEqual(volumes, [], "B's ListVolumes never holds A's volume")
      const mine = okData(yield* asB("GetContext", { Name: "a-secret-context", AllowCreate: "true" })).Id as string
      assert.notStrictEqual(mine, context, "names are per owner")
      // A's are as they were.
      assert.strictEqual(
        okData(yield* asA("GetContext", { ContextId: context, AllowCreate: "false" })).Name,
        "a-secret-context"
      )
      assert.strictEqual(okData(yield* asA("DescribeNetwork", { NetworkId: network })).Online, false)
      const own = okData(yield* asA("ListVolumes", { ImageId: "linux_latest", "VolumeIds.1": volume })) as Array<
        unknown
      >
      assert.strictEqual(own.length, 1)
      figure("security/resources", { actions: refused.length })
    }))

  it.effect("path traversal and symlink escapes through every filesystem tool are refused and change nothing outside", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const { a, b } = yield* sessions
      const info = yield* AgentBayLocal.Info
      const treeA = Path.join(info.dataDir, "sandboxes", a)
      const homeA = Path.join(treeA, "home")
      const secretPath = Path.join(info.dataDir, `outside-${marker}.txt`)
      const outsideDir = Path.join(info.dataDir, `outside-dir-${marker}`)
      Fs.writeFileSync(secretPath, outsideSecret)
      Fs.mkdirSync(outsideDir, { recursive: true })
      Fs.writeFileSync(Path.join(outsideDir, "inside.txt"), outsideSecret)
      // Links a process in the session could make (made from the host here).
      Fs.symlinkSync(info.dataDir, Path.join(homeA, "link-data"))
      Fs.symlinkSync("../../..", Path.join(homeA, "link-up"))
      Fs.symlinkSync(`../../${b}/home`, Path.join(homeA, "link-b"))
      Fs.symlinkSync(secretPath, Path.join(homeA, "link-file"))
      Fs.symlinkSync("/", Path.join(homeA, "link-root"))
      Fs.symlinkSync(outsideDir, Path.join(treeA, "tmp", "link-out"))
      Fs.symlinkSync(Path.join(homeA, "missing-target"), Path.join(homeA, "link-dangling"))
      Fs.writeFileSync(Path.join(homeA, "mine.txt"), "mine")
      const name = Path.basename(secretPath)
      const dirName = Path.basename(outsideDir)
      const files = [
        `../../${name}`,
        `/home/wuying/../../${info.dataDir}/${name}`,
        secretPath,
        `/etc/../${secretPath}`,
        `/proc/self/root${secretPath}`,
        "link-file",
        `link-data/${name}`,
        `/home/wuying/link-up/${name}`,
        "link-b/secret.txt",
        `link-root${secretPath}`,
        "/tmp/link-out/inside.txt",
        "link-dangling",
        `mine.txt\u0000/../${name}`
      ]
      const dirs = [
        "..",
        "../..",
        info.dataDir,
        outsideDir,
        `/proc/self/root${outsideDir}`,
        "link-data",
        "link-up",
        "link-b",
        `link-root${outsideDir}`,
        "/tmp/link-out"
      ]
      // A path whose last component is a link names the link: delete and move act on the link
      // itself (checked at the end); everything else follows it and must be refused.
      const links = new Set(["link-file", "link-dangling", "link-data", "link-up", "link-b", "/tmp/link-out"])
      const calls: Array<readonly [string, Record<string, unknown>]> = [
        ...files.flatMap((p): Array<readonly [string, Record<string, unknown>]> => [
          ["read_file", { path: p }],
          ["read_file", { path: p, format: "binary" }],
          ["write_file", { path: p, content: pwned }],
          ["write_file", { path: p, content: pwned, mode: "append" }],
          ["get_file_info", { path: p }],
          ["move_file", { source: "mine.txt", destination: p }],
          ["edit_file", { path: p, edits: [{ oldText: "SECRET", newText: pwned }] }],
          ...(links.has(p) ? [] : [
            ["move_file", { source: p, destination: `moved-${marker}` }] as const,
            ["delete_file", { path: p }] as const
          ])
        ]),
        ...dirs.flatMap((d): Array<readonly [string, Record<string, unknown>]> => [
          ["list_directory", { path: d }],
          ["create_directory", { path: `${d}/${pwned}` }],
          ["search_files", { path: d, pattern: "*" }],
          ["get_file_change", { path: d }],
          ["write_file", { path: `${d}/${pwned}.txt`, content: pwned }],
          ["move_file", { source: "mine.txt", destination: `${d}/moved-${marker}` }],
          ...(links.has(d) ? [] : [
            ["delete_file", { path: d }] as const,
            ["move_file", { source: d, destination: `moved-dir-${marker}` }] as const
          ])
        ])
      ]
      const leaks = [outsideSecret, secretFileB, "agentbay.db", dirName, "inside.txt", `${b}`]
      const notRefused: Array<string> = []
      for (const [tool, args] of calls) {
        const data = okData(
          yield* call(port, "CallMcpTool", {
            SessionId: a,
            Name: tool,
            Args: JSON.stringify(args),
            Server: "",
            AutoGenSession: "false"
          }, `Bearer ${keyA}`)
        )
        const text = McpTool.textOf(data)
        if (data.isError !== true) notRefused.push(`${tool} ${JSON.stringify(args)} -> ${text.slice(0, 120)}`)
        // Errors name the path as given: what the request itself holds is no leak.
        for (const leak of leaks.filter((l) => !JSON.stringify(args).includes(l))) {
          assert.notInclude(text, leak, `${tool} ${JSON.stringify(args)} shows nothing outside`)
        }
      }
      // read_multiple_files reports per file: each an error, nothing leaked.
      const multi = okData(
        yield* call(port, "CallMcpTool", {
          SessionId: a,
          Name: "read_multiple_files",
          Args: JSON.stringify({ paths: files }),
          Server: "",
          AutoGenSession: "false"
        }, `Bearer ${keyA}`)
      )
      const multiText = McpTool.textOf(multi)
      for (const leak of leaks.filter((l) => !files.some((f) => f.includes(l)))) {
        assert.notInclude(multiText, leak, "read_multiple_files shows nothing outside")
      }
      const contents = multiText.split("\n---\n").filter((part) => part.trim() !== "")
      assert.strictEqual(contents.length, files.length, multiText)
      for (const part of contents) assert.match(part, /^[^\n]*: Error: /, `read_multiple_files: ${part.slice(0, 120)}`)
      // Nothing changed outside the session.
      assert.strictEqual(Fs.readFileSync(secretPath, "utf8"), outsideSecret)
      assert.deepStrictEqual(Fs.readdirSync(outsideDir), ["inside.txt"])
      assert.strictEqual(
        Fs.readFileSync(Path.join(info.dataDir, "sandboxes", b, "home", "secret.txt"), "utf8"),
        secretFileB
      )
      assert.strictEqual(Fs.readFileSync(Path.join(homeA, "mine.txt"), "utf8"), "mine")
      const written = filesBelow(info.dataDir).filter((f) =>
        !f.startsWith(`${treeA}/`) && Fs.readFileSync(f).includes(pwned)
      )
      assert.deepStrictEqual(written, [], "no file outside A's tree holds what the tools tried to write")
      assert.deepStrictEqual(notRefused, [], "every escape is refused (isError)")
      // Deleting or renaming a link acts on the link, never on what it points to.
      const tool = (name: string, args: Record<string, unknown>) =>
        Effect.map(
          call(port, "CallMcpTool", {
            SessionId: a,
            Name: name,
            Args: JSON.stringify(args),
            Server: "",
            AutoGenSession: "false"
          }, `Bearer ${keyA}`),
          okData
        )
      assert.isFalse((yield* tool("move_file", { source: "link-data", destination: "renamed-link" })).isError)
      assert.isTrue(
        (yield* tool("read_file", { path: `renamed-link/${name}` })).isError,
        "the renamed link still escapes"
      )
      assert.isFalse((yield* tool("delete_file", { path: "link-file" })).isError)
      assert.isFalse((yield* tool("delete_file", { path: "link-b" })).isError)
      assert.isFalse((yield* tool("delete_file", { path: "/tmp/link-out" })).isError)
      assert.strictEqual(Fs.readFileSync(secretPath, "utf8"), outsideSecret)
      assert.deepStrictEqual(Fs.readdirSync(outsideDir), ["inside.txt"])
      assert.strictEqual(
        Fs.readFileSync(Path.join(info.dataDir, "sandboxes", b, "home", "secret.txt"), "utf8"),
        secretFileB
      )
      assert.isTrue(Fs.existsSync(Path.join(info.dataDir, "agentbay.db")))
      figure("security/escapes", { toolCalls: calls.length + 1, files: files.length, dirs: dirs.length })
    }))

  it.effect("one session cannot read another's files: file tools and, under bubblewrap, the shell", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const { a, b } = yield* sessions
      const info = yield* AgentBayLocal.Info
      assert.strictEqual(info.isolation.level, "bubblewrap")
      const hostB = Path.join(info.dataDir, "sandboxes", b, "home", "secret.txt")
      const tool = (name: string, args: Record<string, unknown>) =>
        Effect.map(
          call(port, "CallMcpTool", {
            SessionId: a,
            Name: name,
            Args: JSON.stringify(args),
            Server: "",
            AutoGenSession: "false"
          }, `Bearer ${keyA}`),
          okData
        )
      for (
        const path of [
          hostB,
          `../../../${b}/home/secret.txt`,
          `/tmp/../../${b}/home/secret.txt`,
          `/proc/1/root${hostB}`
        ]
      ) {
        const data = yield* tool("read_file", { path })
        assert.isTrue(data.isError, `read_file ${path}`)
        assert.notInclude(McpTool.textOf(data), secretFileB)
      }
      const shell = yield* tool("shell", {
        command: [
          `cat ${hostB}`,
          `ls -la ${Path.join(info.dataDir, "sandboxes")}`,
          `cat /proc/*/root${hostB}`,
          "find / -xdev -name secret.txt -exec cat {} + 2>/dev/null",
          "cat /home/wuying/secret.txt"
        ].join("; "),
        timeout_ms: 20_000
      })
      const out = McpTool.textOf(shell)
      const result = Either.getOrThrow(McpTool.decodeResult(McpTool.Shell, out))
      assert.notInclude(out, secretFileB, "the shell of A never shows B's file")
      // (stderr echoes the paths tried, which name B's tree)
      assert.notInclude(result.stdout, b, "nor lists B's tree")
      assert.include(result.stdout, secretFileA, "while A's own file is there (the commands ran)")
    }))

  it.effect("the key (and a pre-signed URL's token) never appears in logs, spans, SDK errors, responses or the data directory", () =>
    Effect.gen(function*() {
      const port = yield* Port
      const info = yield* AgentBayLocal.Info
      // The SDK with the key, with the same log and span capture: a session's life, SyncContext
      // (the key travels in the query), and failures (unknown session, wrong key, defects).
      const errors: Array<string> = []
      const tokens: Array<string> = []
      const sdk = (key: string) =>
        Layer.provideMerge(
          AgentBay.layer({ apiKey: Redacted.make(key), endpoint: info.endpoint }),
          NodeHttpClient.layerUndici
        )
      const remember = (error: unknown) =>
        Effect.sync(() => {
          errors.push(String(error), JSON.stringify(error), Cause.pretty(Cause.fail(error)))
        })
      yield* Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const raw = yield* AgentBayClient.AgentBayClient
        const s = yield* bay.create({ labels: { k: "v" } })
        yield* s.setLabels({ k: "w" })
        yield* raw.syncContext({ sessionId: s.id })
        yield* s.filesystem.writeFile("/home/wuying/x.txt", "x")
        // Pre-signed URLs: their tokens are credentials too (a file transfer, and a PUT and a GET by hand).
        yield* s.filesystem.uploadFile(new TextEncoder().encode("t"), "/home/wuying/in/t.txt")
        yield* s.filesystem.downloadFileBytes("/home/wuying/in/t.txt")
        const context = yield* bay.context.create("security-key-test")
        const up = yield* bay.context.getFileUploadUrl(context.id, "/home/wuying/t.txt")
        yield* raw.putUrl(up.url, new TextEncoder().encode("t"))
        const down = yield* bay.context.getFileDownloadUrl(context.id, "/home/wuying/t.txt")
        yield* Stream.runDrain(yield* raw.getUrl(down.url))
        for (const url of [up.url, down.url]) tokens.push(Redacted.value(url).split("/context-files/")[1]!)
        yield* bay.delete(s.id)
        yield* Effect.flip(bay.get("local-000000000000000000000000")).pipe(Effect.flatMap(remember))
        yield* Effect.flip(s.setLabels({ k: "gone" })).pipe(Effect.flatMap(remember))
        yield* Effect.flip(s.filesystem.readFile("../../etc/shadow")).pipe(Effect.flatMap(remember))
      }).pipe(Effect.provide(sdk(keyA)), Effect.provide(Layer.merge(captureLogs, captureSpans)))
      yield* Effect.flip(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create())).pipe(
        Effect.flatMap(remember),
        Effect.provide(sdk(wrongKey)),
        Effect.provide(Layer.merge(captureLogs, captureSpans))
      )
      assert.isTrue(errors.some((e) => e.includes("AuthError")), "the wrong key was refused")
      // Requests whose handling logs: defects (500), conflicts, key in the query and the body.
      const texts: Array<string> = []
      const raws: ReadonlyArray<readonly [string, string]> = [
        [
          "/?Action=CreateMcpSession",
          form({ Authorization: `Bearer ${keyA}`, Labels: "{\"a\":".repeat(6_000) + "\"v\"" + "}".repeat(6_000) })
        ],
        [
          `/?Action=ListSession&${form({ Authorization: `Bearer ${keyA}` })}`,
          form({ Authorization: `Bearer ${keyB}` })
        ],
        [
          `/?Action=SyncContext&${form({ Authorization: `Bearer ${keyA}` })}`,
          form({ SessionId: "local-000000000000000000000000" })
        ],
        ["/?Action=NoSuchAction", form({ Authorization: `Bearer ${keyA}` })],
        ["/?Action=ListSession", `${form({ Authorization: `Bearer ${keyA}` })}&%zz`]
      ]
      for (const [path, body] of raws) {
        const answer = yield* send(false, port, { path, headers: formType, body })
        texts.push(answer._tag === "Response" ? answer.text : "")
      }
      const keys = [keyA, keyB, wrongKey]
      assert.strictEqual(tokens.length, 2, "two URL tokens to look for")
      const secrets = [...keys, ...tokens]
      const show = (v: unknown) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? String(x) : x)) ?? ""
      const holds = (text: string) => secrets.some((secret) => text.includes(secret))
      // Where a key shows: span name and attribute (or event, or exit), log line, error, response.
      const found = [
        ...spans.flatMap((sp) => [
          ...[...sp.attributes].filter(([, v]) => holds(show(v))).map(([k]) => `span ${sp.name}: attribute ${k}`),
          ...(holds(show(sp.events)) ? [`span ${sp.name}: events`] : []),
          ...(sp.exit !== undefined && holds(sp.exit) ? [`span ${sp.name}: exit`] : [])
        ]),
        ...logs.filter(holds).map((line) => `log: ${line.slice(0, 160)}`),
        ...errors.filter(holds).map((e) => `SDK error: ${e.slice(0, 160)}`),
        ...texts.flatMap((t, i) => (holds(t) ? [`response ${i}: ${t.slice(0, 160)}`] : []))
      ]
      assert.isAbove(logs.length, 0, "logs were captured")
      assert.isTrue(spans.some((s) => s.name === "BackendRuntime.handle"), "server spans were captured")
      assert.isTrue(spans.some((s) => s.name === "AgentBayClient.SyncContext"), "client spans were captured")
      // The data dir: every file (database, WAL, trees) holds no key, but the hash of A's (its sessions' owner).
      const all = filesBelow(info.dataDir)
      for (const file of all) {
        const bytes = Fs.readFileSync(file)
        for (const key of keys) assert.isFalse(bytes.includes(key), `${file} holds a key`)
      }
      const hashA = createHash("sha256").update(keyA, "utf8").digest("hex")
      assert.isTrue(
        all.some((f) => Fs.readFileSync(f).includes(hashA)),
        "the database holds the hash (so the search reads it)"
      )
      figure("security/key", {
        logLines: logs.length,
        spans: spans.length,
        sdkErrors: errors.length / 3,
        responses: texts.length,
        dataFiles: all.length,
        found: [...new Set(found)]
      })
      assert.deepStrictEqual([...new Set(found)], [], "no key or URL token in logs, spans, errors or responses")
    }))
})

describe("a generated key", () => {
  it.live(
    "is in the key file (by design) and nowhere else in the data dir; the database holds its hash",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir("agentbay-chaos-key-", varTmp)
        const key = yield* Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          const info = yield* AgentBayLocal.Info
          const s = yield* bay.create({ labels: { a: "b" } })
          yield* s.filesystem.writeFile("/home/wuying/f.txt", "f")
          return Redacted.value(Option.getOrThrow(info.apiKey))
        }).pipe(Effect.provide(AgentBayLocal.layer({ dataDir: dir, isolation: "bubblewrap" })))
        const holding = filesBelow(dir).filter((f) => Fs.readFileSync(f).includes(key)).map((f) =>
          Path.relative(dir, f)
        )
        assert.deepStrictEqual(holding, ["api-key"])
        const hash = createHash("sha256").update(key, "utf8").digest("hex")
        assert.isTrue(filesBelow(dir).some((f) => f.includes("agentbay.db") && Fs.readFileSync(f).includes(hash)))
      }).pipe(Effect.scoped),
    60_000
  )
})
