// BackendActivity: the bounds of its in-memory record (sessions, transitions,
// commands, text and output), the command entries of shell and run_code
// results, and the hooks: BackendSessions records each status a session enters
// (a settled transition at its due time, on the TestClock) and BackendTools
// each shell and run_code call; without the service nothing is recorded.
import * as McpTool from "@effect-agentbay/core/McpTool"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as BackendActivity from "../src/BackendActivity.js"
import * as BackendSandbox from "../src/BackendSandbox.js"
import * as BackendSessions from "../src/BackendSessions.js"
import * as BackendTools from "../src/BackendTools.js"
import * as MemoryFiles from "../src/MemoryFiles.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as MemoryVault from "../src/MemoryVault.js"

// Runs nothing: `exec` answers "out\n" / "err\n" with exit code 3.
const sandbox: BackendSandbox.BackendSandbox.Service = (() => {
  const trees = new Map<string, BackendSandbox.SessionFiles>()
  return {
    isolation: { level: "memory", detail: "test" },
    start: () => Effect.void,
    pause: () => Effect.void,
    resume: () => Effect.void,
    destroy: () => Effect.void,
    exec: () => Effect.succeed({ exitCode: 3, stdout: "out\n", stderr: "err\n", timedOut: false }),
    files: (id) => {
      if (!trees.has(id)) trees.set(id, MemoryFiles.make())
      return trees.get(id)!
    }
  }
})()

const deps = Layer.mergeAll(MemoryStore.layer, MemoryVault.layer, Layer.succeed(BackendSandbox.BackendSandbox, sandbox))
const Sessions = BackendSessions.layer({ transitionDelay: "300 millis" })
const WithActivity = Sessions.pipe(Layer.provideMerge(Layer.merge(deps, BackendActivity.layer())))
const WithoutActivity = Sessions.pipe(Layer.provideMerge(deps))

const statuses = (activity: BackendActivity.SessionActivity) => activity.history.map((e) => [e.status, e.at])

describe("BackendActivity", () => {
  it.effect("keeps at most maxTransitions and maxCommands per session, and maxSessions sessions (least recent dropped)", () =>
    Effect.gen(function*() {
      const a = yield* BackendActivity.make({ maxSessions: 2, maxTransitions: 3, maxCommands: 2 })
      for (const [i, s] of (["RUNNING", "PAUSING", "PAUSED", "RESUMING", "RUNNING"] as const).entries()) {
        yield* a.status("s1", s, i)
      }
      assert.deepStrictEqual(statuses(yield* a.of("s1")), [["PAUSED", 2], ["RESUMING", 3], ["RUNNING", 4]])
      // A repeat of the last status is not a transition.
      yield* a.status("s1", "RUNNING", 9)
      assert.lengthOf((yield* a.of("s1")).history, 3)
      const entry = (n: number): BackendActivity.CommandEntry => ({
        tool: "shell",
        command: `c${n}`,
        exitCode: 0,
        output: "",
        truncated: false,
        at: n
      })
      for (const n of [1, 2, 3]) yield* a.command("s1", entry(n))
      assert.deepStrictEqual((yield* a.of("s1")).commands.map((c) => c.command), ["c2", "c3"])
      yield* a.status("s2", "RUNNING", 0)
      yield* a.status("s1", "PAUSING", 10) // s1 is now the most recent
      yield* a.status("s3", "RUNNING", 0) // past maxSessions: s2 goes
      assert.deepStrictEqual(yield* a.of("s2"), { history: [], commands: [] })
      assert.lengthOf((yield* a.of("s1")).history, 3)
      yield* a.forget("s1")
      assert.deepStrictEqual(yield* a.of("s1"), { history: [], commands: [] })
    }))

  it.effect("cuts a command's text and output to maxText and maxOutput, and says so", () =>
    Effect.gen(function*() {
      const a = yield* BackendActivity.make({ maxText: 5, maxOutput: 4 })
      yield* a.command("s", {
        tool: "shell",
        command: "echo 123456",
        exitCode: 0,
        output: "ab",
        truncated: false,
        at: 0
      })
      yield* a.command("s", { tool: "shell", command: "ls", exitCode: 0, output: "abcdefgh", truncated: false, at: 1 })
      yield* a.command("s", { tool: "shell", command: "ls", exitCode: 0, output: "abc", truncated: false, at: 2 })
      const commands = (yield* a.of("s")).commands
      assert.deepStrictEqual(commands.map((c) => [c.command, c.output, c.truncated]), [
        ["echo ", "ab", true],
        ["ls", "abcd", true],
        ["ls", "abc", false]
      ])
    }))

  it("commandOf: shell's exit code and output, run_code's 0 or 1, null for a failed call, nothing for other tools", () => {
    const shell = McpTool.ok(JSON.stringify({ stdout: "out\n", stderr: "err\n", exit_code: 3, traceId: "" }))
    assert.deepStrictEqual(BackendActivity.commandOf("shell", { command: "exit 3", timeout_ms: 1 }, shell, 7), {
      tool: "shell",
      command: "exit 3",
      exitCode: 3,
      output: "out\nerr",
      truncated: false,
      at: 7
    })
    const ok = McpTool.ok(JSON.stringify({ result: [], stdout: ["hi\n"], stderr: [] }))
    assert.deepStrictEqual(BackendActivity.commandOf("run_code", { code: "print('hi')" }, ok, 1)?.exitCode, 0)
    const raised = McpTool.ok(
      JSON.stringify({ result: [], stdout: [], stderr: [], executionError: "ZeroDivisionError" })
    )
    const entry = BackendActivity.commandOf("run_code", { code: "1/0" }, raised, 1)
    assert.strictEqual(entry?.exitCode, 1)
    assert.strictEqual(entry?.output, "ZeroDivisionError")
    const failed = BackendActivity.commandOf("shell", { command: "x" }, McpTool.error("shell: bad cwd"), 1)
    assert.strictEqual(failed?.exitCode, null)
    assert.strictEqual(failed?.output, "shell: bad cwd")
    assert.isUndefined(BackendActivity.commandOf("read_file", { path: "/x" }, McpTool.ok("text"), 1))
  })
})

describe("the hooks in BackendSessions and BackendTools", () => {
  it.effect("each status a session enters, a settled one at the time it was due; shell calls with their exit codes", () =>
    Effect.gen(function*() {
      const sessions = yield* BackendSessions.BackendSessions
      const activity = yield* BackendActivity.BackendActivity
      yield* TestClock.adjust("1 second")
      const row = yield* sessions.create({ owner: "o", labels: {}, params: {} })
      yield* TestClock.adjust("1 second")
      yield* sessions.transition("o", row.id, "pause")
      yield* TestClock.adjust("10 seconds") // read long after it was due
      assert.strictEqual((yield* sessions.get("o", row.id)).status, "PAUSED")
      yield* sessions.transition("o", row.id, "delete")
      assert.deepStrictEqual(statuses(yield* activity.of(row.id)), [
        ["RUNNING", 1000],
        ["PAUSING", 2000],
        ["PAUSED", 2300],
        ["DELETED", 12000]
      ])
      const tools = yield* BackendTools.makeToolState()
      yield* BackendTools.call(sandbox, tools, "s", "shell", { command: "false", timeout_ms: 1000 })
      yield* BackendTools.call(sandbox, tools, "s", "list_directory", { path: "/" })
      const [command, ...rest] = (yield* activity.of("s")).commands
      assert.deepStrictEqual(rest, [])
      assert.deepStrictEqual(command, {
        tool: "shell",
        command: "false",
        exitCode: 3,
        output: "out\nerr",
        truncated: false,
        at: 12000
      })
    }).pipe(Effect.provide(WithActivity)))

  it.effect("without a BackendActivity (the fake) sessions and tools work and record nothing", () =>
    Effect.gen(function*() {
      const sessions = yield* BackendSessions.BackendSessions
      const row = yield* sessions.create({ owner: "o", labels: {}, params: {} })
      yield* sessions.transition("o", row.id, "pause")
      const tools = yield* BackendTools.makeToolState()
      const result = yield* BackendTools.call(sandbox, tools, row.id, "shell", { command: "x", timeout_ms: 1000 })
      assert.isFalse(result.isError)
      assert.isTrue(tools.activity !== undefined && tools.activity._tag === "None")
    }).pipe(Effect.provide(WithoutActivity)))
})
