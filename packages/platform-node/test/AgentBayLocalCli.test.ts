// What agentbay-local's `sessions` commands print with CliOutput: `list --json`
// (from the data dir in this process; through a running server from a child
// process, since a server's own process never counts as running for its data
// dir) and the progress of `delete` through the server, on stderr.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as LocalCli from "@effect-agentbay/local/Cli"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

import { capture, lines, type Ran } from "./cliHarness.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

/** `agentbay-local <args>` as a child process (tsx), without AGENTBAY_API_KEY from this environment. */
const child = (args: ReadonlyArray<string>) =>
  Effect.async<Ran>((resume) => {
    const env: NodeJS.ProcessEnv = { ...process.env }
    delete env.AGENTBAY_API_KEY
    const bin = path.join(root, "packages/local/src/bin.ts")
    const proc = spawn(process.execPath, ["--import", "tsx", bin, ...args], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    proc.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    proc.on("close", (code) => resume(Effect.succeed({ code: code ?? -1, stdout, stderr })))
    return Effect.sync(() => proc.kill("SIGKILL"))
  })

describe("agentbay-local sessions with --json and progress", () => {
  it.scopedLive(
    "list --json from the data dir and through the server; delete shows its progress",
    () =>
      Effect.gen(function*() {
        const dataDir = yield* tempDir("agentbay-local-cli-json-")
        // Stopped when this test's scope closes.
        const info = Context.get(
          yield* Layer.build(AgentBayLocal.layerServer({ dataDir, host: "127.0.0.1", port: 0, isolation: "process" })),
          AgentBayLocal.Info
        )
        const key = Option.getOrThrow(info.generatedKey)
        const s = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create({ labels: { via: "json" } })).pipe(
          Effect.provide(NodeAgentBay.layerWith({ endpoint: info.endpoint, apiKey: key, dotEnv: false }))
        )

        // In this process the data dir is read directly: every column, as JSON.
        const io = capture()
        const exit = yield* LocalCli.run([
          "node",
          "agentbay-local",
          "sessions",
          "list",
          "--json",
          "--data-dir",
          dataDir
        ]).pipe(
          Effect.withConsole(io.console),
          Effect.provide(NodeContext.layer),
          Effect.exit
        )
        expect(Exit.isSuccess(exit)).toBe(true)
        const rows = JSON.parse(io.stdout())
        expect(rows).toHaveLength(1)
        expect(rows[0]).toMatchObject({ id: s.id, status: "RUNNING", labels: { via: "json" } })
        expect(rows[0].owner).toMatch(/^[0-9a-f]{8}$/)
        expect(io.stderr()).toBe("")

        const listed = yield* child(["sessions", "list", "--json", "--data-dir", dataDir])
        expect(listed.code, listed.stderr).toBe(0)
        expect(JSON.parse(listed.stdout)).toEqual([{ id: s.id, status: "RUNNING" }])

        const deleted = yield* child(["sessions", "delete", s.id, "--data-dir", dataDir])
        expect(deleted.code, deleted.stderr).toBe(0)
        expect(deleted.stdout).toBe(`deleted ${s.id}\n`)
        const progress = lines(deleted.stderr)
        expect(progress[0]).toBe(`deleting ${s.id}: RUNNING`)
        expect(progress.at(-1)).toMatch(new RegExp(`^deleting ${s.id}: (FINISH|DELETED) \\(\\d+\\.\\ds\\)$`))
        for (const r of [listed, deleted]) expect(r.stdout + r.stderr).not.toContain(Redacted.value(key))
      }),
    { timeout: 60_000 }
  )
})
