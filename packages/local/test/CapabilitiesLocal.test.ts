// Session capabilities end to end on the embedded local runtime only: what the fake cannot show. Large text
// and binary files byte-exact against the host's copy, symlinks that lead out of a session, sessions that
// cannot reach each other's files, a timed-out command's whole process group killed, run_code in real python3
// and node, and pause/resume of real processes. `AgentBayLocal.layer()` (auto isolation: bubblewrap where it
// works, else plain processes). Real processes: real time (it.live).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as McpTool from "@effect-agentbay/core/McpTool"
import type { Session } from "@effect-agentbay/core/Session"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { concat, has, textOf } from "./capabilities.js"
import { stateOf } from "./utils.js"

const home = "/home/wuying"
const window = McpTool.chunkSize // 61 440
const MiB = 1024 * 1024
const encoder = new TextEncoder()

/** Asserts that `self` fails with a ToolError whose text includes `text`. */
const refused = <A, E extends { readonly _tag: string }>(self: Effect.Effect<A, E>, text: string, what: string) =>
  Effect.map(Effect.either(self), (result) => {
    assert.strictEqual(result._tag, "Left", `${what}: expected a refusal`)
    if (result._tag === "Left") {
      assert.strictEqual(result.left._tag, "ToolError", what)
      assert.include(textOf(result.left), text, what)
    }
  })

/** The session's home on the host: `<dataDir>/sandboxes/<id>/home`. */
const hostHome = (info: AgentBayLocal.Info["Type"], session: Session) =>
  Path.join(info.dataDir, "sandboxes", session.id, "home")

const test = <A, E>(name: string, body: Effect.Effect<A, E, AgentBay.AgentBay | AgentBayLocal.Info | Scope.Scope>) =>
  it.live(name, () => Effect.provide(Effect.scoped(body), AgentBayLocal.layer()), { timeout: 60_000 })

const session = Effect.flatMap(AgentBay.AgentBay, (bay) => bay.session())

/** Host PIDs of live (not zombie) processes whose command line is exactly `argv`. */
const liveProcesses = (argv: ReadonlyArray<string>) => {
  const wanted = argv.map((a) => `${a}\0`).join("")
  return Fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      return Fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") === wanted && ![undefined, "Z"].includes(stateOf(pid))
    } catch {
      return false
    }
  })
}

/** Reads `read()` every 5 ms until `done` holds or `limitMs` of real time pass; the last value read. */
const poll = <A>(read: () => A, done: (a: A) => boolean, limitMs: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + limitMs
    let value = read()
    while (!done(value) && Date.now() < deadline) {
      yield* Effect.sleep("5 millis")
      value = read()
    }
    return value
  })

describe("session capabilities end to end on the local runtime", () => {
  test(
    "a 5 MiB multi-byte text written through writeFile (in windows) round-trips byte-exact, as the host sees it",
    Effect.gen(function*() {
      const info = yield* AgentBayLocal.Info
      const s = yield* session
      // Numbered lines, so a misplaced window cannot hide behind a repeated pattern.
      const lines: Array<string> = []
      let size = 0
      for (let i = 0; size < 5 * MiB; i++) {
        const line = `${i}: Grüße, 世界! Ελληνικά — 😀🎉 ${"ü".repeat(i % 7)}\n`
        lines.push(line)
        size += encoder.encode(line).length
      }
      const text = lines.join("")
      const bytes = encoder.encode(text)
      assert.isAtLeast(bytes.length, 5 * MiB)
      // Window boundaries fall inside characters somewhere (the text's multi-byte runs straddle them).
      const straddling = Array.from({ length: Math.floor(bytes.length / window) }, (_, i) => (i + 1) * window)
        .filter((at) => (bytes[at]! & 0xc0) === 0x80)
      assert.isAbove(straddling.length, 10)

      yield* s.filesystem.writeFile(`${home}/big.txt`, text)
      assert.strictEqual((yield* s.filesystem.getFileInfo(`${home}/big.txt`)).size, bytes.length)
      const host = Fs.readFileSync(Path.join(hostHome(info, s), "big.txt"))
      assert.isTrue(host.equals(bytes), "the host file holds exactly the UTF-8 of the text")
      assert.isTrue((yield* s.filesystem.readFile(`${home}/big.txt`)) === text, "readFile gives the text back")
      assert.isTrue(Buffer.from(yield* s.filesystem.readFileBytes(`${home}/big.txt`)).equals(host))
      // The session's own view agrees.
      const sum = yield* s.command.executeCommand("sha256sum big.txt")
      assert.strictEqual(sum.stdout.split(" ")[0], Crypto.createHash("sha256").update(host).digest("hex"))
    })
  )

  test(
    "a 5 MiB random binary file made by a command reads back byte-exact with readFileBytes and readFileStream",
    Effect.gen(function*() {
      const info = yield* AgentBayLocal.Info
      const s = yield* session
      const made = yield* s.command.executeCommand(`head -c ${5 * MiB} /dev/urandom > f.bin && sha256sum f.bin`)
      assert.strictEqual(made.exitCode, 0, made.stderr)
      const host = Fs.readFileSync(Path.join(hostHome(info, s), "f.bin"))
      assert.strictEqual(host.length, 5 * MiB)
      assert.throws(() => new TextDecoder("utf-8", { fatal: true }).decode(host)) // really binary
      assert.strictEqual(made.stdout.split(" ")[0], Crypto.createHash("sha256").update(host).digest("hex"))

      const bytes = yield* s.filesystem.readFileBytes(`${home}/f.bin`)
      assert.strictEqual(bytes.length, 5 * MiB)
      assert.isTrue(Buffer.from(bytes).equals(host), "readFileBytes")

      const chunks = Chunk.toReadonlyArray(yield* Stream.runCollect(s.filesystem.readFileStream(`${home}/f.bin`)))
      const full = Math.floor(5 * MiB / window)
      assert.deepStrictEqual(chunks.map((c) => c.length), [
        ...Array.from({ length: full }, () => window),
        5 * MiB - full * window
      ])
      assert.isTrue(Buffer.from(concat(chunks)).equals(host), "readFileStream")
      // write_file carries text only: the same bytes cannot go back that way.
      const back = yield* Effect.flip(s.filesystem.writeFile(`${home}/copy.bin`, bytes))
      has(back, { _tag: "ValidationError", field: "content" })
    })
  )

  test(
    "symlinks made in the session to /etc/passwd and to another session's home are refused; nothing outside changes",
    Effect.gen(function*() {
      const info = yield* AgentBayLocal.Info
      const a = yield* session
      const b = yield* session
      yield* b.filesystem.writeFile(`${home}/secret.txt`, "b's secret")
      yield* a.filesystem.writeFile(`${home}/inside.txt`, "a's own")
      const bHome = hostHome(info, b)
      const passwd = Fs.readFileSync("/etc/passwd")

      const ln = yield* a.command.executeCommand(
        `ln -s /etc/passwd passwd-link && ln -s '${bHome}' other && ln -s '${bHome}/secret.txt' secret-link`
      )
      assert.strictEqual(ln.exitCode, 0, ln.stderr)
      assert.deepStrictEqual((yield* a.filesystem.listDirectory(home)).map((e) => e.name), [
        "inside.txt",
        "other",
        "passwd-link",
        "secret-link"
      ])

      const fs = a.filesystem
      const out = "symbolic link"
      yield* refused(fs.readFile("passwd-link"), out, "read passwd-link")
      yield* refused(fs.readFileBytes(`${home}/passwd-link`), out, "read bytes passwd-link")
      yield* refused(fs.getFileInfo("passwd-link"), out, "info passwd-link")
      yield* refused(fs.writeFile("passwd-link", "pwned\n"), out, "write passwd-link")
      yield* refused(fs.writeFile("passwd-link", "pwned\n", { mode: "append" }), out, "append passwd-link")
      yield* refused(fs.editFile("passwd-link", [{ oldText: "root", newText: "toor" }]), out, "edit passwd-link")
      // read_multiple_files reports a file it cannot read in its content.
      const [several] = yield* fs.readMultipleFiles(["passwd-link"])
      assert.match(several!.content, /^Error: .*symbolic link/)
      assert.notInclude(several!.content, "root:")

      yield* refused(fs.readFile("secret-link"), out, "read secret-link")
      yield* refused(fs.readFile(`${home}/other/secret.txt`), out, "read other/secret.txt")
      yield* refused(fs.listDirectory("other"), out, "list other")
      yield* refused(fs.searchFiles("other", "*"), out, "search other")
      yield* refused(fs.getFileChanges("other"), out, "watch other")
      yield* refused(fs.writeFile("other/planted.txt", "planted"), out, "write other/planted.txt")
      yield* refused(fs.writeFile("other/secret.txt", "overwritten"), out, "overwrite other/secret.txt")
      yield* refused(fs.createDirectory("other/dir"), out, "mkdir other/dir")
      yield* refused(fs.deleteFile("other/secret.txt"), out, "delete other/secret.txt")
      yield* refused(fs.moveFile("other/secret.txt", "stolen.txt"), out, "move out of other")
      yield* refused(fs.moveFile("inside.txt", "other/pushed.txt"), out, "move into other")

      // Deleting a link removes the link, never its target.
      yield* fs.deleteFile("other")
      yield* fs.deleteFile("passwd-link")
      assert.deepStrictEqual((yield* fs.listDirectory(home)).map((e) => e.name), ["inside.txt", "secret-link"])

      assert.isTrue(Fs.readFileSync("/etc/passwd").equals(passwd), "/etc/passwd unchanged")
      assert.deepStrictEqual(Fs.readdirSync(bHome), ["secret.txt"])
      assert.strictEqual(Fs.readFileSync(Path.join(bHome, "secret.txt"), "utf8"), "b's secret")
      assert.strictEqual(yield* b.filesystem.readFile(`${home}/secret.txt`), "b's secret")
      assert.strictEqual(yield* fs.readFile("inside.txt"), "a's own")
    })
  )

  test(
    "one session cannot reach another's files by path",
    Effect.gen(function*() {
      const info = yield* AgentBayLocal.Info
      const a = yield* session
      const b = yield* session
      yield* b.filesystem.writeFile(`${home}/secret.txt`, "b's secret")
      yield* b.filesystem.writeFile("/tmp/b-only.txt", "b's tmp")
      const bHome = hostHome(info, b)

      // The same sandbox path names each session's own file.
      yield* refused(a.filesystem.readFile(`${home}/secret.txt`), "no such file", "a's home has no secret")
      yield* refused(a.filesystem.readFile("/tmp/b-only.txt"), "no such file", "a's /tmp is its own")
      assert.notInclude((yield* a.filesystem.listDirectory("/tmp")).map((e) => e.name), "b-only.txt")
      // Climbing out of the home towards b's tree is an escape.
      for (const path of [`../${b.id}/home/secret.txt`, `/home/wuying/../../${bHome}/secret.txt`]) {
        const error = yield* Effect.flip(a.filesystem.readFile(path))
        assert.strictEqual(error._tag, "ToolError", path)
        assert.notInclude(textOf(error), "b's secret", path)
      }
      // b's host path names a path in a's own view: outside its files, or (when the data dir is under /tmp)
      // inside a's private /tmp, where it does not exist.
      const inTmp = bHome.startsWith("/tmp/")
      yield* refused(
        a.filesystem.readFile(`${bHome}/secret.txt`),
        inTmp ? "no such file" : "outside the session's files",
        "b's host path"
      )
      const planted = yield* Effect.either(a.filesystem.writeFile(`${bHome}/planted.txt`, "planted by a"))
      if (inTmp) {
        assert.strictEqual(planted._tag, "Right")
        const aTmp = Path.join(info.dataDir, "sandboxes", a.id, "tmp")
        const landed = Path.join(aTmp, bHome.slice("/tmp/".length), "planted.txt")
        assert.strictEqual(Fs.readFileSync(landed, "utf8"), "planted by a")
      } else {
        assert.strictEqual(planted._tag, "Left")
      }
      assert.deepStrictEqual(Fs.readdirSync(bHome), ["secret.txt"])
      assert.strictEqual(yield* b.filesystem.readFile(`${home}/secret.txt`), "b's secret")
    })
  )

  test(
    "the read-only system view: /etc/passwd reads as the host's file (the fake has none); writing there is refused",
    Effect.gen(function*() {
      const s = yield* session
      const passwd = Fs.readFileSync("/etc/passwd", "utf8")
      assert.strictEqual(yield* s.filesystem.readFile("/etc/passwd"), passwd)
      assert.strictEqual(yield* s.filesystem.readFile("../../etc/passwd"), passwd)
      assert.isTrue((yield* s.filesystem.getFileInfo("/etc")).isDirectory)
      yield* refused(s.filesystem.writeFile("/etc/passwd", "pwned"), "read-only", "write /etc/passwd")
      assert.strictEqual(Fs.readFileSync("/etc/passwd", "utf8"), passwd)
      yield* refused(s.filesystem.readFile("/home/wuying/../../root"), "outside the session's files", "/root")
    })
  )

  for (const isolation of ["auto", "process"] as const) {
    it.live(
      `a command past its timeout is CommandTimeout, and its whole process group is killed (isolation: ${isolation})`,
      () =>
        Effect.gen(function*() {
          const info = yield* AgentBayLocal.Info
          if (isolation === "process") assert.strictEqual(info.isolation.level, "process")
          const s = yield* session
          // Unusual durations, so that these sleeps are recognisable among the host's processes.
          const tag = 1000 + Math.floor(Math.random() * 8000)
          const first = `30.${tag}1`
          const second = `30.${tag}2`
          const sleepers = () => [...liveProcesses(["sleep", first]), ...liveProcesses(["sleep", second])]
          const started = Date.now()
          const run = yield* Effect.fork(Effect.flip(
            s.command.executeCommand(`echo started; sleep ${first} & sleep ${second}`, { timeout: "500 millis" })
          ))
          // Both sleeps run (the background one too) ...
          const running = yield* poll(sleepers, (pids) => pids.length === 2, 2_000)
          assert.strictEqual(running.length, 2, "both sleeps seen running")
          const timeout = yield* Fiber.join(run)
          const elapsed = Date.now() - started
          has(timeout, { _tag: "CommandTimeout", tool: "shell", timeout: "500ms", stdout: "started\n" })
          assert.isAtLeast(elapsed, 450)
          assert.isBelow(elapsed, 10_000)
          // ... and neither survives the timeout (allowing a moment for the group's kill to land).
          assert.deepStrictEqual(yield* poll(sleepers, (pids) => pids.length === 0, 3_000), [])
          // The session still runs commands.
          assert.strictEqual((yield* s.command.executeCommand("echo still here")).stdout, "still here\n")
        }).pipe(Effect.scoped, Effect.provide(AgentBayLocal.layer({ isolation }))),
      { timeout: 60_000 }
    )
  }

  test(
    "run_code: python and javascript return their last expression; an exception is data; a timeout is CommandTimeout",
    Effect.gen(function*() {
      const s = yield* session
      const py = yield* s.code.runCode("print('hi')\n2 + 3", "python")
      assert.strictEqual(py.text, "5")
      assert.deepStrictEqual(py.logs.stdout, ["hi\n"])
      assert.isUndefined(py.error)
      assert.isTrue(py.results.some((r) => r.isMainResult && r.text === "5"))

      const js = yield* s.code.runCode("console.log('hi')\n2 + 3", "javascript")
      assert.strictEqual(js.text, "5")
      assert.deepStrictEqual(js.logs.stdout, ["hi\n"])
      assert.isUndefined(js.error)

      const raised = yield* s.code.runCode("def f():\n    return 1 / 0\nf()", "python3")
      assert.isDefined(raised.error)
      assert.strictEqual(raised.error!.name, "ZeroDivisionError")
      assert.strictEqual(raised.error!.value, "division by zero")
      assert.match(raised.error!.traceback, /^Traceback[\s\S]*line 2, in f[\s\S]*ZeroDivisionError: division by zero/)

      const thrown = yield* s.code.runCode("const f = () => { throw new Error('boom') }\nf()", "js")
      assert.isDefined(thrown.error)
      assert.include(thrown.error!.traceback, "boom")

      const pySlow = yield* Effect.flip(
        s.code.runCode("import time\nprint('before', flush=True)\ntime.sleep(30)", "python", { timeout: "1 second" })
      )
      has(pySlow, { _tag: "CommandTimeout", tool: "run_code", timeout: "1s" })
      const jsSlow = yield* Effect.flip(s.code.runCode("while (true) {}", "javascript", { timeout: "1 second" }))
      has(jsSlow, { _tag: "CommandTimeout", tool: "run_code", timeout: "1s" })
      // The session is usable afterwards.
      assert.strictEqual((yield* s.code.runCode("6 * 7", "python")).text, "42")
    })
  )

  test(
    "a paused session refuses executeCommand with InvalidState and runs commands again after resume",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* session
      yield* s.command.executeCommand("echo before > state.txt")
      assert.strictEqual((yield* bay.betaPauseAsync(s)).status, "PAUSED")
      has(yield* Effect.flip(s.command.executeCommand("echo during > state.txt")), {
        _tag: "InvalidState",
        resource: "Session",
        id: s.id,
        operation: "callMcpTool"
      })
      const code = yield* Effect.flip(s.code.runCode("1", "python"))
      has(code, { _tag: "InvalidState", id: s.id, operation: "callMcpTool" })
      assert.strictEqual((yield* bay.betaResumeAsync(s)).status, "RUNNING")
      const after = yield* s.command.executeCommand("cat state.txt && echo after >> state.txt && cat state.txt")
      has(after, { stdout: "before\nbefore\nafter\n", exitCode: 0 })
    })
  )
})
