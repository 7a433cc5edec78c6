// LocalVault's records against the BackendVault interface: contexts, sync tasks, volumes, networks, URL tokens
// (stored as hashes only) and recycle lifetimes, in the SQLite database LocalStore opens; all of it survives
// closing the vault and opening another on the same data directory.
import type { ContextRow, SyncTaskRow, VolumeRow } from "@effect-agentbay/backend/BackendVault"
import * as MemoryVault from "@effect-agentbay/backend/MemoryVault"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as LocalVault from "../src/LocalVault.js"
import { openVault, readAll, tempDataDir, text, withVault } from "./vault.js"

const context = (id: string, owner = "owner-a", kind: ContextRow["kind"] = "user"): Omit<ContextRow, "seq"> => ({
  id,
  owner,
  name: `name-${id}`,
  state: "available",
  kind,
  createdAt: 1000,
  lastUsedAt: 2000
})

const volume = (id: string, imageId = "img-1", owner = "owner-a"): Omit<VolumeRow, "seq"> => ({
  id,
  owner,
  name: `vol-${id}`,
  imageId,
  status: "Available",
  createdAt: 3000
})

const task = (sessionId: string, path: string, fields: Partial<SyncTaskRow> = {}): SyncTaskRow => ({
  sessionId,
  contextId: "ctx-1",
  path,
  taskType: "download",
  status: "Running",
  startTime: 10,
  finishTime: null,
  errorMessage: "",
  ...fields
})

/** A one-chunk source. */
const source = (s: string) => Stream.make(text(s))

/** A record failure is a defect. */
const isDefect = (exit: Exit.Exit<unknown, unknown>) => Exit.isFailure(exit) && Cause.isDie(exit.cause)

const ids = (rows: ReadonlyArray<{ readonly id: string }>) => rows.map((r) => r.id)

describe("LocalVault records", () => {
  it.scoped("contexts: insert, find (by id, owner, name), keyset pages of user contexts, update, delete", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      for (const id of ["c1", "c2", "c3", "c4", "c5"]) yield* vault.insertContext(context(id))
      yield* vault.insertContext(context("ft-1", "owner-a", "file_transfer"))
      yield* vault.insertContext(context("b1", "owner-b"))

      const found = Option.getOrThrow(yield* vault.findContext("c2"))
      assert.deepStrictEqual({ ...found, seq: 0 }, { ...context("c2"), seq: 0 })
      assert.isTrue(Option.isSome(yield* vault.findContext("c2", "owner-a")))
      assert.isTrue(Option.isNone(yield* vault.findContext("c2", "owner-b")), "another owner's context is not found")
      assert.isTrue(Option.isNone(yield* vault.findContext("nope")))
      assert.strictEqual(Option.getOrThrow(yield* vault.findContextByName("owner-a", "name-c3")).id, "c3")
      assert.isTrue(Option.isNone(yield* vault.findContextByName("owner-b", "name-c3")))

      const first = yield* vault.listContexts({ owner: "owner-a", after: 0, limit: 2 })
      assert.deepStrictEqual(ids(first.rows), ["c1", "c2"])
      assert.strictEqual(first.total, 5, "file_transfer contexts and other owners' are not counted")
      const second = yield* vault.listContexts({ owner: "owner-a", after: first.rows[1]!.seq, limit: 10 })
      assert.deepStrictEqual(ids(second.rows), ["c3", "c4", "c5"])
      assert.strictEqual(second.total, 5)

      // A name is unique per owner: a second one is a defect (the backend checks first).
      const duplicate = yield* Effect.exit(vault.insertContext({ ...context("c9"), name: "name-c1" }))
      assert.isTrue(isDefect(duplicate))
      yield* vault.insertContext({ ...context("b2", "owner-b"), name: "name-c1" }) // another owner may

      yield* vault.updateContext("c1", { name: "renamed", state: "in-use" })
      yield* vault.updateContext("c1", {})
      yield* vault.updateContext("c1", { lastUsedAt: 9999 })
      const updated = Option.getOrThrow(yield* vault.findContext("c1"))
      assert.deepStrictEqual([updated.name, updated.state, updated.lastUsedAt], ["renamed", "in-use", 9999])

      yield* vault.deleteContext("c1")
      assert.isTrue(Option.isNone(yield* vault.findContext("c1")))
      assert.strictEqual((yield* vault.listContexts({ owner: "owner-a", after: 0, limit: 10 })).total, 4)
    }))

  it.scoped("deleteContext takes the context's files, tokens and recycle rows with it, and only its own", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault } = yield* openVault(dataDir)
      for (const id of ["c1", "c2"]) {
        yield* vault.insertContext(context(id))
        yield* vault.files.write(id, "/home/wuying/a.txt", source(`data of ${id}`))
        yield* vault.insertToken({
          token: `tok-${id}`,
          kind: "download",
          owner: "owner-a",
          contextId: id,
          path: "/home/wuying/a.txt",
          expiresAt: 5
        })
        yield* vault.setRecycle({ contextId: id, path: "", expiresAt: 5 })
      }
      yield* vault.deleteContext("c1")
      assert.isFalse(fs.existsSync(path.join(dataDir, "contexts", "c1")))
      assert.isTrue(Option.isNone(yield* vault.findToken("tok-c1")))
      assert.isTrue(Option.isSome(yield* vault.findToken("tok-c2")))
      assert.deepStrictEqual((yield* vault.dueRecycles(10)).map((r) => r.contextId), ["c2"])
      assert.strictEqual((yield* readAll(vault, "c2", "/home/wuying/a.txt")).bytes.toString(), "data of c2")
    }))

  it.scoped("sync tasks: put inserts or replaces per (session, context, path, type) in place; drop by session", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      yield* vault.putTask(task("s1", "/a"))
      yield* vault.putTask(task("s1", "/b"))
      yield* vault.putTask(task("s1", "/a", { taskType: "upload" }))
      yield* vault.putTask(task("s2", "/a"))
      const failed = { status: "Failed", finishTime: 20, errorMessage: "boom", startTime: 11 } as const
      yield* vault.putTask(task("s1", "/a", failed))
      const s1 = yield* vault.tasks("s1")
      assert.deepStrictEqual(s1.map((t) => [t.path, t.taskType, t.status]), [
        ["/a", "download", "Failed"],
        ["/b", "download", "Running"],
        ["/a", "upload", "Running"]
      ])
      assert.deepStrictEqual(s1[0], task("s1", "/a", failed))
      assert.strictEqual(s1[1]!.finishTime, null)
      yield* vault.dropTasks(["s1", "s-unknown"])
      assert.deepStrictEqual(yield* vault.tasks("s1"), [])
      assert.strictEqual((yield* vault.tasks("s2")).length, 1)
      yield* vault.dropTasks([])
      assert.strictEqual((yield* vault.tasks("s2")).length, 1)
    }))

  it.scoped("volumes: unique per owner and image; list filters by image, name and ids, in keyset pages", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      for (const id of ["v1", "v2", "v3", "v4"]) yield* vault.insertVolume(volume(id))
      yield* vault.insertVolume(volume("w1", "img-2"))
      yield* vault.insertVolume(volume("x1", "img-1", "owner-b"))
      yield* vault.insertVolume({ ...volume("v5", "img-2"), name: "vol-v1" }) // same name, other image
      const duplicate = yield* Effect.exit(vault.insertVolume({ ...volume("v6"), name: "vol-v1" }))
      assert.isTrue(isDefect(duplicate))

      const q = { owner: "owner-a", imageId: "img-1", after: 0, limit: 10 }
      assert.deepStrictEqual(ids(yield* vault.listVolumes(q)), ["v1", "v2", "v3", "v4"])
      const page = yield* vault.listVolumes({ ...q, limit: 3 })
      assert.deepStrictEqual(ids(page), ["v1", "v2", "v3"])
      assert.deepStrictEqual(ids(yield* vault.listVolumes({ ...q, after: page[2]!.seq })), ["v4"])
      assert.deepStrictEqual(ids(yield* vault.listVolumes({ ...q, name: "vol-v2" })), ["v2"])
      assert.deepStrictEqual(ids(yield* vault.listVolumes({ ...q, ids: ["v3", "v1", "w1", "x1"] })), ["v1", "v3"])
      assert.deepStrictEqual(ids(yield* vault.listVolumes({ ...q, ids: [] })), [])
      assert.deepStrictEqual(ids(yield* vault.listVolumes({ ...q, imageId: "img-2" })), ["w1", "v5"])

      assert.strictEqual(Option.getOrThrow(yield* vault.findVolumeByName("owner-a", "img-2", "vol-v1")).id, "v5")
      assert.deepStrictEqual(Option.getOrThrow(yield* vault.findVolume("v2", "owner-a")).status, "Available")
      assert.isTrue(Option.isNone(yield* vault.findVolume("v2", "owner-b")))
      yield* vault.deleteVolume("v2")
      assert.isTrue(Option.isNone(yield* vault.findVolume("v2")))
    }))

  it.scoped("networks: insert, find by owner, update token and online", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      yield* vault.insertNetwork({ id: "n1", owner: "owner-a", token: "t1", online: false, createdAt: 7 })
      assert.deepStrictEqual(Option.getOrThrow(yield* vault.findNetwork("n1", "owner-a")), {
        id: "n1",
        owner: "owner-a",
        token: "t1",
        online: false,
        createdAt: 7
      })
      assert.isTrue(Option.isNone(yield* vault.findNetwork("n1", "owner-b")))
      yield* vault.updateNetwork("n1", { online: true })
      yield* vault.updateNetwork("n1", { token: "t2" })
      const updated = Option.getOrThrow(yield* vault.findNetwork("n1"))
      assert.deepStrictEqual([updated.token, updated.online], ["t2", true])
      yield* vault.updateNetwork("n1", { online: false })
      assert.isFalse(Option.getOrThrow(yield* vault.findNetwork("n1")).online)
    }))

  it.scoped("URL tokens are found by their hash, never stored raw; expired ones are purged", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const raw = "5f1c0ffee0ddba11deadbeefcafe4242"
      const grant = { kind: "upload", owner: "owner-a", contextId: "c1", path: "/home/wuying/x" } as const
      const fileToken = (token: string, expiresAt = 100) => ({ token, ...grant, expiresAt })
      yield* Effect.scoped(Effect.gen(function*() {
        const { sql, vault } = yield* openVault(dataDir)
        yield* vault.insertToken(fileToken(raw))
        yield* vault.insertToken(fileToken("other-token", 200))
        assert.deepStrictEqual(Option.getOrThrow(yield* vault.findToken(raw)), fileToken(raw))
        assert.isTrue(Option.isNone(yield* vault.findToken(raw.toUpperCase())))
        const hashes = yield* sql<{ hash: string }>`SELECT hash FROM file_tokens ORDER BY expires_at`
        assert.strictEqual(hashes[0]!.hash, createHash("sha256").update(raw).digest("hex"))
      }))
      for (const file of fs.readdirSync(dataDir).filter((f) => f.startsWith("agentbay.db"))) {
        const stored = fs.readFileSync(path.join(dataDir, file)).toString("latin1")
        assert.notInclude(stored, raw, `${file} holds the raw token`)
      }
      yield* withVault(dataDir, (vault) =>
        Effect.gen(function*() {
          assert.isTrue(Option.isSome(yield* vault.findToken(raw)), "kept across a reopen")
          yield* vault.purgeTokens(100) // expired *before* 100: none
          assert.isTrue(Option.isSome(yield* vault.findToken(raw)))
          yield* vault.purgeTokens(101)
          assert.isTrue(Option.isNone(yield* vault.findToken(raw)))
          assert.isTrue(Option.isSome(yield* vault.findToken("other-token")))
          yield* vault.deleteToken("other-token")
          assert.isTrue(Option.isNone(yield* vault.findToken("other-token")))
        }))
    }))

  it.scoped("deleteTokensFor drops a file's or folder's tokens and no one else's (both vaults)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault: local } = yield* openVault(dataDir)
      const memory = yield* MemoryVault.make
      for (const vault of [local, memory]) {
        const grants = [
          ["t1", "c1", "/d/a"],
          ["t2", "c1", "/d/a/b.txt"],
          ["t3", "c1", "/d/ab"],
          ["t4", "c1", "/d/a%"],
          ["t5", "c2", "/d/a"]
        ] as const
        for (const [token, contextId, path] of grants) {
          yield* vault.insertToken({ token, kind: "upload", owner: "o", contextId, path, expiresAt: 1e15 })
        }
        yield* vault.deleteTokensFor("c1", "/d/a")
        const left = []
        for (const [token] of grants) if (Option.isSome(yield* vault.findToken(token))) left.push(token)
        assert.deepStrictEqual(left, ["t3", "t4", "t5"])
      }
    }))

  it.scoped("recycle lifetimes: set replaces per (context, path); due are those at or past now", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      yield* vault.setRecycle({ contextId: "c1", path: "/home/wuying/a", expiresAt: 50 })
      yield* vault.setRecycle({ contextId: "c1", path: "", expiresAt: 80 })
      yield* vault.setRecycle({ contextId: "c2", path: "/home/wuying/a", expiresAt: 60 })
      yield* vault.setRecycle({ contextId: "c1", path: "/home/wuying/a", expiresAt: 70 }) // replaces 50
      assert.deepStrictEqual(yield* vault.dueRecycles(59), [])
      assert.deepStrictEqual(yield* vault.dueRecycles(70), [
        { contextId: "c2", path: "/home/wuying/a", expiresAt: 60 },
        { contextId: "c1", path: "/home/wuying/a", expiresAt: 70 }
      ])
      yield* vault.deleteRecycle("c2", "/home/wuying/a")
      assert.deepStrictEqual((yield* vault.dueRecycles(1000)).map((r) => [r.contextId, r.path]), [
        ["c1", "/home/wuying/a"],
        ["c1", ""]
      ])
    }))

  it.scoped("everything survives closing the vault and opening another on the same data directory", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withVault(dataDir, (vault) =>
        Effect.gen(function*() {
          yield* vault.insertContext(context("c1"))
          yield* vault.files.write("c1", "/home/wuying/dir/a.txt", source("kept"))
          yield* vault.putTask(task("s1", "/home/wuying/dir", { status: "Success", finishTime: 12 }))
          yield* vault.insertVolume(volume("v1"))
          yield* vault.insertNetwork({ id: "n1", owner: "owner-a", token: "t1", online: true, createdAt: 1 })
          yield* vault.setRecycle({ contextId: "c1", path: "", expiresAt: 5 })
        }))
      const { sql, vault } = yield* openVault(dataDir)
      assert.strictEqual(Option.getOrThrow(yield* vault.findContext("c1")).name, "name-c1")
      assert.strictEqual((yield* readAll(vault, "c1", "/home/wuying/dir/a.txt")).bytes.toString(), "kept")
      assert.strictEqual((yield* vault.tasks("s1"))[0]!.status, "Success")
      assert.isTrue(Option.isSome(yield* vault.findVolume("v1")))
      assert.isTrue(Option.getOrThrow(yield* vault.findNetwork("n1")).online)
      assert.strictEqual((yield* vault.dueRecycles(5)).length, 1)
      // The vault's migrations are in their own ledger, the store's in the default one.
      const ledger = sql(LocalVault.migrationTable)
      const vaultLedger = yield* sql<{ migrationId: number }>`SELECT migration_id FROM ${ledger}`
      const storeLedger = yield* sql<{ migrationId: number }>`SELECT migration_id FROM effect_sql_migrations`
      assert.deepStrictEqual(vaultLedger.map((r) => r.migrationId), [1])
      assert.deepStrictEqual(storeLedger.map((r) => r.migrationId), [1, 2])
      const plan = yield* sql<{ detail: string }>`EXPLAIN QUERY PLAN
        SELECT * FROM contexts WHERE owner = 'a' AND kind = 'user' AND seq > 0 ORDER BY seq LIMIT 10`
      assert.isTrue(plan.some((p) => p.detail.includes("contexts_owner_kind")), JSON.stringify(plan))
    }))
})
