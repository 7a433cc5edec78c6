// LocalVault's context files on disk: write/read/stat/list/walk/remove/clear, atomic and streaming writes (a
// failing or interrupted source leaves the old file and no temp file), lexical confinement, owner-only modes,
// and the start-up sweep of cut-short writes and of the files of deleted contexts.
import type { FileError } from "@effect-agentbay/backend/BackendSandbox"
import type { BackendVault, ContextRow } from "@effect-agentbay/backend/BackendVault"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { chunks, filesBelow, openVault, readAll, tempDataDir, text, withVault } from "./vault.js"

const context = (id: string): Omit<ContextRow, "seq"> => ({
  id,
  owner: "owner-a",
  name: id,
  state: "available",
  kind: "user",
  createdAt: 1,
  lastUsedAt: 1
})

const put = (vault: BackendVault.Service, file: string, content: string, contextId = "c1") =>
  vault.files.write(contextId, file, Stream.make(text(content)))

const content = (vault: BackendVault.Service, file: string, contextId = "c1") =>
  Effect.map(readAll(vault, contextId, file), (r) => r.bytes.toString())

const reasonOf = <A>(effect: Effect.Effect<A, FileError>) => Effect.map(Effect.flip(effect), (e) => e.reason)

const mode = (p: string) => fs.statSync(p).mode & 0o777

/** The error of a source that breaks. */
class SourceBroke {
  readonly _tag = "SourceBroke"
}

describe("LocalVault context files", () => {
  it.scoped("write and read back in chunks, byte-exact; stored at the sandbox path under the context's files", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault } = yield* openVault(dataDir)
      const bytes = randomBytes(300 * 1024 + 17)
      const size = yield* vault.files.write("c1", "/home/wuying/data/blob.bin", chunks(bytes, 10_000))
      assert.strictEqual(size, bytes.length)
      const back = yield* readAll(vault, "c1", "/home/wuying/data/blob.bin")
      assert.isTrue(back.bytes.equals(bytes))
      assert.isAbove(back.chunks, 1, "read streams in chunks")
      assert.isAtMost(back.largest, 64 * 1024)

      const host = path.join(dataDir, "contexts", "c1", "files", "home", "wuying", "data", "blob.bin")
      assert.isTrue(fs.readFileSync(host).equals(bytes))
      assert.strictEqual(mode(host), 0o600)
      for (const dir of ["contexts", "contexts/c1", "contexts/c1/files", "contexts/c1/files/home/wuying/data"]) {
        assert.strictEqual(mode(path.join(dataDir, dir)), 0o700, dir)
      }
      // An empty file, and relative paths starting at the session's home.
      assert.strictEqual(yield* vault.files.write("c1", "data/empty", Stream.empty), 0)
      assert.strictEqual(yield* content(vault, "/home/wuying/data/empty"), "")
      assert.deepStrictEqual(filesBelow(path.join(dataDir, "contexts", "c1", "staging")), [])
    }))

  it.scoped("stat, list (direct children by name) and walk (files by path)", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      yield* put(vault, "/home/wuying/d/b.txt", "bb")
      yield* put(vault, "/home/wuying/d/a.txt", "a")
      yield* put(vault, "/home/wuying/d/sub/c.txt", "ccc")
      yield* put(vault, "/tmp/t.txt", "t")

      const a = Option.getOrThrow(yield* vault.files.stat("c1", "/home/wuying/d/a.txt"))
      assert.deepStrictEqual([a.name, a.path, a.isDirectory, a.size], ["a.txt", "/home/wuying/d/a.txt", false, 1])
      assert.isAbove(a.modTime, 0)
      const d = Option.getOrThrow(yield* vault.files.stat("c1", "/home/wuying/d/"))
      assert.deepStrictEqual([d.name, d.path, d.isDirectory], ["d", "/home/wuying/d", true])
      assert.isTrue(Option.isNone(yield* vault.files.stat("c1", "/home/wuying/nope")))
      assert.isTrue(Option.isNone(yield* vault.files.stat("c1", "/home/wuying/d/a.txt/below")))
      assert.isTrue(Option.isNone(yield* vault.files.stat("c-other", "/home/wuying/d/a.txt")))

      const listed = yield* vault.files.list("c1", "/home/wuying/d")
      assert.deepStrictEqual(listed.map((f) => [f.name, f.path, f.isDirectory, f.size]), [
        ["a.txt", "/home/wuying/d/a.txt", false, 1],
        ["b.txt", "/home/wuying/d/b.txt", false, 2],
        ["sub", "/home/wuying/d/sub", true, 0]
      ])
      assert.deepStrictEqual((yield* vault.files.list("c1", "/")).map((f) => f.path), ["/home", "/tmp"])
      assert.deepStrictEqual(yield* vault.files.list("c1", "/home/wuying/missing"), [])
      assert.deepStrictEqual(yield* vault.files.list("c-other", "/"), [])

      const walked = (yield* vault.files.walk("c1", "/home/wuying")).map((f) => f.path)
      assert.deepStrictEqual(walked, ["/home/wuying/d/a.txt", "/home/wuying/d/b.txt", "/home/wuying/d/sub/c.txt"])
      assert.strictEqual((yield* vault.files.walk("c1", "/")).length, 4)
      assert.deepStrictEqual((yield* vault.files.walk("c1", "/home/wuying/d/b.txt")).map((f) => f.size), [2])
      assert.deepStrictEqual(yield* vault.files.walk("c1", "/home/wuying/missing"), [])
    }))

  it.scoped("a write replaces the whole file; files and folders never sit in each other's place", () =>
    Effect.gen(function*() {
      const { vault } = yield* openVault(yield* tempDataDir)
      yield* put(vault, "/home/wuying/f.txt", "a long first version")
      yield* put(vault, "/home/wuying/f.txt", "v2")
      assert.strictEqual(yield* content(vault, "/home/wuying/f.txt"), "v2")
      assert.strictEqual(yield* reasonOf(put(vault, "/home/wuying", "x")), "IsDirectory")
      assert.strictEqual(yield* reasonOf(put(vault, "/", "x")), "IsDirectory")
      assert.strictEqual(yield* reasonOf(put(vault, "/home/wuying/f.txt/inner", "x")), "NotDirectory")
      assert.strictEqual(yield* reasonOf(put(vault, "/home/wuying/f.txt/a/b", "x")), "NotDirectory")
      assert.strictEqual(yield* reasonOf(content(vault, "/home/wuying/missing")), "NotFound")
      assert.strictEqual(yield* reasonOf(content(vault, "/home/wuying")), "IsDirectory")
      assert.strictEqual(yield* reasonOf(content(vault, "/home/wuying/f.txt", "c-other")), "NotFound")
      assert.strictEqual(yield* content(vault, "/home/wuying/f.txt"), "v2")
    }))

  it.scoped("a source that fails mid-write leaves the previous file intact and no temp file", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault } = yield* openVault(dataDir)
      yield* put(vault, "/home/wuying/f.txt", "previous")
      const broken = Stream.concat(Stream.make(text("half of the new")), Stream.fail(new SourceBroke()))
      const error = yield* Effect.flip(vault.files.write("c1", "/home/wuying/f.txt", broken))
      assert.instanceOf(error, SourceBroke, "the source's own error comes through")
      assert.strictEqual(yield* content(vault, "/home/wuying/f.txt"), "previous")
      assert.deepStrictEqual(filesBelow(path.join(dataDir, "contexts", "c1", "staging")), [])
      // A new file whose write fails is not created at all, nor are its folders.
      yield* Effect.flip(vault.files.write("c1", "/home/wuying/new.txt", broken))
      assert.isTrue(Option.isNone(yield* vault.files.stat("c1", "/home/wuying/new.txt")))
      yield* Effect.flip(vault.files.write("c1", "/home/wuying/deep/er/new.txt", broken))
      assert.isTrue(
        Option.isNone(yield* vault.files.stat("c1", "/home/wuying/deep")),
        "no folder left by a failed write"
      )
      assert.deepStrictEqual(filesBelow(path.join(dataDir, "contexts", "c1", "staging")), [])
    }))

  it.scopedLive("an interrupted write leaves the previous file intact and no temp file", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const staging = path.join(dataDir, "contexts", "c1", "staging")
      const { vault } = yield* openVault(dataDir)
      yield* put(vault, "/home/wuying/f.txt", "previous")
      const endless = Stream.concat(Stream.make(text("part of the new")), Stream.never)
      const fiber = yield* Effect.fork(vault.files.write("c1", "/home/wuying/f.txt", endless))
      // Until the temp file holds the first chunk: the write is under way.
      for (let i = 0; i < 500 && filesBelow(staging).length === 0; i++) yield* Effect.sleep("10 millis")
      const [temp] = filesBelow(staging)
      assert.isDefined(temp, "a temp file while the write runs")
      const tempSize = () => fs.statSync(path.join(staging, temp!)).size
      for (let i = 0; i < 500 && tempSize() === 0; i++) yield* Effect.sleep("10 millis")
      assert.strictEqual(yield* content(vault, "/home/wuying/f.txt"), "previous", "readers see the old file meanwhile")
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(yield* content(vault, "/home/wuying/f.txt"), "previous")
      assert.deepStrictEqual(filesBelow(staging), [])
    }), { timeout: 20_000 })

  it.scoped("remove (a file, a folder with everything below) and clear", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault } = yield* openVault(dataDir)
      yield* put(vault, "/home/wuying/d/a.txt", "a")
      yield* put(vault, "/home/wuying/d/sub/b.txt", "b")
      yield* put(vault, "/home/wuying/keep.txt", "k")
      assert.isTrue(yield* vault.files.remove("c1", "/home/wuying/d/a.txt"))
      assert.isFalse(yield* vault.files.remove("c1", "/home/wuying/d/a.txt"))
      assert.isTrue(yield* vault.files.remove("c1", "/home/wuying/d"))
      assert.deepStrictEqual((yield* vault.files.walk("c1", "/")).map((f) => f.path), ["/home/wuying/keep.txt"])
      assert.isFalse(yield* vault.files.remove("c-other", "/home/wuying/keep.txt"))
      yield* vault.files.clear("c1")
      assert.deepStrictEqual(yield* vault.files.walk("c1", "/"), [])
      yield* vault.files.clear("c1") // nothing there: fine
      yield* vault.files.clear("never-written")
      assert.deepStrictEqual(filesBelow(path.join(dataDir, "contexts", "c1", "staging")), [])
      yield* put(vault, "/home/wuying/again.txt", "after a clear")
      assert.strictEqual(yield* content(vault, "/home/wuying/again.txt"), "after a clear")
    }))

  it.scoped("escapes are refused lexically (Escape), NULs and bad context ids are Invalid, for every operation", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { vault } = yield* openVault(dataDir)
      fs.mkdirSync(path.join(dataDir, "contexts", "c2", "files"), { recursive: true })
      fs.writeFileSync(path.join(dataDir, "contexts", "c2", "files", "secret"), "secret")
      const f = vault.files
      const ops = (contextId: string, p: string): Record<string, Effect.Effect<unknown, FileError>> => ({
        stat: f.stat(contextId, p),
        list: f.list(contextId, p),
        walk: f.walk(contextId, p),
        read: Stream.runDrain(f.read(contextId, p)),
        write: f.write(contextId, p, Stream.make(text("pwned"))),
        remove: f.remove(contextId, p)
      })
      const cases: ReadonlyArray<readonly [string, string, FileError["reason"]]> = [
        ["c1", "../c2/files/secret", "Escape"],
        ["c1", "/../../c2/files/secret", "Escape"],
        ["c1", "/home/wuying/../../../../c2/files/secret", "Escape"],
        ["c1", "/home/wuying/a/../b", "Escape"],
        ["c1", "/home/wuying/a\0b", "Invalid"],
        ["c1", "", "Invalid"],
        ["..", "c2/files/secret", "Invalid"],
        ["c1/../c2", "/secret", "Invalid"],
        ["", "/secret", "Invalid"]
      ]
      for (const [contextId, p, reason] of cases) {
        for (const [name, op] of Object.entries(ops(contextId, p))) {
          const error = yield* Effect.flip(op)
          assert.strictEqual(error.reason, reason, `${name} ${contextId} ${JSON.stringify(p)}`)
          assert.notInclude(error.message, dataDir, "no host path in the message")
        }
      }
      assert.strictEqual(yield* reasonOf(f.clear("..")), "Invalid")
      assert.strictEqual(fs.readFileSync(path.join(dataDir, "contexts", "c2", "files", "secret"), "utf8"), "secret")
      assert.deepStrictEqual(filesBelow(path.join(dataDir, "contexts", "c1")), [])
    }))

  it.scoped("start-up: cut-short writes (staging) and the files of contexts with no record are swept", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withVault(dataDir, (vault) =>
        Effect.gen(function*() {
          yield* vault.insertContext(context("c1"))
          yield* put(vault, "/home/wuying/a.txt", "kept")
          yield* put(vault, "/home/wuying/b.txt", "orphan", "gone") // no record: a delete cut short
        }))
      // What a SIGKILL mid-write leaves.
      const staging = path.join(dataDir, "contexts", "c1", "staging")
      fs.mkdirSync(staging, { recursive: true })
      fs.writeFileSync(path.join(staging, "write-deadbeef"), "half")
      yield* withVault(dataDir, (vault) =>
        Effect.gen(function*() {
          assert.strictEqual(yield* content(vault, "/home/wuying/a.txt"), "kept")
          assert.isFalse(fs.existsSync(staging))
          assert.isFalse(fs.existsSync(path.join(dataDir, "contexts", "gone")))
        }))
    }))
})
