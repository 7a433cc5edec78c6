// The `agentbay-local` CLI: `run` in-process with a capturing Console (doctor, help,
// serve, errors), the sessions commands as a child process (`node --import tsx
// src/bin.ts`) against a server running in this process (a server's own process
// never counts as "running" for its data dir, so the CLI must be another one),
// and the bin/agentbay-local.js launcher on a copy with fake bundles.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Cli from "../src/Cli.js"
import * as LocalDataDir from "../src/LocalDataDir.js"
import * as LocalStore from "../src/LocalStore.js"
import * as Sandbox from "../src/Sandbox.js"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/local/src/bin.ts")
const launcher = path.join(root, "packages/local/bin/agentbay-local.js")

// eslint-disable-next-line no-control-regex -- the ANSI escape (ESC) is what is matched
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "")

/** A Console that records what `log` and `error` print (ANSI colours removed). */
const capture = () => {
  const out: Array<string> = []
  const err: Array<string> = []
  const text = (args: ReadonlyArray<unknown>) => plain(args.map(String).join(" "))
  const unsafe: Console.UnsafeConsole = {
    ...globalThis.console,
    log: (...args: ReadonlyArray<unknown>) => void out.push(text(args)),
    error: (...args: ReadonlyArray<unknown>) => void err.push(text(args))
  }
  const none = () => Effect.void
  const console: Console.Console = {
    [Console.TypeId]: Console.TypeId,
    assert: none,
    clear: Effect.void,
    count: none,
    countReset: none,
    debug: none,
    dir: none,
    dirxml: none,
    error: (...args) => Effect.sync(() => unsafe.error(...args)),
    group: none,
    groupEnd: Effect.void,
    info: none,
    log: (...args) => Effect.sync(() => unsafe.log(...args)),
    table: none,
    time: none,
    timeEnd: none,
    timeLog: none,
    trace: none,
    warn: none,
    unsafe
  }
  return { out, err, console, stdout: () => out.join("\n"), stderr: () => err.join("\n") }
}

/** `agentbay-local <args>` in this process; returns its exit and what it printed. */
const runCli = (...args: Array<string>) =>
  Effect.gen(function*() {
    const io = capture()
    const exit = yield* Cli.run(["node", "agentbay-local", ...args]).pipe(
      Effect.withConsole(io.console),
      Effect.provide(NodeContext.layer),
      Effect.exit
    )
    return { exit, ...io }
  })

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `file` with Node (tsx loaded for .ts), without AGENTBAY_API_KEY from this environment. */
const spawnNode = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.async<Ran>((resume) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
    if (env.AGENTBAY_API_KEY === undefined) delete childEnv.AGENTBAY_API_KEY
    const loader = file.endsWith(".ts") ? ["--import", "tsx"] : []
    const child = spawn(process.execPath, [...loader, file, ...args], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const agentbayLocal = (...args: Array<string>) => spawnNode(bin, args)

/** Exactly one line on stderr, the CLI's, with no stack frame or error dump. */
const expectOneLine = (stderr: string, pattern: RegExp) => {
  const lines = stderr.split("\n").filter((line) => line !== "")
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^agentbay-local: /)
  expect(lines[0]).toMatch(pattern)
  expect(stderr).not.toMatch(/^\s+at /m)
  expect(stderr).not.toContain("InUse")
}

// Our SDK against a server of this process.
const sdk = (endpoint: string, apiKey: Redacted.Redacted) =>
  AgentBay.layer({ apiKey, endpoint }).pipe(
    Layer.provide(AgentBay.layerWaits(AgentBayLocal.waits)),
    Layer.provide(NodeHttpClient.layerUndici)
  )

describe("agentbay-local doctor", () => {
  it.scopedLive("says the isolation in one sentence, the level once", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir("agentbay-cli-doctor-")
      const forced = yield* runCli("doctor", "--data-dir", dataDir, "--isolation", "process")
      expect(Exit.isSuccess(forced.exit)).toBe(true)
      const line = forced.stdout().split("\n").find((l) => l.startsWith("isolation:"))
      expect(line).toBe(
        `isolation:  process: NO isolation, as requested (isolation "process"), so sessions are plain host ` +
          `processes (uid ${process.getuid!()}) that can see and change each other and the whole host`
      )
      expect(forced.err).toEqual([])
      // What run_code can run, asked inside a session (python3 and node are installed here).
      const languages = forced.stdout().split("\n").find((l) => l.startsWith("languages:"))
      expect(languages).toMatch(/^languages: {2}python \(Python 3\.\d+\.\d+\), javascript \(node v\d+\.\d+\.\d+\)$/)

      // auto: bubblewrap when it works here, else the reason; never "process (process (...".
      const auto = yield* runCli("doctor", "--data-dir", dataDir)
      const autoLine = auto.stdout().split("\n").filter((l) => l.startsWith("isolation:"))
      expect(autoLine).toHaveLength(1)
      expect(autoLine[0]).toMatch(
        /^isolation: {2}(bubblewrap \d+\.\d+|process: NO isolation, bubblewrap unavailable \()/
      )
      expect(autoLine[0]).not.toMatch(/process \(process|bubblewrap: bubblewrap/)
    }))

  it.scopedLive("a missing bwrap gets the install hint", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir("agentbay-cli-nobwrap-")
      const box = Context.get(
        yield* Layer.build(Sandbox.layer({ dataDir, isolation: "auto", bwrap: "/nonexistent/bwrap" })),
        Sandbox.Sandbox
      )
      expect(box.isolation.level).toBe("process")
      expect(box.isolation.detail).toMatch(
        /^NO isolation, bubblewrap unavailable \(\/nonexistent\/bwrap not found: apt-get install bubblewrap\), so /
      )
    }))
})

describe("agentbay-local serve", () => {
  it.live("--help shows --api-key as optional", () =>
    Effect.gen(function*() {
      const help = yield* runCli("serve", "--help")
      expect(Exit.isSuccess(help.exit)).toBe(true)
      const text = help.stdout()
      const usage = text.split("\n").find((l) => l.includes("$ serve"))
      expect(usage).toContain("[--api-key text...]")
      expect(usage).not.toMatch(/(^|[^[])--api-key/)
      const section = text.slice(text.indexOf("--api-key text..."), text.indexOf("--transition-delay text\n"))
      expect(section).toContain("This setting is optional.")
    }))

  it.scopedLive(
    "several --api-key: each is accepted, none printed; the banner says the level once",
    () =>
      Effect.gen(function*() {
        const dataDir = yield* tempDir("agentbay-cli-serve-")
        const io = capture()
        const fiber = yield* Cli.run([
          "node",
          "agentbay-local",
          "serve",
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--data-dir",
          dataDir,
          "--isolation",
          "process",
          "--api-key",
          "ak-first-1b2c",
          "--api-key",
          "ak-second-3d4e"
        ]).pipe(Effect.withConsole(io.console), Effect.provide(NodeContext.layer), Effect.fork)
        // Stopped by this test: interrupted (server closed) at the end of the scope at the latest.
        yield* Effect.addFinalizer(() => Fiber.interrupt(fiber))
        const banner = yield* Effect.suspend(() => {
          const text = io.stdout()
          return text.includes("Stop with") ? Effect.succeed(text) : Effect.fail("no banner yet")
        }).pipe(Effect.retry(Schedule.spaced("50 millis")), Effect.timeout("20 seconds"))
        expect(banner).toMatch(/^ {2}isolation: {2}process: NO isolation, as requested/m)
        expect(banner).toContain("the key(s) given with --api-key")
        expect(banner).not.toContain("ak-first-1b2c")
        expect(banner).not.toContain("ak-second-3d4e")
        const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]
        for (const key of ["ak-first-1b2c", "ak-second-3d4e"]) {
          const page = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.listPage()).pipe(
            Effect.provide(sdk(endpoint, Redacted.make(key)))
          )
          expect(page.sessions).toEqual([])
        }
        const rejected = yield* Effect.flip(
          Effect.flatMap(AgentBay.AgentBay, (bay) => bay.listPage()).pipe(
            Effect.provide(sdk(endpoint, Redacted.make("ak-someone-else")))
          )
        )
        expect(rejected._tag).toBe("AuthError")
        yield* Fiber.interrupt(fiber)
        expect(fs.existsSync(path.join(dataDir, LocalDataDir.files.server))).toBe(false)
      }),
    { timeout: 30_000 }
  )
})

describe("agentbay-local sessions", () => {
  it.scopedLive(
    "through a running server: list shows the session, delete removes it, errors are one line",
    () =>
      Effect.gen(function*() {
        const dataDir = yield* tempDir("agentbay-cli-sessions-")
        // The server, in this process, on 127.0.0.1; stopped when this test's scope closes.
        const info = Context.get(
          yield* Layer.build(AgentBayLocal.layerServer({ dataDir, host: "127.0.0.1", port: 0, isolation: "process" })),
          AgentBayLocal.Info
        )
        const key = Option.getOrThrow(info.generatedKey)
        expect(fs.readFileSync(path.join(dataDir, LocalDataDir.files.apiKey), "utf8").trim()).toBe(Redacted.value(key))
        const session = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create({ labels: { cli: "test" } })).pipe(
          Effect.provide(sdk(info.endpoint, key))
        )

        // The key comes from the data dir's key file (no --api-key, no AGENTBAY_API_KEY).
        const [listed, unknown, wrongKey] = yield* Effect.all([
          agentbayLocal("sessions", "list", "--data-dir", dataDir),
          agentbayLocal("sessions", "delete", "local-000000000000000000000000", "--data-dir", dataDir),
          agentbayLocal("sessions", "list", "--data-dir", dataDir, "--api-key", "ak-not-the-servers")
        ], { concurrency: "unbounded" })
        expect(listed.code, listed.stderr).toBe(0)
        expect(listed.stdout).toContain(`through the server at ${info.endpoint}`)
        expect(listed.stdout).toMatch(new RegExp(`^${session.id} +RUNNING$`, "m"))
        expect(listed.stderr).toBe("")

        expect(unknown.code).toBe(1)
        expect(unknown.stdout).toBe("")
        expectOneLine(unknown.stderr, /^agentbay-local: session local-0{24} not found \(asked the server at /)

        expect(wrongKey.code).toBe(1)
        expectOneLine(wrongKey.stderr, /the API key was rejected .*the key from --api-key/)
        expect(wrongKey.stderr).not.toContain("ak-not-the-servers")
        expect(wrongKey.stderr).not.toContain(Redacted.value(key))

        const deleted = yield* agentbayLocal("sessions", "delete", session.id, "--data-dir", dataDir)
        expect(deleted.code, deleted.stderr).toBe(0)
        expect(deleted.stdout.trim()).toBe(`deleted ${session.id}`)
        const status = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.get(session.id)).pipe(
          Effect.map((s) => s.status),
          Effect.provide(sdk(info.endpoint, key))
        )
        expect(["DELETED", "FINISH"]).toContain(status)
        const live = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCollect(bay.list())).pipe(
          Effect.provide(sdk(info.endpoint, key))
        )
        expect(Chunk.toArray(live).map((s) => s.id)).not.toContain(session.id)

        const after = yield* agentbayLocal("sessions", "list", "--data-dir", dataDir)
        expect(after.code, after.stderr).toBe(0)
        expect(after.stdout).not.toContain(session.id)
        expect(after.stdout).toMatch(/^no sessions \(through the server at /)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("without a server: an unknown id is one line on stderr and a failure", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir("agentbay-cli-direct-")
      // An empty database, as a stopped server leaves it.
      yield* Effect.scoped(Layer.build(LocalStore.layer({ filename: path.join(dataDir, LocalDataDir.files.database) })))
      const result = yield* runCli("sessions", "delete", "local-nope", "--data-dir", dataDir, "--isolation", "process")
      expect(Exit.isFailure(result.exit)).toBe(true)
      expect(result.err).toEqual(["agentbay-local: session local-nope not found"])
      expect(result.out).toEqual([])
      const listed = yield* runCli("sessions", "list", "--data-dir", dataDir)
      expect(Exit.isSuccess(listed.exit)).toBe(true)
      expect(listed.out).toEqual(["no sessions"])
    }))
})

describe("bin/agentbay-local.js", () => {
  // A copy of the launcher in a scratch package, so the bundles in it are ours to fake.
  const scratch = Effect.gen(function*() {
    const dir = yield* tempDir("agentbay-cli-launcher-")
    fs.mkdirSync(path.join(dir, "bin"))
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }))
    fs.copyFileSync(launcher, path.join(dir, "bin/agentbay-local.js"))
    return dir
  })
  const fakeBundle = (dir: string) => {
    fs.mkdirSync(path.join(dir, "bin/build"))
    fs.writeFileSync(
      path.join(dir, "bin/build/agentbay-local.js"),
      "console.log(`bundle ran with ${process.argv.slice(2).join(\" \")}`)\n"
    )
    fs.mkdirSync(path.join(dir, "src"))
    fs.writeFileSync(path.join(dir, "src/Cli.ts"), "// a source\n")
    fs.writeFileSync(path.join(dir, "bin/build/sources.json"), JSON.stringify(["../../src/Cli.ts"]))
  }
  const touch = (file: string, secondsAgo: number) => {
    const at = new Date(Date.now() - secondsAgo * 1000)
    fs.utimesSync(file, at, at)
  }

  it.scopedLive("nothing built: one line that says what to run, exit 1", () =>
    Effect.gen(function*() {
      const dir = yield* scratch
      const ran = yield* spawnNode(path.join(dir, "bin/agentbay-local.js"), ["doctor"])
      expect(ran.code).toBe(1)
      expect(ran.stdout).toBe("")
      expectOneLine(ran.stderr, /not built yet: run `npx -y pnpm@10 install`/)
    }))

  it.scopedLive("runs the bundle with the arguments; warns once when a source is newer", () =>
    Effect.gen(function*() {
      const dir = yield* scratch
      fakeBundle(dir)
      touch(path.join(dir, "src/Cli.ts"), 60)
      const fresh = yield* spawnNode(path.join(dir, "bin/agentbay-local.js"), ["doctor", "--isolation", "process"])
      expect(fresh.code).toBe(0)
      expect(fresh.stdout).toBe("bundle ran with doctor --isolation process\n")
      expect(fresh.stderr).toBe("")

      touch(path.join(dir, "bin/build/agentbay-local.js"), 120)
      const stale = yield* spawnNode(path.join(dir, "bin/agentbay-local.js"), ["doctor"])
      expect(stale.code).toBe(0)
      expect(stale.stdout).toBe("bundle ran with doctor\n")
      expectOneLine(
        stale.stderr,
        /warning: the sources changed since this CLI was built; rebuild it with `npx -y pnpm@10 --filter @effect-agentbay\/local build:bin`/
      )
    }))

  it.scopedLive("falls back to dist/bin.js (a published package has no bundle)", () =>
    Effect.gen(function*() {
      const dir = yield* scratch
      fs.mkdirSync(path.join(dir, "dist"))
      fs.writeFileSync(path.join(dir, "dist/bin.js"), "console.log(\"dist ran\")\n")
      const ran = yield* spawnNode(path.join(dir, "bin/agentbay-local.js"), ["doctor"])
      expect([ran.code, ran.stdout, ran.stderr]).toEqual([0, "dist ran\n", ""])
    }))
})
