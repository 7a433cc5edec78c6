// Fixture replay of the session-lifecycle and tool fixtures (the machinery is in
// fixtureReplay.ts; contexts, volumes, networks and file transfer are replayed by
// FixturesPersistence.test.ts). Tool answers (CallMcpTool) must also agree on
// `isError`, and on the exact result text wherever it is determined (see `toolFixtures`).
//
// The server runs the REAL sandbox in process mode, so shell and run_code really
// run (sh, python3). Each tool fixture first puts into its session the files the
// recording had there (written through LocalFiles into the session's tree).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalFiles from "../src/LocalFiles.js"
import * as Sandbox from "../src/Sandbox.js"
import {
  allFixtures,
  exactly,
  load,
  makeContext,
  makeNetwork,
  persistenceFixtures,
  place,
  type Placed,
  replay,
  type TextCheck,
  Values
} from "./fixtureReplay.js"
import { portOf } from "./utils.js"

type Setup = (
  bay: AgentBay.AgentBay.Service,
  client: AgentBayClient.AgentBayClient.Service
) => Effect.Effect<Placed, unknown>

const fast = { interval: "20 millis", timeout: "10 seconds" } as const
const demo = { project: "demo" }
const times = (n: number, make: () => Effect.Effect<{ id: string }, unknown>) =>
  Effect.map(Effect.forEach(Array.from({ length: n }), make), (ss) => ss.map((s) => s.id))

const none: Setup = () => Effect.succeed([])
// The two contexts create-with-context-sync.json syncs.
const persistContexts = (client: AgentBayClient.AgentBayClient.Service) =>
  Effect.map(
    Effect.all([makeContext(client, "fixture-data"), makeContext(client, "fixture-cache")]),
    ([data, cache]) => ({ "<CONTEXT_ID_1>": data, "<CONTEXT_ID_2>": cache })
  )
const one: Setup = (bay) => times(1, () => bay.create())
const demoThree: Setup = (bay) => Effect.zipLeft(times(3, () => bay.create({ labels: demo })), bay.create())

// For each fixture: the sessions `<SESSION_ID_1>`, `<SESSION_ID_2>`, ... stand for, made in the right state.
const fixtures: ReadonlyArray<readonly [string, Setup]> = [
  ["create", none],
  ["create-with-labels", none],
  ["create-with-image", none],
  ["create-with-policy", none],
  ["create-with-network", (_, client) => Effect.map(makeNetwork(client), (id) => ({ "<NETWORK_ID_1>": id }))],
  ["create-with-volume", none],
  ["create-with-context-sync", (_, client) => persistContexts(client)],
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
  ["delete-with-sync-context", (bay, client) =>
    Effect.gen(function*() {
      const contexts = yield* persistContexts(client)
      const session = yield* bay.create({
        labels: { project: "persist" },
        contextSync: [
          { contextId: contexts["<CONTEXT_ID_1>"], path: "/home/wuying/data" },
          { contextId: contexts["<CONTEXT_ID_2>"], path: "/home/wuying/cache" }
        ]
      })
      return { ...contexts, "<SESSION_ID_1>": session.id }
    })],
  ["error-bad-key", none],
  ["error-bad-key-list", none],
  ["error-get-unknown-session", none],
  ["error-unknown-action", one]
]

const argsOf = (name: string) => load(name).exchanges.map((ex) => JSON.parse(new Map(ex.request.form).get("Args")!))
const textOf = (name: string, n: number): string => load(name).exchanges[n]!.response.body!.Data.content[0].text

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

// Every fixture replayed, with the sessions it needs and, for a tool fixture, its case.
const cases: ReadonlyArray<readonly [string, Setup, ToolCase | undefined]> = [
  ...fixtures.map(([name, setup]) => [name, setup, undefined] as const),
  ...toolFixtures.map(([name, c]) => [name, c.setup ?? one, c] as const)
]

const keys = cases.map((_, i) => `akl-fixture-${i}`)
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: keys.map((k) => Redacted.make(k)), transitionDelay: "500 millis", deleteDelay: "500 millis" },
  (dataDir) => Sandbox.layer({ dataDir, isolation: "process" })
)

/** The host path of a session's home (what `pwd` prints there in process mode). */
const hostHomeOf = (dataDir: string, id: string) => fs.realpathSync(`${dataDir}/sandboxes/${id}/home`)

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
        const ids = yield* Effect.flatMap(
          Effect.all([AgentBay.AgentBay, AgentBayClient.AgentBayClient]),
          ([bay, client]) => setup(bay, client)
        ).pipe(
          Effect.provide(AgentBay.layer({ apiKey: Redacted.make(keys[i]!), endpoint: info.endpoint })),
          Effect.provide(NodeHttpClient.layerUndici)
        )
        const values = new Values(keys[i]!, info.hostPort)
        place(values, ids)
        const first = () => values.ids.get("<SESSION_ID_1>")!
        if (tool?.files !== undefined) yield* put(info.dataDir, first(), tool.files)
        yield* replay(name, values, portOf(info.endpoint), {
          text: tool?.text ?? exactly,
          home: () => hostHomeOf(info.dataDir, first())
        })
        if (tool?.after !== undefined) yield* verify(info.dataDir, first(), tool.after)
      }))
  )

  it.effect("every fixture is replayed once, here or in FixturesPersistence.test.ts", () =>
    Effect.sync(() => {
      const replayed = [...cases.map(([name]) => name), ...persistenceFixtures]
      assert.strictEqual(new Set(replayed).size, replayed.length, "each fixture once")
      assert.sameMembers(replayed, [...allFixtures()])
    }))
})
