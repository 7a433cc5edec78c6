// `shell` and `run_code` through BackendTools over the REAL local Sandbox (process mode: real sh, python3 and
// node) and its LocalFiles, as the layer provides them to the backend. Real processes: real time (it.scopedLive).
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as BackendTools from "@effect-agentbay/backend/BackendTools"
import * as McpTool from "@effect-agentbay/core/McpTool"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Sandbox from "../src/Sandbox.js"

const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-tools-test-"))
afterAll(() => Fs.rmSync(base, { recursive: true, force: true }))
let dirs = 0

/** A started session "s" on a real process-mode sandbox, and `text`/`call` through BackendTools. */
const session = Effect.gen(function*() {
  const dataDir = Path.join(base, `data-${++dirs}`)
  const context = yield* Layer.build(Sandbox.layer({ dataDir, isolation: "process" }))
  const sb = Context.get(context, Sandbox.Sandbox)
  // The real wiring: the layer also provides the Sandbox as the backend's BackendSandbox (files: LocalFiles).
  const sandbox = Context.get(context, BackendSandbox.BackendSandbox)
  yield* sandbox.start("s")
  const state = yield* BackendTools.makeToolState()
  const call = (name: string, args: unknown) => BackendTools.call(sandbox, state, "s", name, args)
  const text = (name: string, args: unknown) =>
    Effect.map(call(name, args), (r) => {
      assert.isFalse(r.isError, `${name}: ${McpTool.textOf(r)}`)
      return McpTool.textOf(r)
    })
  const shell = (args: object) =>
    Effect.map(
      text("shell", { timeout_ms: 10_000, ...args }),
      (t) => Either.getOrThrow(McpTool.decodeResult(McpTool.Shell, t))
    )
  const run = (language: string, code: string, timeout_s = 20) =>
    Effect.map(
      text("run_code", { code, language, timeout_s }),
      (t) => Either.getOrThrow(McpTool.decodeResult(McpTool.RunCode, t))
    )
  return { sb, sandbox, call, text, shell, run }
})

/** The parsed Args and response text of a fixture's only exchange. */
const fixture = (name: string) => {
  const file = JSON.parse(Fs.readFileSync(new URL(`../../../spec/fixtures/${name}.json`, import.meta.url), "utf8"))
  const form = Object.fromEntries(file.exchanges[0].request.form)
  return { args: JSON.parse(form.Args), text: file.exchanges[0].response.body.Data.content[0].text as string }
}

describe("BackendTools over the real Sandbox (process mode)", () => {
  it.scopedLive("shell: the fixtures' commands, exit codes, cwd, timeouts; files shared with the file tools", () =>
    Effect.gen(function*() {
      const s = yield* session
      const greeting = yield* s.shell(fixture("shell").args)
      assert.deepStrictEqual(greeting, {
        stdout: `hello world\n${s.sb.home("s")}\n`,
        stderr: "",
        exit_code: 0,
        traceId: ""
      })
      const exit = fixture("shell-exit-code")
      assert.strictEqual(yield* s.text("shell", exit.args), exit.text)
      yield* s.text("write_file", { path: "/tmp/from-tool.txt", content: "written by write_file\n" })
      const inTmp = yield* s.shell({ command: "cat from-tool.txt; echo made by shell > made.txt", cwd: "/tmp" })
      assert.strictEqual(inTmp.stdout, "written by write_file\n")
      assert.strictEqual(yield* s.text("read_file", { path: "/tmp/made.txt" }), "made by shell\n")
      const slow = yield* s.shell({ command: "echo started; sleep 5", timeout_ms: 300 })
      assert.deepStrictEqual(slow, {
        stdout: "started\n",
        stderr: "command timed out after 300 ms\n",
        exit_code: 124,
        traceId: ""
      })
      yield* s.sb.pause("s")
      const paused = yield* Effect.flip(s.call("shell", { command: "true", timeout_ms: 1000 }))
      assert.strictEqual(paused._tag, "SandboxError")
      yield* s.sb.resume("s")
    }))

  it.scopedLive("run_code python: the fixture, rich results, tracebacks, timeouts", () =>
    Effect.gen(function*() {
      const s = yield* session
      const { args } = fixture("run-code")
      const first = yield* s.run(args.language, args.code, args.timeout_s)
      assert.deepStrictEqual({ ...first, executionTime: 0 }, {
        result: [{ "text/plain": "5", isMainResult: true }],
        stdout: ["hello\n"],
        stderr: [],
        executionError: "",
        executionTime: 0,
        executionCount: 1
      })
      assert.isTrue(first.executionTime! > 0 && first.executionTime! < 5)
      const rich = yield* s.run(
        "python3",
        [
          "import sys",
          "class Card:",
          "  def __repr__(self): return 'Card()'",
          "  def _repr_html_(self): return '<b>card</b>'",
          "  def _repr_png_(self): return b'\\x89PNG'",
          "  def _repr_json_(self): return {'k': [1, 2]}",
          "print('to stderr', file=sys.stderr)",
          "Card()"
        ].join("\n")
      )
      assert.deepStrictEqual(rich.result, [{
        "text/plain": "Card()",
        "text/html": "<b>card</b>",
        "image/png": "iVBORw==",
        "application/json": { k: [1, 2] },
        isMainResult: true
      }])
      assert.deepStrictEqual([rich.stderr, rich.executionCount], [["to stderr\n"], 2])
      const none = yield* s.run("py", "x = 1\nprint(x, end='')\nNone")
      assert.deepStrictEqual([none.result, none.stdout, none.executionError], [[], ["1"], ""])
      const raised = yield* s.run("python", "a = 1\nb = 0\na / b")
      assert.match(raised.executionError!, /^Traceback[\s\S]*File "<cell-4>", line 3[\s\S]*a \/ b/)
      assert.match(raised.executionError!, /ZeroDivisionError: division by zero\n$/)
      assert.notInclude(raised.executionError!, "<string>") // the wrapper's frames are hidden
      const syntax = yield* s.run("python", "def (")
      assert.match(syntax.executionError!, /SyntaxError/)
      const slow = yield* s.run("python", "import time\nprint('before', flush=True)\ntime.sleep(10)", 1)
      assert.deepStrictEqual([slow.executionError, slow.stdout, slow.result], ["execution timed out after 1000 ms", [
        "before\n"
      ], []])
    }))

  it.scopedLive("run_code javascript: completion values, console output, promises, errors; r is refused", () =>
    Effect.gen(function*() {
      const s = yield* session
      const mapped = yield* s.run("javascript", "console.log('hi')\nconst xs = [1, 2]\nxs.map((x) => x * 2)")
      assert.deepStrictEqual([mapped.result, mapped.stdout, mapped.executionError], [
        [{ "text/plain": "[ 2, 4 ]", isMainResult: true }],
        ["hi\n"],
        ""
      ])
      assert.deepStrictEqual((yield* s.run("node", "require('node:os').platform()")).result, [
        { "text/plain": "'linux'", isMainResult: true }
      ])
      assert.deepStrictEqual((yield* s.run("js", "Promise.resolve(40).then((n) => n + 2)")).result, [
        { "text/plain": "42", isMainResult: true }
      ])
      const later = yield* s.run("nodejs", "setTimeout(() => console.log('later'), 50); undefined")
      assert.deepStrictEqual([later.result, later.stdout], [[], ["later\n"]])
      const thrown = yield* s.run("javascript", "const f = () => { throw new Error('boom') }\nf()")
      assert.match(thrown.executionError!, /Error: boom/)
      assert.match(thrown.executionError!, /<cell-5>/)
      assert.strictEqual(thrown.executionCount, 5)
      const refused = yield* s.call("run_code", { code: "1", language: "r", timeout_s: 1 })
      assert.deepStrictEqual(refused, McpTool.error("language r is not available in the local runtime"))
    }))
})
