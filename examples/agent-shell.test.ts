// The agent-shell example, run for real on the embedded local runtime, and in
// a unit test on the fake, where the test plays the part of the Python script.
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

import { agentShell, script } from "./agent-shell.js"

describe("examples/agent-shell", () => {
  it.live("runs the script in a session of the local runtime and reads its report", () =>
    Effect.gen(function*() {
      const { letters, report } = yield* agentShell
      assert.deepStrictEqual([report.count, report.longest, letters], [4, "typescript", 28])
      assert.match(report.python, /^3\.\d+/)
    }).pipe(Effect.provide(AgentBayLocal.layer())), { timeout: 60_000 })

  it.effect("on the fake, the test programs what the script does", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      // The command writes the report into the session's (in-memory) files, as the real script would.
      yield* backend.onCommand("python3 analyse.py", (_command, options) =>
        Effect.gen(function*() {
          const [session] = yield* backend.liveSessions
          const words = options.env?.WORDS?.split(",") ?? []
          const longest = words.reduce((a, b) => b.length > a.length ? b : a, "")
          yield* Effect.orDie(MemoryFiles.seed(backend.files(session!.id), {
            [`${options.cwd}/report.json`]: JSON.stringify({ count: words.length, longest, python: "3.fake" })
          }))
          return { stdout: `wrote report.json for ${words.length} words\n` }
        }))
      const outcome = yield* Effect.exit(agentShell)
      // runCode needs an interpreter, which the fake does not have (it runs nothing a test did not program):
      // the run reports an execution error, and the example stops there, after the report was read.
      assert.isTrue(outcome._tag === "Failure" && String(outcome.cause).includes("the code failed"))
      const written = (yield* backend.calls("callMcpTool")).map((c) => c.args[1])
      assert.deepStrictEqual(written, [
        "create_directory",
        "write_file",
        "shell",
        "get_file_info",
        "read_file",
        "list_directory",
        "search_files",
        "run_code"
      ])
      assert.include(
        JSON.stringify((yield* backend.calls("callMcpTool"))[1]!.args[2]),
        JSON.stringify(script).slice(1, 30)
      )
      assert.deepStrictEqual(yield* backend.liveSessions, [])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
