// The data dir after a crash and on disk: session trees with no record (a server
// killed during a create) are removed at start-up; the directory is 0700, the
// database files and the key file 0600; keys can come from a file or the
// environment instead of the command line (defects 4 and 6 of "Performance and
// reliability").
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Cli from "../src/Cli.js"
import * as LocalDataDir from "../src/LocalDataDir.js"
import { form, portOf, raw, sandboxDouble } from "./utils.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-hardening-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const mode = (file: string) => fs.statSync(file).mode & 0o777

// Runs `use` with a server on `dataDir` (sandboxes: the double), stopped when `use` ends.
const withServer = <A, E>(options: AgentBayLocal.ServerOptions, use: Effect.Effect<A, E, AgentBayLocal.Info>) =>
  Effect.scoped(
    Effect.flatMap(
      Layer.build(AgentBayLocal.layerServerWith(options, () => sandboxDouble().layer)),
      (ctx) => Effect.provide(use, ctx)
    )
  )

const call = (endpoint: string, key: string, action: string, fields: Record<string, string> = {}) =>
  raw(portOf(endpoint), {
    path: `/?Action=${action}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form({ Authorization: `Bearer ${key}`, ...fields })
  })

// The endpoint a server published in its marker, once it has (the file may be half written).
const endpointIn = (marker: string): string | undefined => {
  try {
    const endpoint: unknown = JSON.parse(fs.readFileSync(marker, "utf8")).endpoint
    return typeof endpoint === "string" ? endpoint : undefined
  } catch {
    return undefined
  }
}

describe("session trees without a record", () => {
  it.scoped("are removed at start-up; the trees of recorded sessions stay", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const key = "akl-orphans"
      const id = yield* withServer(
        { dataDir, apiKeys: [Redacted.make(key)] },
        Effect.flatMap(AgentBayLocal.Info, (info) =>
          Effect.map(call(info.endpoint, key, "CreateMcpSession"), (r) => r.json.Data.SessionId as string))
      )
      // What a server killed between creating the tree and recording the session leaves,
      // beside the tree of a recorded session (the double creates none itself).
      const sandboxes = path.join(dataDir, LocalDataDir.files.sandboxes)
      const orphan = path.join(sandboxes, "local-0123456789abcdef01234567")
      fs.mkdirSync(path.join(orphan, "home", "work"), { recursive: true })
      fs.writeFileSync(path.join(orphan, "home", "work", "notes.txt"), "left behind")
      fs.mkdirSync(path.join(sandboxes, id, "home"), { recursive: true })
      yield* withServer(
        { dataDir, apiKeys: [Redacted.make(key)] },
        Effect.gen(function*() {
          const info = yield* AgentBayLocal.Info
          assert.isFalse(fs.existsSync(orphan))
          assert.isTrue(fs.existsSync(path.join(sandboxes, id, "home")))
          const got = yield* call(info.endpoint, key, "GetSession", { SessionId: id })
          assert.strictEqual(got.json.Data.Status, "RUNNING")
        })
      )
    }))
})

describe("file modes", () => {
  it.scoped("the data dir is 0700; the database, its -wal/-shm and the key file are 0600, even if they were not", () =>
    Effect.gen(function*() {
      const dataDir = path.join(yield* tempDir, "data")
      const db = path.join(dataDir, LocalDataDir.files.database)
      const files = [db, `${db}-wal`, `${db}-shm`, path.join(dataDir, LocalDataDir.files.apiKey)]
      const check = Effect.sync(() => {
        assert.strictEqual(mode(dataDir), 0o700)
        for (const file of files) assert.strictEqual(mode(file), 0o600, file)
      })
      // A first start (generated key).
      yield* withServer({ dataDir }, check)
      // Files an earlier version left readable are tightened on the next start.
      for (const file of [db, path.join(dataDir, LocalDataDir.files.apiKey)]) fs.chmodSync(file, 0o644)
      // (as a killed server leaves them; empty, so they hold nothing to replay)
      for (const file of [`${db}-wal`, `${db}-shm`]) fs.writeFileSync(file, "", { mode: 0o644 })
      assert.strictEqual(mode(`${db}-wal`), 0o644)
      yield* withServer({ dataDir }, check)
    }))
})

describe("keys off the command line", () => {
  it.scoped("apiKeyFile: every key of the file is accepted, others are not; a file without keys stops the start", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const keyFile = path.join(dir, "keys")
      fs.writeFileSync(keyFile, "# keys of the team\nakl-file-one\n\n  akl-file-two  \n", { mode: 0o600 })
      yield* withServer(
        { dataDir: path.join(dir, "data"), apiKeyFile: keyFile },
        Effect.gen(function*() {
          const info = yield* AgentBayLocal.Info
          assert.strictEqual(info.keySource, "explicit")
          for (const key of ["akl-file-one", "akl-file-two"]) {
            assert.strictEqual((yield* call(info.endpoint, key, "ListSession")).status, 200)
          }
          assert.strictEqual((yield* call(info.endpoint, "akl-other", "ListSession")).status, 401)
        })
      )
      fs.writeFileSync(keyFile, "# no key here\n\n")
      const exit = yield* Effect.exit(withServer({ dataDir: path.join(dir, "data"), apiKeyFile: keyFile }, Effect.void))
      assert.isTrue(Exit.isFailure(exit))
      assert.match(String(Exit.isFailure(exit) ? exit.cause : ""), /holds no key/)
    }))

  it.scopedLive(
    "serve takes AGENTBAY_LOCAL_API_KEYS (comma-separated), or --api-key-file instead",
    () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const keyFile = path.join(dir, "keys")
        fs.writeFileSync(keyFile, "akl-cli-file\n", { mode: 0o600 })
        const env = ConfigProvider.fromMap(new Map([["AGENTBAY_LOCAL_API_KEYS", "akl-env-one, akl-env-two"]]))
        const quiet = yield* Effect.map(Effect.console, (c): Console.Console => ({ ...c, log: () => Effect.void }))
        // Serves in this process until the fiber is interrupted (by this test, or its scope at the latest).
        const serve = (name: string, args: ReadonlyArray<string>) =>
          Effect.gen(function*() {
            const dataDir = path.join(dir, name)
            const fiber = yield* Cli.run([
              "node",
              "agentbay-local",
              "serve",
              "--port",
              "0",
              "--isolation",
              "process",
              "--data-dir",
              dataDir,
              ...args
            ]).pipe(
              Effect.withConsole(quiet),
              Effect.provide(NodeContext.layer),
              Effect.withConfigProvider(env),
              Effect.fork
            )
            yield* Effect.addFinalizer(() => Fiber.interrupt(fiber))
            const marker = path.join(dataDir, LocalDataDir.files.server)
            for (let i = 0; i < 200; i++) {
              const endpoint = endpointIn(marker)
              if (endpoint !== undefined) return { endpoint, fiber }
              yield* Effect.sleep("100 millis")
            }
            return yield* Effect.dieMessage(`serve ${args.join(" ")} did not start`)
          })
        const accepted = (endpoint: string, key: string) =>
          Effect.map(call(endpoint, key, "ListSession"), (r) => r.status === 200)

        const fromEnv = yield* serve("env", [])
        assert.isTrue(yield* accepted(fromEnv.endpoint, "akl-env-one"))
        assert.isTrue(yield* accepted(fromEnv.endpoint, "akl-env-two"))
        assert.isFalse(yield* accepted(fromEnv.endpoint, "akl-cli-file"))
        yield* Fiber.interrupt(fromEnv.fiber)

        // A key flag replaces the environment's keys.
        const fromFile = yield* serve("file", ["--api-key-file", keyFile])
        assert.isTrue(yield* accepted(fromFile.endpoint, "akl-cli-file"))
        assert.isFalse(yield* accepted(fromFile.endpoint, "akl-env-one"))
        yield* Fiber.interrupt(fromFile.fiber)
      }),
    { timeout: 60_000 }
  )
})
