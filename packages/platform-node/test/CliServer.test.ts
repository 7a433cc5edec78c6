// The `agentbay` CLI against a real agentbay-local server started here on
// 127.0.0.1 (stopped when each test's scope closes), connecting as a user
// would: --endpoint and --api-key, or the environment. Then the executable.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Cli from "../src/Cli.js"
import { lines, type Ran, runCaptured } from "./cliHarness.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const key = "ak-cli-test-6f1e9a2b7c4d"

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

/** A server of this process on 127.0.0.1 accepting `key`; stopped with the test's scope. */
const server = Effect.gen(function*() {
  const dataDir = yield* tempDir("agentbay-cli-server-")
  const context = yield* Layer.build(AgentBayLocal.layerServer({
    dataDir,
    host: "127.0.0.1",
    port: 0,
    isolation: "process",
    apiKeys: [Redacted.make(key)]
  }))
  return Context.get(context, AgentBayLocal.Info)
})

/** `agentbay <command> --endpoint E --api-key K <rest>`, remembering every output in `seen`. */
const against = (endpoint: string, seen: Array<Ran>, apiKey = key) => (command: string, ...rest: Array<string>) =>
  Effect.tap(
    runCaptured(Cli.run, Cli.name, [command, "--endpoint", endpoint, "--api-key", apiKey, ...rest]),
    (ran) => Effect.sync(() => void seen.push(ran))
  )

const expectOneLine = (ran: Ran, pattern: RegExp) => {
  expect(ran.code).toBe(1)
  expect(ran.stdout).toBe("")
  expect(lines(ran.stderr)).toHaveLength(1)
  expect(ran.stderr).toMatch(pattern)
}

describe("agentbay against agentbay-local", () => {
  it.scopedLive(
    "create, list, get, pause, resume, exec, delete; errors in one line; the key never printed",
    () =>
      Effect.gen(function*() {
        const info = yield* server
        const seen: Array<Ran> = []
        const agentbay = against(info.endpoint, seen)

        const created = yield* agentbay("create", "--json", "--label", "suite=cli")
        expect([created.code, created.stderr]).toEqual([0, ""])
        const { id, status, imageId } = JSON.parse(created.stdout)
        expect([status, typeof imageId]).toEqual(["RUNNING", "string"])

        const listed = yield* agentbay("list")
        expect(lines(listed.stdout)[0]).toMatch(/^ID +STATUS +LABELS$/)
        expect(lines(listed.stdout)).toContainEqual(expect.stringMatching(new RegExp(`^${id} +RUNNING +suite=cli$`)))
        expect(JSON.parse((yield* agentbay("get", "--json", id)).stdout)).toMatchObject({ id, status: "RUNNING" })

        // Cloud waits (a poll every 2 s); the server's transitions take 300 ms.
        const paused = yield* agentbay("pause", id)
        expect(paused.code, paused.stderr).toBe(0)
        expect(lines(paused.stdout)[1]).toBe("status  PAUSED")
        const progress = lines(paused.stderr)
        expect(progress[0]).toBe(`pausing ${id}: RUNNING`)
        expect(progress.at(-1)).toMatch(new RegExp(`^pausing ${id}: PAUSED \\(\\d+\\.\\ds\\)$`))
        const resumed = yield* agentbay("resume", "--json", id)
        expect(JSON.parse(resumed.stdout).status).toBe("RUNNING")

        const ran = yield* agentbay("exec", id, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
        expect(ran).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" })

        const deleted = yield* agentbay("delete", id)
        expect([deleted.code, deleted.stdout]).toEqual([0, `deleted ${id}\n`])
        expect(lines(deleted.stderr)[0]).toBe(`deleting ${id}: RUNNING`)
        const gone = yield* agentbay("get", "--json", id)
        expect(gone.code === 1 ? gone.stderr : JSON.parse(gone.stdout).status).toMatch(/DELETED|not found/)

        expectOneLine(
          yield* agentbay("get", "local-000000000000000000000000"),
          /^agentbay: Session local-0{24} not found\n$/
        )
        const usage = yield* agentbay("get") // no id: a usage error, printed by @effect/cli
        expect([usage.code, usage.stdout]).toEqual([2, ""])
        const wrongKey = "ak-not-this-servers-91c3"
        const rejected = yield* against(info.endpoint, seen, wrongKey)("list")
        expectOneLine(rejected, /^agentbay: ListSession: the API key was rejected/)
        for (const r of seen) {
          expect(r.stdout + r.stderr).not.toContain(key)
          expect(r.stdout + r.stderr).not.toContain(wrongKey)
        }
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("the environment configures it; an empty AGENTBAY_API_KEY is one line naming it", () =>
    Effect.gen(function*() {
      const info = yield* server
      const env = (vars: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromJson(vars))
      const listed = yield* runCaptured(Cli.run, Cli.name, ["list", "--json"]).pipe(
        env({ AGENTBAY_ENDPOINT: info.endpoint, AGENTBAY_API_KEY: key })
      )
      expect([listed.code, JSON.parse(listed.stdout)]).toEqual([0, []])
      const empty = yield* runCaptured(Cli.run, Cli.name, ["list"]).pipe(
        env({ AGENTBAY_ENDPOINT: info.endpoint, AGENTBAY_API_KEY: "" })
      )
      expectOneLine(empty, /^agentbay: AGENTBAY_API_KEY is set but empty\n$/)
    }))
})

describe("the agentbay executable", () => {
  // `node_modules/.bin/agentbay` is pnpm's shell script: run as is; a .js file with Node.
  const spawnFile = (file: string, args: ReadonlyArray<string>) =>
    Effect.async<Ran>((resume) => {
      const [command, argv] = file.endsWith(".js") ? [process.execPath, [file, ...args]] : [file, args]
      const child = spawn(command, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
      child.on("close", (code) => resume(Effect.succeed({ code: code ?? -1, stdout, stderr })))
      return Effect.sync(() => child.kill("SIGKILL"))
    })

  it.live("node_modules/.bin/agentbay --help exits 0", () =>
    Effect.gen(function*() {
      const ran = yield* spawnFile(path.join(root, "node_modules/.bin/agentbay"), ["--help"])
      expect(ran.code, ran.stderr).toBe(0)
      expect(ran.stdout).toContain("agentbay 0.1.0")
      expect(ran.stdout).toContain("exec [--json] [--endpoint text] [--api-key text]")
    }), { timeout: 30_000 })

  it.scopedLive("the launcher with nothing built: one line that says what to run, exit 1", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir("agentbay-cli-launcher-")
      fs.mkdirSync(path.join(dir, "bin"))
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
      fs.copyFileSync(path.join(root, "packages/platform-node/bin/agentbay.js"), path.join(dir, "bin/agentbay.js"))
      const ran = yield* spawnFile(path.join(dir, "bin/agentbay.js"), ["--help"])
      expect([ran.code, ran.stdout]).toEqual([1, ""])
      expect(lines(ran.stderr)).toEqual([
        "agentbay: the CLI is not built yet: run `npx -y pnpm@10 install` at the repository root " +
        "(or `npx -y pnpm@10 --filter @effect-agentbay/platform-node build:bin`)"
      ])
    }))
})
