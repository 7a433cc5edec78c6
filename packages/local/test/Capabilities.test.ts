// One behavioural suite of the session capabilities (files, commands, pause, metrics, the MCP catalogue),
// written once as a function of the layer and run against both backends: the fake (AgentBayTest: in-memory
// files, programmed commands) and the embedded local runtime (AgentBayLocal: real files, real processes).
// The suite body is the same for both; only the hook that programs a command differs (`Backend.onCommand`
// on the fake, nothing on the local runtime, which runs the command). Real time (it.live): the local
// runtime runs real processes, and the fake's programmed sleep then runs on the real clock too.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as McpTool from "@effect-agentbay/core/McpTool"
import type { Session } from "@effect-agentbay/core/Session"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { bubblewrapMissing } from "./bubblewrap.js"
import { concat, has, textOf } from "./capabilities.js"

const home = "/home/wuying"
const window = McpTool.chunkSize // 61 440

/** The one place the backends differ: how a test says what a command produces. */
class Commands extends Context.Tag("test/Capabilities/Commands")<Commands, {
  /** Fake: what the command (exact text) produces. Local runtime: nothing, the command really runs. */
  readonly program: (command: string, handler: AgentBayTest.CommandHandler) => Effect.Effect<void>
}>() {}

interface Target {
  readonly name: string
  /** A fresh backend per test. */
  readonly layer: () => Layer.Layer<AgentBay.AgentBay | Commands, unknown>
}

const targets: ReadonlyArray<Target> = [
  {
    name: "the fake (AgentBayTest)",
    layer: () =>
      Layer.effect(Commands, Effect.map(AgentBayTest.Backend, (backend) => ({ program: backend.onCommand }))).pipe(
        Layer.provideMerge(AgentBayTest.layer())
      )
  },
  {
    name: "the local runtime (AgentBayLocal, auto isolation)",
    layer: () => Layer.merge(AgentBayLocal.layer(), Layer.succeed(Commands, { program: () => Effect.void }))
  },
  // Where auto picks bubblewrap, plain processes too (elsewhere auto already is process mode).
  ...(bubblewrapMissing === undefined
    ? [{
      name: "the local runtime (AgentBayLocal, process isolation)",
      layer: () =>
        Layer.merge(
          AgentBayLocal.layer({ isolation: "process" }),
          Layer.succeed(Commands, { program: () => Effect.void })
        )
    }]
    : [])
]

const encoder = new TextEncoder()
const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/** A fresh session of the backend under test, deleted when the test ends. */
const withSession = <A, E, R>(body: (session: Session, bay: AgentBay.AgentBay.Service) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    return yield* body(yield* bay.session(), bay)
  }))

const suite = (target: Target) =>
  describe(`session capabilities on ${target.name}`, () => {
    const test = <A, E>(name: string, body: Effect.Effect<A, E, AgentBay.AgentBay | Commands>) =>
      it.live(name, () => Effect.provide(body, target.layer()), { timeout: 30_000 })

    test(
      "files: multi-byte text, write modes, info, list, nested directories, move, delete",
      withSession((s) =>
        Effect.gen(function*() {
          const fs = s.filesystem
          const text = "Grüße, 世界! Ελληνικά — 😀🎉\n"
          yield* fs.writeFile(`${home}/hello.txt`, text)
          assert.strictEqual(yield* fs.readFile(`${home}/hello.txt`), text)
          assert.deepStrictEqual(yield* fs.readFileBytes(`${home}/hello.txt`), encoder.encode(text))

          // overwrite (default) / append / create_new
          yield* fs.writeFile("modes.txt", "one")
          yield* fs.writeFile("modes.txt", "+two", { mode: "append" })
          assert.strictEqual(yield* fs.readFile(`${home}/modes.txt`), "one+two")
          yield* fs.writeFile(`${home}/modes.txt`, "three", { mode: "overwrite" })
          assert.strictEqual(yield* fs.readFile("modes.txt"), "three")
          const exists = yield* Effect.flip(fs.writeFile(`${home}/modes.txt`, "four", { mode: "create_new" }))
          assert.strictEqual(exists._tag, "ToolError")
          assert.include(textOf(exists), "already exists")
          assert.strictEqual(yield* fs.readFile("modes.txt"), "three")
          yield* fs.writeFile(`${home}/fresh.txt`, "new", { mode: "create_new" })
          assert.strictEqual(yield* fs.readFile(`${home}/fresh.txt`), "new")

          // getFileInfo: bytes of UTF-8, file vs directory
          const info = yield* fs.getFileInfo(`${home}/hello.txt`)
          has(info, {
            name: "hello.txt",
            path: `${home}/hello.txt`,
            size: encoder.encode(text).length,
            isDirectory: false
          })
          assert.isTrue((yield* fs.getFileInfo(home)).isDirectory)

          // createDirectory makes missing parents; an existing directory is fine
          yield* fs.createDirectory(`${home}/a/b/c`)
          yield* fs.createDirectory(`${home}/a/b`)
          has(yield* fs.getFileInfo(`${home}/a/b/c`), { isDirectory: true, path: `${home}/a/b/c` })
          yield* fs.writeFile(`${home}/a/b/c/deep.txt`, "deep")

          assert.deepStrictEqual(yield* fs.listDirectory(home), [
            { name: "a", isDirectory: true },
            { name: "fresh.txt", isDirectory: false },
            { name: "hello.txt", isDirectory: false },
            { name: "modes.txt", isDirectory: false }
          ])

          // moveFile: the content goes, the source is gone; onto an existing file it is refused
          yield* fs.moveFile(`${home}/fresh.txt`, `${home}/a/moved.txt`)
          assert.strictEqual(yield* fs.readFile(`${home}/a/moved.txt`), "new")
          assert.strictEqual((yield* Effect.flip(fs.readFile(`${home}/fresh.txt`)))._tag, "ToolError")
          const onto = yield* Effect.flip(fs.moveFile(`${home}/modes.txt`, `${home}/hello.txt`))
          assert.include(textOf(onto), "already exists")
          assert.deepStrictEqual(yield* fs.listDirectory(`${home}/a`), [
            { name: "b", isDirectory: true },
            { name: "moved.txt", isDirectory: false }
          ])

          // deleteFile: a file, then a directory with its contents; reads after it fail typed
          yield* fs.deleteFile(`${home}/hello.txt`)
          const gone = yield* Effect.flip(fs.readFile(`${home}/hello.txt`))
          assert.strictEqual(gone._tag, "ToolError")
          assert.include(textOf(gone), "no such file")
          yield* fs.deleteFile(`${home}/a`)
          assert.strictEqual((yield* Effect.flip(fs.readFile(`${home}/a/b/c/deep.txt`)))._tag, "ToolError")
          assert.strictEqual((yield* Effect.flip(fs.getFileInfo(`${home}/a`)))._tag, "ToolError")
          assert.strictEqual((yield* Effect.flip(fs.deleteFile(`${home}/a`)))._tag, "ToolError")
          assert.deepStrictEqual(yield* fs.listDirectory(home), [{ name: "modes.txt", isDirectory: false }])

          // /tmp is the session's too
          yield* fs.writeFile("/tmp/scratch.txt", "scratch")
          assert.strictEqual(yield* fs.readFile("/tmp/scratch.txt"), "scratch")

          // Binary content never goes over write_file (same ValidationError, nothing sent)
          const binary = yield* Effect.flip(fs.writeFile(`${home}/x.bin`, new Uint8Array([0xff, 0xfe, 0x00])))
          has(binary, { _tag: "ValidationError", field: "content" })
          assert.strictEqual((yield* Effect.flip(fs.getFileInfo(`${home}/x.bin`)))._tag, "ToolError")
        })
      )
    )

    test(
      "files: edge cases (empty file, BOM, modes, a file as a parent, the home itself, moving into itself)",
      withSession((s) =>
        Effect.gen(function*() {
          const fs = s.filesystem
          yield* fs.writeFile(`${home}/empty.txt`, "")
          has(yield* fs.getFileInfo(`${home}/empty.txt`), { size: 0, isDirectory: false })
          assert.strictEqual(yield* fs.readFile(`${home}/empty.txt`), "")
          const nothing = yield* Stream.runCollect(fs.readFileStream(`${home}/empty.txt`))
          assert.deepStrictEqual(Chunk.toReadonlyArray(nothing), [])
          yield* fs.writeFile(`${home}/bom.txt`, "\uFEFFwith a BOM")
          assert.strictEqual(yield* fs.readFile(`${home}/bom.txt`), "\uFEFFwith a BOM")
          assert.deepStrictEqual([...(yield* fs.readFileBytes(`${home}/bom.txt`)).subarray(0, 3)], [0xef, 0xbb, 0xbf])

          yield* fs.createDirectory(`${home}/dir`)
          has(yield* fs.getFileInfo(`${home}/empty.txt`), { mode: "-rw-r--r--" })
          has(yield* fs.getFileInfo(`${home}/dir`), { mode: "drwxr-xr-x", isDirectory: true })
          assert.deepStrictEqual(yield* fs.listDirectory(`${home}/dir`), [])
          assert.include(textOf(yield* Effect.flip(fs.readFile(`${home}/dir`))), "is a directory")
          assert.include(textOf(yield* Effect.flip(fs.writeFile(`${home}/dir`, "x"))), "is a directory")
          assert.include(textOf(yield* Effect.flip(fs.listDirectory(`${home}/empty.txt`))), "not a directory")

          // A file where a directory is needed
          assert.include(textOf(yield* Effect.flip(fs.writeFile(`${home}/empty.txt/child`, "x"))), "not a directory")
          assert.include(textOf(yield* Effect.flip(fs.createDirectory(`${home}/empty.txt`))), "exists and is a file")
          assert.include(textOf(yield* Effect.flip(fs.createDirectory(`${home}/empty.txt/sub`))), "not a directory")

          // The home and /tmp themselves cannot go; a directory cannot move into itself
          assert.include(textOf(yield* Effect.flip(fs.deleteFile(home))), "cannot remove or move")
          assert.include(textOf(yield* Effect.flip(fs.deleteFile("/tmp"))), "cannot remove or move")
          assert.include(textOf(yield* Effect.flip(fs.moveFile(`${home}/dir`, `${home}/dir/inner`))), "into itself")
          assert.include(textOf(yield* Effect.flip(fs.moveFile(`${home}/nope`, `${home}/other`))), "no such file")
          assert.include(textOf(yield* Effect.flip(fs.getFileChanges(`${home}/nope`))), "no such file")
          assert.include(textOf(yield* Effect.flip(fs.getFileChanges(`${home}/empty.txt`))), "not a directory")

          // A pattern without wildcards matches names that contain it
          assert.deepStrictEqual(yield* fs.searchFiles(home, "mpt"), [`${home}/empty.txt`])
          assert.deepStrictEqual(yield* fs.searchFiles(home, "di?"), [`${home}/dir`])
        })
      )
    )

    test(
      "files: search with exclude, read several, edit (dry run, real, missing oldText), file changes",
      withSession((s) =>
        Effect.gen(function*() {
          const fs = s.filesystem
          yield* fs.writeFile(`${home}/proj/src/a.ts`, "export const a = 1")
          yield* fs.writeFile(`${home}/proj/src/b.md`, "# b")
          yield* fs.writeFile(`${home}/proj/node_modules/dep/c.ts`, "export {}")
          yield* fs.writeFile(`${home}/proj/d.ts`, "export const d = 4")
          assert.deepStrictEqual(yield* fs.searchFiles(`${home}/proj`, "*.ts"), [
            `${home}/proj/d.ts`,
            `${home}/proj/node_modules/dep/c.ts`,
            `${home}/proj/src/a.ts`
          ])
          assert.deepStrictEqual(yield* fs.searchFiles(`${home}/proj`, "*.ts", { exclude: ["node_modules"] }), [
            `${home}/proj/d.ts`,
            `${home}/proj/src/a.ts`
          ])
          assert.deepStrictEqual(yield* fs.searchFiles(`${home}/proj`, "*.ts", { exclude: ["src/**", "dep"] }), [
            `${home}/proj/d.ts`
          ])
          assert.strictEqual((yield* Effect.flip(fs.searchFiles(`${home}/nowhere`, "*")))._tag, "ToolError")

          assert.deepStrictEqual(yield* fs.readMultipleFiles([`${home}/proj/src/a.ts`, `${home}/proj/src/b.md`]), [
            { path: `${home}/proj/src/a.ts`, content: "export const a = 1" },
            { path: `${home}/proj/src/b.md`, content: "# b" }
          ])

          yield* fs.writeFile(`${home}/notes.md`, "status: draft\nowner: ünïcødé\n")
          const dry = yield* fs.editFile(`${home}/notes.md`, [{ oldText: "draft", newText: "final" }], { dryRun: true })
          assert.include(dry, "Dry run")
          assert.strictEqual(yield* fs.readFile(`${home}/notes.md`), "status: draft\nowner: ünïcødé\n")
          yield* fs.editFile(`${home}/notes.md`, [
            { oldText: "draft", newText: "final" },
            { oldText: "ünïcødé", newText: "😀" }
          ])
          assert.strictEqual(yield* fs.readFile(`${home}/notes.md`), "status: final\nowner: 😀\n")
          const missing = yield* Effect.flip(fs.editFile(`${home}/notes.md`, [{ oldText: "absent", newText: "x" }]))
          assert.strictEqual(missing._tag, "ToolError")
          assert.include(textOf(missing), "oldText not found")
          assert.strictEqual(yield* fs.readFile(`${home}/notes.md`), "status: final\nowner: 😀\n")

          // The first call starts watching and reports nothing; then a created file (and its new
          // directory), a grown file and a deleted file are reported.
          assert.deepStrictEqual(yield* fs.getFileChanges(`${home}/proj`), [])
          assert.deepStrictEqual(yield* fs.getFileChanges(`${home}/proj`), [])
          yield* fs.writeFile(`${home}/proj/new/e.ts`, "export const e = 5")
          yield* fs.writeFile(`${home}/proj/d.ts`, "\nexport const dd = 44", { mode: "append" })
          yield* fs.deleteFile(`${home}/proj/src/b.md`)
          assert.deepStrictEqual(yield* fs.getFileChanges(`${home}/proj`), [
            { eventType: "modify", path: `${home}/proj/d.ts`, pathType: "file" },
            { eventType: "create", path: `${home}/proj/new`, pathType: "directory" },
            { eventType: "create", path: `${home}/proj/new/e.ts`, pathType: "file" },
            { eventType: "delete", path: `${home}/proj/src/b.md`, pathType: "file" }
          ])
          assert.deepStrictEqual(yield* fs.getFileChanges(`${home}/proj`), [])
        })
      )
    )

    test(
      "files: ~300 KB, 4-byte characters straddling each 61 440-byte window, round-trips; the stream yields windows",
      withSession((s) =>
        Effect.gen(function*() {
          const fs = s.filesystem
          const text = "x" + "😀🎉🚀🌍".repeat(18_750)
          const bytes = encoder.encode(text)
          assert.strictEqual(bytes.length, 300_001)
          // Every window boundary falls inside a character (a continuation byte starts the next window).
          for (let at = window; at < bytes.length; at += window) assert.strictEqual(bytes[at]! & 0xc0, 0x80, `at ${at}`)

          yield* fs.writeFile(`${home}/big.txt`, text)
          assert.strictEqual((yield* fs.getFileInfo(`${home}/big.txt`)).size, bytes.length)
          assert.strictEqual(yield* fs.readFile(`${home}/big.txt`), text)
          assert.deepStrictEqual(yield* fs.readFileBytes(`${home}/big.txt`), bytes)
          const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(fs.readFileStream(`${home}/big.txt`)))
          assert.deepStrictEqual(chunks.map((c) => c.length), [window, window, window, window, 300_001 - 4 * window])
          assert.deepStrictEqual(concat(chunks), bytes)

          // appended in pieces too
          yield* fs.writeFile(`${home}/big.txt`, text, { mode: "append" })
          assert.strictEqual(yield* fs.readFile(`${home}/big.txt`), text + text)
        })
      )
    )

    test(
      "files: paths that escape the session are refused alike, system paths are read-only; unicode names",
      withSession((s) =>
        Effect.gen(function*() {
          const fs = s.filesystem
          // Outside the session's files and its read-only system view: every operation is refused.
          const outside = ["/home/wuying/../../root", "../../root/.bashrc", "/home/other", "/", "/var/log", "/proc/1"]
          for (const path of outside) {
            const read = yield* Effect.flip(fs.readFile(path))
            has(read, { _tag: "ToolError", tool: "get_file_info" }, path)
            assert.include(textOf(read), "outside the session's files", path)
            const write = yield* Effect.flip(fs.writeFile(path, "pwned"))
            has(write, { _tag: "ToolError", tool: "write_file" }, path)
            assert.include(textOf(write), "outside the session's files", path)
            const list = yield* Effect.flip(fs.listDirectory(path))
            has(list, { _tag: "ToolError", tool: "list_directory" }, path)
            assert.include(textOf(list), "outside the session's files", path)
          }
          // The system view (/etc, /usr, ...) is read-only: writes there are refused alike on both.
          // (Reading it differs by design: see CapabilitiesLocal.test.ts.)
          for (const path of ["../../etc/passwd", "/etc/passwd", "/home/wuying/../../etc/agentbay-test", "/usr/x"]) {
            const write = yield* Effect.flip(fs.writeFile(path, "pwned"))
            has(write, { _tag: "ToolError", tool: "write_file" }, path)
            assert.include(textOf(write), "read-only", path)
            const append = yield* Effect.flip(fs.writeFile(path, "pwned", { mode: "append" }))
            assert.include(textOf(append), "read-only", path)
            assert.include(textOf(yield* Effect.flip(fs.createDirectory(`${path}.d`))), "read-only", path)
            assert.include(textOf(yield* Effect.flip(fs.deleteFile(path))), "read-only", path)
          }
          assert.strictEqual((yield* Effect.flip(fs.createDirectory("/home/wuying/../escape")))._tag, "ToolError")
          yield* fs.writeFile(`${home}/inside.txt`, "inside")
          assert.include(textOf(yield* Effect.flip(fs.moveFile(`${home}/inside.txt`, "/etc/moved"))), "read-only")
          assert.include(textOf(yield* Effect.flip(fs.moveFile(`${home}/inside.txt`, "/root/moved"))), "outside")
          assert.strictEqual(yield* fs.readFile(`${home}/inside.txt`), "inside")
          // `..` that stays inside is fine
          assert.strictEqual(yield* fs.readFile("/home/wuying/sub/../inside.txt"), "inside")

          const dir = `${home}/日本語 ディレクトリ`
          const name = "ファイル 😀 ünï.txt"
          yield* fs.writeFile(`${dir}/${name}`, "内容")
          assert.deepStrictEqual(yield* fs.listDirectory(dir), [{ name, isDirectory: false }])
          assert.strictEqual(yield* fs.readFile(`${dir}/${name}`), "内容")
          has(yield* fs.getFileInfo(`${dir}/${name}`), { name, size: 6 })
          assert.deepStrictEqual(yield* fs.searchFiles(home, "*😀*"), [`${dir}/${name}`])
          yield* fs.moveFile(`${dir}/${name}`, `${home}/名前.txt`)
          assert.strictEqual(yield* fs.readFile(`${home}/名前.txt`), "内容")
        })
      )
    )

    test(
      "commands: output and exit codes as data, env and cwd, a missing cwd, a timeout",
      withSession((s) =>
        Effect.gen(function*() {
          const commands = yield* Commands
          const out = (r: { readonly stdout: string; readonly stderr: string; readonly exitCode: number }) => ({
            stdout: r.stdout,
            stderr: r.stderr,
            exitCode: r.exitCode
          })

          yield* commands.program("echo hello", { stdout: "hello\n" })
          assert.deepStrictEqual(out(yield* s.command.executeCommand("echo hello")), {
            stdout: "hello\n",
            stderr: "",
            exitCode: 0
          })

          yield* commands.program("exit 3", { exitCode: 3 })
          assert.deepStrictEqual(out(yield* s.command.executeCommand("exit 3")), {
            stdout: "",
            stderr: "",
            exitCode: 3
          })

          yield* commands.program("echo oops >&2; exit 2", { stderr: "oops\n", exitCode: 2 })
          assert.deepStrictEqual(out(yield* s.command.executeCommand("echo oops >&2; exit 2")), {
            stdout: "",
            stderr: "oops\n",
            exitCode: 2
          })

          // env and cwd reach the command: the fake answers from them exactly as the shell does.
          const greet = `echo "$GREETING" && basename "$PWD"`
          yield* commands.program(
            greet,
            (_, options) =>
              Effect.succeed({ stdout: `${options.env?.["GREETING"] ?? ""}\n${basename(options.cwd ?? home)}\n` })
          )
          yield* s.filesystem.createDirectory(`${home}/sub`)
          assert.deepStrictEqual(
            out(yield* s.command.executeCommand(greet, { cwd: `${home}/sub`, env: { GREETING: "grüß dich 👋" } })),
            { stdout: "grüß dich 👋\nsub\n", stderr: "", exitCode: 0 }
          )
          // Without a cwd the command starts in the home. (Not `basename "$PWD"`: with process isolation the
          // home is the session's host directory, `<dataDir>/sandboxes/<id>/home`.)
          const atHome = `[ "$PWD" = "$HOME" ] && echo "at home"`
          yield* commands.program(atHome, (_, options) =>
            Effect.succeed(
              options.cwd === undefined || options.cwd === home ? { stdout: "at home\n" } : { exitCode: 1 }
            ))
          assert.deepStrictEqual(out(yield* s.command.executeCommand(atHome)), {
            stdout: "at home\n",
            stderr: "",
            exitCode: 0
          })
          assert.deepStrictEqual(out(yield* s.command.executeCommand(atHome, { cwd: `${home}/sub` })), {
            stdout: "",
            stderr: "",
            exitCode: 1
          })

          // A cwd inside the session that does not exist is the tool's refusal, on both.
          const noCwd = yield* Effect.flip(s.command.executeCommand("echo hello", { cwd: `${home}/missing` }))
          has(noCwd, { _tag: "ToolError", tool: "shell" })
          assert.include(textOf(noCwd), "no such directory")
          // A non-string env value is refused before sending.
          const badEnv = yield* Effect.flip(
            s.command.executeCommand("echo hello", { env: { N: 1 } as unknown as Record<string, string> })
          )
          has(badEnv, { _tag: "ValidationError", field: "env.N" })

          // Past its timeout: CommandTimeout (the fake's program sleeps on the clock, here the real one).
          yield* commands.program("sleep 5", () => Effect.as(Effect.sleep("5 seconds"), { stdout: "too late\n" }))
          const started = Date.now()
          const slow = yield* Effect.flip(s.command.executeCommand("sleep 5", { timeout: "300 millis" }))
          has(slow, { _tag: "CommandTimeout", tool: "shell", timeout: "300ms", stdout: "" })
          assert.isBelow(Date.now() - started, 4_000)
        })
      )
    )

    test(
      "a paused session refuses tool calls with InvalidState and serves them again after resume",
      withSession((s, bay) =>
        Effect.gen(function*() {
          const commands = yield* Commands
          yield* commands.program("echo hello", { stdout: "hello\n" })
          yield* s.filesystem.writeFile(`${home}/kept.txt`, "kept")
          const paused = yield* bay.betaPauseAsync(s)
          assert.strictEqual(paused.status, "PAUSED")

          const read = yield* Effect.flip(s.filesystem.readFile(`${home}/kept.txt`))
          has(read, { _tag: "InvalidState", resource: "Session", id: s.id, operation: "callMcpTool" })
          const write = yield* Effect.flip(s.filesystem.writeFile(`${home}/other.txt`, "x"))
          has(write, { _tag: "InvalidState", id: s.id, operation: "callMcpTool" })
          const command = yield* Effect.flip(s.command.executeCommand("echo hello"))
          has(command, { _tag: "InvalidState", id: s.id, operation: "callMcpTool" })
          const metrics = yield* Effect.flip(s.getMetrics())
          has(metrics, { _tag: "InvalidState", id: s.id, operation: "callMcpTool" })

          assert.strictEqual((yield* bay.betaResumeAsync(s)).status, "RUNNING")
          assert.strictEqual(yield* s.filesystem.readFile(`${home}/kept.txt`), "kept")
          assert.strictEqual((yield* s.command.executeCommand("echo hello")).stdout, "hello\n")
          assert.strictEqual((yield* Effect.flip(s.filesystem.readFile(`${home}/other.txt`)))._tag, "ToolError")
        })
      )
    )

    test(
      "getMetrics decodes; mcp.listTools lists the 14 tools; callTool runs one by name",
      withSession((s) =>
        Effect.gen(function*() {
          yield* s.filesystem.writeFile(`${home}/data.txt`, "d".repeat(1000))
          const metrics = yield* s.getMetrics()
          assert.isAtLeast(metrics.cpu_count, 1)
          assert.isAtLeast(metrics.cpu_used_pct, 0)
          assert.isAtMost(metrics.cpu_used_pct, 100)
          assert.isAbove(metrics.mem_total, 0)
          assert.isAtLeast(metrics.disk_used, 1000)
          assert.isAtLeast(metrics.disk_total, metrics.disk_used)
          const again = yield* s.mcp.getMetrics()
          assert.deepStrictEqual(Object.keys(again).sort(), Object.keys(metrics).sort())

          const tools = yield* s.mcp.listTools()
          assert.strictEqual(tools.length, 14)
          assert.sameMembers(tools.map((t) => t.name), McpTool.all.map((t) => t.name))
          assert.strictEqual(tools.find((t) => t.name === "shell")?.server, "wuying_shell")

          const info = yield* s.mcp.callTool("get_file_info", { path: `${home}/data.txt` })
          assert.include(info.text, "size: 1000")
          const refused = yield* Effect.flip(s.mcp.callTool("read_file", { path: "/root/.bashrc" }))
          has(refused, { _tag: "ToolError", tool: "read_file" })
        })
      )
    )
  })

for (const target of targets) suite(target)
