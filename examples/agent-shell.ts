/**
 * Agent shell: what an agent does inside a session. It writes a Python script
 * into the session, runs it with a shell command (cwd and environment given),
 * reads the file the script produced, looks around the session's files, and
 * evaluates an expression with `runCode`. Written against the `AgentBay`
 * service only; `pnpm demo` runs it on the embedded local runtime.
 *
 * @since 0.1.0
 */
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

import { row, step } from "./quickstart.js"

/**
 * The script the agent writes: it reads its input from the environment and
 * writes a report next to itself.
 *
 * @since 0.1.0
 * @category constants
 */
export const script = [
  "import json, os, platform",
  "words = os.environ['WORDS'].split(',')",
  "report = {'count': len(words), 'longest': max(words, key=len), 'python': platform.python_version()}",
  "with open('report.json', 'w') as f:",
  "    json.dump(report, f)",
  "print('wrote report.json for', len(words), 'words')"
].join("\n")

/**
 * What the agent found: the report the script wrote, parsed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly count: number
  readonly longest: string
  readonly python: string
}

/**
 * The agent's session, from script to report.
 *
 * @since 0.1.0
 * @category programs
 */
export const agentShell = Effect.scoped(Effect.gen(function*() {
  const bay = yield* AgentBay
  const session = yield* step("create (scoped)", bay.session({ labels: { example: "agent-shell" } }), (s) => s.id)
  const dir = "/home/wuying/job"
  yield* step("createDirectory", session.filesystem.createDirectory(dir), () => dir)
  yield* step(
    "writeFile",
    session.filesystem.writeFile(`${dir}/analyse.py`, script),
    () => `${dir}/analyse.py (${script.length} bytes)`
  )
  const run = yield* step(
    "executeCommand",
    session.command.executeCommand("python3 analyse.py", {
      cwd: dir,
      env: { WORDS: "sandbox,agent,effect,typescript" },
      timeout: "30 seconds"
    }),
    (r) => `exit ${r.exitCode}: ${r.stdout.trim() || r.stderr.trim()}`
  )
  if (run.exitCode !== 0) return yield* Effect.dieMessage(`the script failed: ${run.stderr}`)
  const text = yield* step("readFile", session.filesystem.readFile(`${dir}/report.json`), (t) => t)
  const report = JSON.parse(text) as Report
  yield* step(
    "listDirectory",
    session.filesystem.listDirectory(dir),
    (entries) => entries.map((e) => `${e.isDirectory ? "[DIR] " : ""}${e.name}`).join(", ")
  )
  yield* step("searchFiles *.json", session.filesystem.searchFiles("/home/wuying", "*.json"), (ps) => ps.join(", "))
  const sum = yield* step(
    "runCode (python)",
    session.code.runCode(
      `sum(len(w) for w in ${JSON.stringify(["sandbox", "agent", "effect", "typescript"])})`,
      "python"
    ),
    (r) => r.error === undefined ? `result ${r.text}` : `${r.error.name}: ${r.error.value}`
  )
  if (sum.error !== undefined) return yield* Effect.dieMessage(`the code failed: ${sum.error.traceback}`)
  yield* step(
    "getMetrics",
    session.getMetrics(),
    (m) => `${m.cpu_count} CPUs, ${(m.mem_total / 2 ** 30).toFixed(1)} GiB`
  )
  yield* row("report", `${report.count} words, longest "${report.longest}"`, 0)
  yield* Console.log("  (scope closes: the session and its files are deleted)")
  return { report, letters: Number(sum.text) }
}))
