// The data dir: the generated key is stored only as a hash and written once to a
// 0600 file; explicit keys replace it; one server per data dir at a time.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalAuth from "../src/LocalAuth.js"
import * as LocalStore from "../src/LocalStore.js"
import { sandboxDouble } from "./utils.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-datadir-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const authOn = (dir: string, options: LocalAuth.Options = {}) =>
  Effect.flatMap(LocalAuth.LocalAuth, Effect.succeed).pipe(
    Effect.provide(
      LocalAuth.layer({ dataDir: dir, ...options }).pipe(
        Layer.provide(LocalStore.layer({ filename: path.join(dir, "agentbay.db") })),
        Layer.provide(NodeContext.layer)
      )
    )
  )

const mode = (file: string) => fs.statSync(file).mode & 0o777

describe("API keys", () => {
  it.scoped("a first start generates a key, stores only its SHA-256 and writes it to a 0600 file", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const first = yield* authOn(dir)
      assert.strictEqual(first.source, "generated")
      const key = Redacted.value(Option.getOrThrow(first.generated))
      assert.match(key, /^akl-[0-9a-f]{48}$/)
      const file = path.join(dir, "api-key")
      assert.strictEqual(Option.getOrThrow(first.keyFile), file)
      assert.strictEqual(fs.readFileSync(file, "utf8").trim(), key)
      assert.strictEqual(mode(file), 0o600)

      const [hashes, journal] = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
        Effect.all([
          sql<{ hash: string }>`SELECT hash FROM api_keys`,
          sql<{ journal_mode: string }>`PRAGMA journal_mode`
        ])).pipe(Effect.provide(SqliteClient.layer({ filename: path.join(dir, "agentbay.db"), disableWAL: true })))
      assert.strictEqual(journal[0].journal_mode, "wal") // as the store left it
      assert.deepStrictEqual(hashes.map((r) => r.hash), [LocalAuth.hash(key)])
      assert.match(hashes[0].hash, /^[0-9a-f]{64}$/)
      for (const f of fs.readdirSync(dir).filter((f) => f.startsWith("agentbay.db"))) {
        assert.notInclude(fs.readFileSync(path.join(dir, f)).toString("latin1"), key, `${f} holds the plain key`)
      }

      assert.deepStrictEqual(first.authenticate(`Bearer ${key}`), Option.some(LocalAuth.hash(key)))
      assert.isTrue(Option.isNone(first.authenticate(key)))
      assert.isTrue(Option.isNone(first.authenticate("Bearer akl-other")))
      assert.isTrue(Option.isNone(first.authenticate(undefined)))

      // Later starts accept the stored key, print nothing, and read the key back for local clients.
      const second = yield* authOn(dir)
      assert.strictEqual(second.source, "stored")
      assert.isTrue(Option.isNone(second.generated))
      assert.strictEqual(Redacted.value(Option.getOrThrow(second.clientKey)), key)
      assert.isTrue(Option.isSome(second.authenticate(`Bearer ${key}`)))

      // Explicit keys replace it for that run.
      const explicit = yield* authOn(dir, { apiKeys: [Redacted.make("akl-mine")] })
      assert.strictEqual(explicit.source, "explicit")
      assert.isTrue(Option.isSome(explicit.authenticate("Bearer akl-mine")))
      assert.isTrue(Option.isNone(explicit.authenticate(`Bearer ${key}`)))
    }))

  it.scoped("an existing key file is tightened to 0600 before the new key goes in", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const file = path.join(dir, "api-key")
      fs.writeFileSync(file, "stale\n", { mode: 0o644 })
      fs.chmodSync(file, 0o644)
      const auth = yield* authOn(dir)
      assert.strictEqual(mode(file), 0o600)
      assert.strictEqual(fs.readFileSync(file, "utf8").trim(), Redacted.value(Option.getOrThrow(auth.generated)))
    }))
})

describe("AgentBayLocal on a given data dir", () => {
  it.scoped("one server at a time; state and key survive a clean restart", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const sandbox = sandboxDouble()
      const serve = AgentBayLocal.layerWith({ dataDir: dir, transitionDelay: 0 }, () => sandbox.layer)
      const id = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(serve)
        const info = yield* Effect.provide(AgentBayLocal.Info, ctx)
        assert.isFalse(info.temporary)
        assert.strictEqual(info.dataDir, dir)
        assert.strictEqual(info.keySource, "generated")
        const marker = JSON.parse(fs.readFileSync(path.join(dir, "server.json"), "utf8"))
        assert.deepStrictEqual(marker, { pid: process.pid, endpoint: info.endpoint })
        const s = yield* Effect.flatMap(AgentBay.AgentBay, (b) => b.create({ labels: { kept: "yes" } })).pipe(
          Effect.provide(ctx)
        )
        // A second server on the same dir is refused while this one runs... unless it is this process.
        fs.writeFileSync(path.join(dir, "server.json"), JSON.stringify({ pid: process.ppid, endpoint: "http://x" }))
        const refused = yield* Effect.flip(Layer.build(serve))
        assert.strictEqual(refused._tag, "InUse")
        return s.id
      }))
      assert.isFalse(fs.existsSync(path.join(dir, "server.json")))
      assert.isTrue(fs.existsSync(dir))

      sandbox.calls.length = 0
      yield* Effect.gen(function*() {
        const again = yield* Effect.flatMap(AgentBay.AgentBay, (b) => b.get(id))
        assert.strictEqual(again.status, "RUNNING")
        assert.deepStrictEqual(AgentBay.withoutStamps(yield* again.getLabels()), { kept: "yes" })
        assert.strictEqual((yield* AgentBayLocal.Info).keySource, "stored")
      }).pipe(Effect.provide(serve))
      assert.deepStrictEqual(sandbox.calls, [`start:${id}`]) // restarted by the reconciliation
    }))
})
