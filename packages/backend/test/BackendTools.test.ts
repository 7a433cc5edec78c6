// Every tool of McpTool.all through BackendTools.call, over MemoryFiles and a sandbox whose `exec` the test
// scripts: the result texts decode with the McpTool codecs and equal the fixtures' example responses.
import * as McpTool from "@effect-agentbay/core/McpTool"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import type * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as BackendSandbox from "../src/BackendSandbox.js"
import * as BackendTools from "../src/BackendTools.js"
import * as MemoryFiles from "../src/MemoryFiles.js"

type Exec = (argv: ReadonlyArray<string>, options: BackendSandbox.ExecOptions) => BackendSandbox.ExecResult

/** A sandbox over MemoryFiles whose exec runs `script` (default: exit 0, no output) and records its calls. */
const setup = (script: Exec = () => ({ exitCode: 0, stdout: "", stderr: "", timedOut: false })) =>
  Effect.gen(function*() {
    const files = new Map<string, BackendSandbox.SessionFiles>()
    const calls: Array<{ argv: ReadonlyArray<string>; options: BackendSandbox.ExecOptions }> = []
    const filesOf = (id: string) => {
      if (!files.has(id)) files.set(id, MemoryFiles.make())
      return files.get(id)!
    }
    const sandbox: BackendSandbox.BackendSandbox.Service = {
      isolation: { level: "memory", detail: "test" },
      start: () => Effect.void,
      pause: () => Effect.void,
      resume: () => Effect.void,
      destroy: () => Effect.void,
      exec: (sessionId, argv, options = {}) =>
        sessionId === "paused"
          ? Effect.fail(new BackendSandbox.SandboxError({ sessionId, operation: "exec", reason: "paused" }))
          : Effect.sync(() => {
            calls.push({ argv, options })
            return script(argv, options)
          }),
      files: filesOf
    }
    const state = yield* BackendTools.makeToolState({ diskTotal: () => Effect.succeed(1_000_000) })
    const call = (name: string, args: unknown, sessionId = "s1") =>
      BackendTools.call(sandbox, state, sessionId, name, args)
    const text = (name: string, args: unknown, sessionId = "s1") =>
      Effect.map(call(name, args, sessionId), (r) => {
        assert.isFalse(r.isError, `${name}: ${McpTool.textOf(r)}`)
        return McpTool.textOf(r)
      })
    const failure = (name: string, args: unknown) =>
      Effect.map(call(name, args), (r) => {
        assert.isTrue(r.isError, `${name} should fail: ${McpTool.textOf(r)}`)
        return McpTool.textOf(r)
      })
    return { call, text, failure, files: filesOf("s1"), calls, state }
  })

const decode = <R>(tool: { readonly result: Schema.Schema<R, string> }, text: string): R =>
  Either.getOrThrowWith(McpTool.decodeResult(tool, text), (e) => new Error(e))

/** The exchanges of a fixture: tool name, parsed Args, and the example response's Data. */
const fixture = (name: string) => {
  const file = JSON.parse(Fs.readFileSync(new URL(`../../../spec/fixtures/${name}.json`, import.meta.url), "utf8"))
  return (file.exchanges as Array<any>).map((e) => {
    const form = Object.fromEntries(e.request.form)
    return { tool: form.Name as string, args: JSON.parse(form.Args), data: e.response.body.Data }
  })
}

/** Replays a fixture's exchanges; each result must equal the example response. */
const replay = (call: (name: string, args: unknown) => Effect.Effect<McpTool.McpResult, unknown>, name: string) =>
  Effect.forEach(
    fixture(name),
    (x) => Effect.map(call(x.tool, x.args), (result) => assert.deepStrictEqual(result, x.data, `${name}: ${x.tool}`))
  )

const fixtureTime = Date.parse("2026-01-05T08:00:00Z")

describe("BackendTools: files", () => {
  it.effect("replays the file fixtures: the same requests get the same response texts", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* TestClock.setTime(fixtureTime)
      for (const name of ["create-directory", "write-file", "write-file-append", "get-file-info", "read-file"]) {
        yield* replay(t.call, name)
      }
      yield* replay(t.call, "read-file-bytes")
      yield* replay(t.call, "write-file-chunked")
      yield* replay(t.call, "read-file-chunked")
      yield* MemoryFiles.seed(t.files, { "/home/wuying/demo/notes.md": "# Notes\nstatus: draft\n" })
      yield* replay(t.call, "list-directory")
      yield* replay(t.call, "move-file")
      yield* replay(t.call, "search-files")
      // read_multiple_files: byte-identical to the fixture's text, final "\n" included.
      const [multiple] = fixture("read-multiple-files")
      const got = yield* t.text(multiple!.tool, multiple!.args)
      assert.strictEqual(got, multiple!.data.content[0].text)
      yield* replay(t.call, "edit-file")
      const edited = yield* MemoryFiles.snapshot(t.files)
      assert.strictEqual(edited["/home/wuying/demo/notes.md"], "# Notes\nstatus: final\n")
      yield* replay(t.call, "delete-file")
      assert.deepStrictEqual(
        decode(McpTool.ListDirectory, yield* t.text("list_directory", { path: "/home/wuying/demo" })),
        [{ name: "big.txt", isDirectory: false }, { name: "greeting.txt", isDirectory: false }]
      )
    }))

  it.effect("read_file text windows over multi-byte characters concatenate back exactly", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const content = "x" + "xab€😀é\uFEFF".repeat(14_000) // 210 KB of 1- to 4-byte characters (and BOMs)
      const bytes = new TextEncoder().encode(content)
      for (const boundary of [1, 2, 3].map((k) => k * 61440)) {
        assert.strictEqual(bytes[boundary]! & 0xc0, 0x80, `the window boundary ${boundary} cuts a character`)
      }
      yield* t.text("write_file", { path: "big.txt", content })
      const info = decode(McpTool.GetFileInfo, yield* t.text("get_file_info", { path: "big.txt" }))
      assert.strictEqual(info.size, bytes.length)
      let joined = ""
      for (let offset = 0; offset < info.size; offset += 61440) {
        joined += yield* t.text("read_file", { path: "big.txt", offset, length: Math.min(61440, info.size - offset) })
      }
      assert.isTrue(joined === content)
      // tiny windows too: every character exactly once
      const small = "é😀a€"
      yield* t.text("write_file", { path: "small.txt", content: small })
      for (const size of [1, 2, 3, 5]) {
        let parts = ""
        for (let offset = 0; offset < 10; offset += size) {
          parts += yield* t.text("read_file", { path: "small.txt", offset, length: size })
        }
        assert.strictEqual(parts, small, `windows of ${size}`)
      }
      // missing length: to the end
      assert.strictEqual(yield* t.text("read_file", { path: "small.txt", offset: 2 }), "😀a€")
      assert.strictEqual(yield* t.text("read_file", { path: "small.txt", offset: 99, length: 4 }), "")
    }))

  it.effect("read_file binary windows round-trip 5 MiB of random bytes", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const bytes = new Uint8Array(Crypto.randomBytes(5 * 1024 * 1024))
      yield* MemoryFiles.seed(t.files, { "/tmp/blob.bin": bytes })
      const back = new Uint8Array(bytes.length)
      for (let offset = 0; offset < bytes.length; offset += 61440) {
        const length = Math.min(61440, bytes.length - offset)
        const text = yield* t.text("read_file", { path: "/tmp/blob.bin", offset, length, format: "binary" })
        assert.match(text, /^[A-Za-z0-9+/]*={0,2}$/)
        back.set(Either.getOrThrow(Encoding.decodeBase64(text)), offset)
      }
      assert.isTrue(Buffer.from(back).equals(Buffer.from(bytes)))
    }))

  it.effect("write_file: overwrite, append, create_new; surrogate pairs split across appends", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.text("write_file", { path: "a.txt", content: "one\n" })
      yield* t.text("write_file", { path: "a.txt", content: "two\n", mode: "append" })
      const exists = yield* t.failure("write_file", { path: "a.txt", content: "x", mode: "create_new" })
      assert.match(exists, /a\.txt: already exists/)
      yield* t.text("write_file", { path: "new/b.txt", content: "b", mode: "create_new" })
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(t.files), {
        "/home/wuying/a.txt": "one\ntwo\n",
        "/home/wuying/new/": "",
        "/home/wuying/new/b.txt": "b"
      })
      // As the official client sends it: 61 440 UTF-16 units per piece, the pair cut in two (\ud83d \ude00 escapes).
      const content = "a".repeat(61439) + "😀" + "b".repeat(100)
      const pieces = [content.slice(0, 61440), content.slice(61440)]
      const wire = pieces.map((piece) => JSON.parse(JSON.stringify({ path: "/tmp/e.txt", content: piece })))
      assert.include(JSON.stringify(pieces[0]), "\\ud83d")
      yield* t.text("write_file", { ...wire[0], mode: "overwrite" })
      yield* t.text("write_file", { ...wire[1], mode: "append" })
      const stored = yield* t.files.read("/tmp/e.txt", 0, 1 << 20)
      assert.isTrue(new TextDecoder().decode(stored) === content)
      assert.strictEqual(stored.length, new TextEncoder().encode(content).length)
      // A lone low surrogate (nothing held) becomes U+FFFD; a held high one never completed is dropped.
      yield* t.text("write_file", { path: "/tmp/f.txt", content: "\ude00x" })
      yield* t.text("write_file", { path: "/tmp/g.txt", content: "y\ud83d" })
      yield* t.text("write_file", { path: "/tmp/h.txt", content: "z" })
      const tmp = yield* MemoryFiles.snapshot(t.files, "/tmp")
      assert.deepStrictEqual([tmp["/tmp/f.txt"], tmp["/tmp/g.txt"]], ["\uFFFDx", "y"])
    }))

  it.effect("paths out of the session's files are refused by every file tool, naming the path", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* MemoryFiles.seed(t.files, { "ok.txt": "ok" })
      const cases: Array<[string, unknown, string]> = [
        ["read_file", { path: "/root/.ssh/id_rsa" }, "/root/.ssh/id_rsa"],
        ["read_file", { path: "../../root/x" }, "../../root/x"],
        ["write_file", { path: "/home/wuying/../x", content: "x" }, "/home/wuying/../x"],
        ["list_directory", { path: "/" }, "/"],
        ["get_file_info", { path: "/tmp/../root" }, "/tmp/../root"],
        ["move_file", { source: "ok.txt", destination: "/var/ok.txt" }, "/var/ok.txt"],
        ["move_file", { source: "/work/x", destination: "x" }, "/work/x"],
        ["delete_file", { path: "/tmp/../var" }, "/tmp/../var"],
        ["create_directory", { path: "/var/x" }, "/var/x"],
        ["search_files", { path: "/opt", pattern: "*" }, "/opt"],
        ["edit_file", { path: "../x", edits: [] }, "../x"],
        ["get_file_change", { path: "/proc" }, "/proc"]
      ]
      for (const [name, args, path] of cases) {
        const text = yield* t.failure(name, args)
        assert.include(text, `${path}: outside the session's files`, name)
      }
      // The sandbox's system directories are read-only: writes are refused as such; the fake has no files there.
      const readOnly: Array<[string, unknown, string]> = [
        ["write_file", { path: "/etc/passwd", content: "x" }, "/etc/passwd"],
        ["move_file", { source: "ok.txt", destination: "/etc/ok.txt" }, "/etc/ok.txt"],
        ["delete_file", { path: "/tmp/../etc" }, "/tmp/../etc"],
        ["create_directory", { path: "/usr/x" }, "/usr/x"]
      ]
      for (const [name, args, path] of readOnly) {
        assert.include(yield* t.failure(name, args), `${path}: in the sandbox's read-only system directories`, name)
      }
      assert.include(
        yield* t.failure("read_file", { path: "/etc/hostname" }),
        "/etc/hostname: no such file",
        "read_file"
      )
      assert.deepStrictEqual(Object.keys(yield* MemoryFiles.snapshot(t.files)), ["/home/wuying/ok.txt"])
    }))

  it.effect("get_file_info, list_directory and read_multiple_files formats", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* TestClock.setTime(Date.parse("2026-02-03T04:05:06.789Z"))
      yield* MemoryFiles.seed(t.files, { "d/sub/": "", "d/f.txt": "héllo\n" })
      assert.strictEqual(
        yield* t.text("get_file_info", { path: "d/f.txt" }),
        "name: f.txt\npath: /home/wuying/d/f.txt\nsize: 7\nisDirectory: false\nmodTime: 2026-02-03T04:05:06Z\n" +
          "mode: -rw-r--r--\nowner: wuying\ngroup: wuying"
      )
      const dir = decode(McpTool.GetFileInfo, yield* t.text("get_file_info", { path: "/home/wuying/d/sub" }))
      assert.deepStrictEqual([dir.isDirectory, dir.mode, dir.path], [true, "drwxr-xr-x", "/home/wuying/d/sub"])
      assert.strictEqual(yield* t.text("list_directory", { path: "d" }), "[FILE] f.txt\n[DIR] sub")
      assert.match(yield* t.failure("read_file", { path: "d" }), /d: is a directory/)
      assert.match(yield* t.failure("list_directory", { path: "d/f.txt" }), /not a directory/)
      const multiple = yield* t.text("read_multiple_files", { paths: ["d/f.txt", "d/none.txt"] })
      assert.deepStrictEqual(decode(McpTool.ReadMultipleFiles, multiple), [
        { path: "d/f.txt", content: "héllo" },
        { path: "d/none.txt", content: "Error: d/none.txt: no such file or directory" }
      ])
    }))

  it.effect("search_files: globs and substrings on names, exclusions on names and relative paths", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* MemoryFiles.seed(t.files, {
        "p/a.txt": "",
        "p/hello.md": "",
        "p/sub/b.txt": "",
        "p/sub/deep/c.txt": "",
        "p/node_modules/x.txt": "",
        "p/yellow/": ""
      })
      const search = (pattern: string, excludePatterns?: ReadonlyArray<string>) =>
        Effect.map(
          t.text("search_files", { path: "p", pattern, ...(excludePatterns ? { excludePatterns } : {}) }),
          (text) => decode(McpTool.SearchFiles, text)
        )
      const p = "/home/wuying/p"
      assert.deepStrictEqual(yield* search("*.txt", ["node_modules"]), [
        `${p}/a.txt`,
        `${p}/sub/b.txt`,
        `${p}/sub/deep/c.txt`
      ])
      assert.deepStrictEqual(yield* search("?.txt", ["sub/*.txt", "deep", "node_*"]), [`${p}/a.txt`])
      assert.deepStrictEqual(yield* search("ello"), [`${p}/hello.md`, `${p}/yellow`])
      assert.deepStrictEqual(yield* search("*.none"), [])
      assert.match(yield* t.failure("search_files", { path: "p/a.txt", pattern: "*" }), /not a directory/)
    }))

  it.effect("edit_file: in order, first occurrence, dry run, missing text named", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* MemoryFiles.seed(t.files, { "e.txt": "a b a b\n" })
      const edits = [{ oldText: "a", newText: "$&A" }, { oldText: "b a", newText: "B" }]
      assert.match(yield* t.text("edit_file", { path: "e.txt", edits, dryRun: true }), /Dry run: 2 edit/)
      assert.strictEqual((yield* MemoryFiles.snapshot(t.files))["/home/wuying/e.txt"], "a b a b\n")
      yield* t.text("edit_file", { path: "e.txt", edits, dryRun: false })
      assert.strictEqual((yield* MemoryFiles.snapshot(t.files))["/home/wuying/e.txt"], "$&A B b\n")
      const missing = yield* t.failure("edit_file", {
        path: "e.txt",
        edits: [{ oldText: "B", newText: "" }, { oldText: "zz", newText: "" }]
      })
      assert.include(missing, "e.txt: edit 2: oldText not found: \"zz\"")
      assert.strictEqual((yield* MemoryFiles.snapshot(t.files))["/home/wuying/e.txt"], "$&A B b\n") // all or nothing
    }))

  it.effect("get_file_change: nothing at first, then creations, modifications and deletions", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* MemoryFiles.seed(t.files, { "w/keep.txt": "1", "w/gone.txt": "x" })
      const changes = () =>
        Effect.map(t.text("get_file_change", { path: "w" }), (text) => decode(McpTool.GetFileChange, text))
      assert.deepStrictEqual(yield* changes(), [])
      yield* TestClock.adjust("1 second")
      yield* MemoryFiles.seed(t.files, { "w/keep.txt": "2", "w/new/x.txt": "n" })
      yield* t.files.remove("w/gone.txt")
      assert.deepStrictEqual(yield* changes(), [
        { eventType: "delete", path: "/home/wuying/w/gone.txt", pathType: "file" },
        { eventType: "modify", path: "/home/wuying/w/keep.txt", pathType: "file" },
        { eventType: "create", path: "/home/wuying/w/new", pathType: "directory" },
        { eventType: "create", path: "/home/wuying/w/new/x.txt", pathType: "file" }
      ])
      assert.deepStrictEqual(yield* changes(), [])
    }))
})

const execResult = (partial: Partial<BackendSandbox.ExecResult>): BackendSandbox.ExecResult => ({
  exitCode: 0,
  stdout: "",
  stderr: "",
  timedOut: false,
  ...partial
})

describe("BackendTools: commands, code, metrics, catalogue", () => {
  it.effect("shell: the fixtures' texts, cwd/env/timeout passed on, timeouts, bad input", () =>
    Effect.gen(function*() {
      const t = yield* setup((argv, options) =>
        argv[2] === "echo out; echo err >&2; exit 3"
          ? execResult({ exitCode: 3, stdout: "out\n", stderr: "err\n" })
          : argv[2] === "sleep 9"
          ? execResult({ exitCode: 137, stdout: "partial", stderr: "warn", timedOut: true })
          : execResult({ stdout: `${options.env?.GREETING}\n${options.cwd}\n` })
      )
      yield* replay(t.call, "shell")
      assert.deepStrictEqual(t.calls[0], {
        argv: ["sh", "-c", "echo \"$GREETING\" && pwd"],
        options: { timeout: t.calls[0]!.options.timeout, cwd: "/home/wuying", env: { GREETING: "hello world" } }
      })
      assert.strictEqual(String(t.calls[0]!.options.timeout), "Duration(5s)")
      yield* replay(t.call, "shell-exit-code")
      const timedOut = decode(McpTool.Shell, yield* t.text("shell", { command: "sleep 9", timeout_ms: 300 }))
      assert.deepStrictEqual(timedOut, {
        stdout: "partial",
        stderr: "warn\ncommand timed out after 300 ms\n",
        exit_code: 124,
        traceId: ""
      })
      const badEnv = yield* t.failure("shell", { command: "true", timeout_ms: 1, envs: { "A=B": "x" } })
      assert.match(badEnv, /environment variable name: "A=B"/)
      const badCwd = yield* t.failure("shell", { command: "true", timeout_ms: 1, cwd: "/tmp/none" })
      assert.match(badCwd, /cwd \/tmp\/none: no such directory/)
      assert.match(yield* t.failure("shell", { command: "true" }), /shell: invalid arguments: .*timeout_ms/s)
      assert.strictEqual(t.calls.length, 3)
      const paused = yield* Effect.flip(t.call("shell", { command: "true", timeout_ms: 1 }, "paused"))
      assert.strictEqual(paused._tag, "SandboxError")
    }))

  it.effect("run_code: the fixture's text, aliases, counts per session, errors, timeouts, missing interpreters", () =>
    Effect.gen(function*() {
      const seen: Array<{ argv: ReadonlyArray<string>; stdin: unknown }> = []
      let behaviour: "ok" | "timeout" | "missing" | "crash" = "ok"
      const t = yield* setup((argv, options) => {
        seen.push({ argv, stdin: options.stdin })
        const marker = argv[6]!
        switch (behaviour) {
          case "ok":
            return execResult({
              stdout: `hello\n${marker}{"result":[{"text/plain":"5","isMainResult":true}],"error":"","time":0.012}`
            })
          case "timeout":
            return execResult({ exitCode: 137, stdout: "tick\n", timedOut: true })
          case "missing":
            return execResult({ exitCode: 127, stderr: `agentbay: ${argv[3]} is not installed\n` })
          case "crash":
            return execResult({ exitCode: 139, stdout: "so far\n", stderr: "Segmentation fault\n" })
        }
      })
      yield* replay(t.call, "run-code")
      assert.deepStrictEqual(seen[0]!.argv.slice(0, 5), ["sh", "-c", seen[0]!.argv[2], "python3", "-c"])
      assert.strictEqual(seen[0]!.stdin, "print('hello')\n2 + 3")
      const run = (args: object, sessionId = "s1") =>
        Effect.map(
          t.text("run_code", { code: "1", timeout_s: 2, language: "python", ...args }, sessionId),
          (text) => decode(McpTool.RunCode, text)
        )
      assert.strictEqual((yield* run({ language: "JS" })).executionCount, 2)
      assert.deepStrictEqual(seen[1]!.argv.slice(3, 5), ["node", "-e"])
      assert.strictEqual((yield* run({ language: "py" }, "s2")).executionCount, 1)
      behaviour = "timeout"
      assert.deepStrictEqual(yield* run({ language: "nodejs" }), {
        result: [],
        stdout: ["tick\n"],
        stderr: [],
        executionError: "execution timed out after 2000 ms",
        executionTime: 2,
        executionCount: 3
      })
      behaviour = "crash"
      const crashed = yield* run({})
      assert.match(crashed.executionError!, /python3 exited with code 139 without a result/)
      assert.deepStrictEqual([crashed.stdout, crashed.stderr], [["so far\n"], ["Segmentation fault\n"]])
      behaviour = "missing"
      for (const [language, interpreter] of [["python3", "python3"], ["node", "node"]]) {
        const missing = yield* t.failure("run_code", { code: "1", language, timeout_s: 1 })
        assert.strictEqual(missing, `${interpreter} is not installed`)
      }
      const before = seen.length
      assert.strictEqual(
        yield* t.failure("run_code", { code: "1", language: "r", timeout_s: 1 }),
        "language r is not available in the local runtime"
      )
      assert.match(yield* t.failure("run_code", { code: "1", language: "cobol", timeout_s: 1 }), /invalid arguments/)
      assert.strictEqual(seen.length, before)
      yield* BackendTools.forget(t.state, "s1")
      behaviour = "ok"
      assert.strictEqual((yield* run({})).executionCount, 1)
    }))

  it.effect("get_metrics: decodes; disk_used counts the session's files; time from the Clock", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* TestClock.setTime(fixtureTime)
      yield* MemoryFiles.seed(t.files, { "a.bin": new Uint8Array(1000), "/tmp/b.bin": new Uint8Array(234) })
      const metrics = decode(McpTool.GetMetrics, yield* t.text("get_metrics", {}))
      assert.deepStrictEqual(
        [metrics.disk_used, metrics.disk_total, metrics.timestamp],
        [1234, 1_000_000, "2026-01-05T08:00:00Z"]
      )
      assert.isAtLeast(metrics.cpu_count, 1)
      assert.isTrue(metrics.mem_used > 0 && metrics.mem_used <= metrics.mem_total)
      assert.isTrue(metrics.cpu_used_pct >= 0 && metrics.cpu_used_pct <= 100)
    }))

  it.effect("catalogue: every tool, with its JSON Schema and server; unknown names fail; bad args are named", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      assert.deepStrictEqual(BackendTools.catalogue.map((e) => e.name), McpTool.all.map((tool) => tool.name))
      const shell = BackendTools.catalogue.find((e) => e.name === "shell")!
      assert.strictEqual(shell.server, "wuying_shell")
      assert.deepStrictEqual((shell.inputSchema as any).required, ["command", "timeout_ms"])
      for (const entry of BackendTools.catalogue) {
        assert.strictEqual((entry.inputSchema as any).type, "object", entry.name)
        if (entry.name === "get_metrics") continue
        // every tool has a handler: bad args reach its decoder (a missing handler would say "not implemented")
        assert.match(yield* t.failure(entry.name, { path: 42 }), new RegExp(`^${entry.name}: invalid arguments`))
      }
      assert.match(yield* t.failure("read_file", { path: 42 }), /\["path"\]/)
      const unknown = yield* Effect.flip(t.call("no_such_tool", {}))
      assert.deepStrictEqual([unknown._tag, unknown.name], ["UnknownTool", "no_such_tool"])
    }))
})

describe("MemoryFiles", () => {
  it.effect("confinement, errors, moves, modification times, bounded walk", () =>
    Effect.gen(function*() {
      const files = MemoryFiles.make({ maxWalkEntries: 4 })
      yield* TestClock.setTime(1_000)
      yield* MemoryFiles.seed(files, { "a/b.txt": "b", "/tmp/c.txt": "c" })
      assert.strictEqual((yield* files.stat("a/b.txt")).modTime, 1_000)
      const reason = (effect: Effect.Effect<unknown, BackendSandbox.FileError>) =>
        Effect.map(Effect.flip(effect), (e) => e.reason)
      assert.strictEqual(yield* reason(files.read("a/b.txt/x", 0, 1)), "NotDirectory")
      assert.strictEqual(yield* reason(files.write("a", new Uint8Array(1), "overwrite")), "IsDirectory")
      assert.strictEqual(yield* reason(files.move("a", "a/inner")), "Invalid")
      assert.strictEqual(yield* reason(files.move("a/b.txt", "/tmp/c.txt")), "Exists")
      assert.strictEqual(yield* reason(files.remove("/home/wuying")), "Invalid")
      assert.strictEqual(yield* reason(files.remove("/home/wuying/..")), "Escape")
      assert.strictEqual(yield* reason(files.makeDirectory("a/b.txt")), "Exists")
      assert.strictEqual(yield* reason(files.stat("")), "Invalid")
      yield* TestClock.setTime(2_000)
      yield* files.move("a", "/tmp/moved/a")
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(files, "/tmp"), {
        "/tmp/c.txt": "c",
        "/tmp/moved/": "",
        "/tmp/moved/a/": "",
        "/tmp/moved/a/b.txt": "b"
      })
      assert.strictEqual((yield* files.stat("/tmp/moved")).modTime, 2_000)
      yield* MemoryFiles.seed(files, { "/tmp/d.txt": "" })
      assert.strictEqual(yield* reason(files.walk("/tmp")), "TooLarge")
      assert.deepStrictEqual(
        MemoryFiles.resolvePath("x/../y/./z"),
        Either.right({
          path: "/home/wuying/y/z",
          root: "home",
          components: ["y", "z"]
        })
      )
    }))
})
