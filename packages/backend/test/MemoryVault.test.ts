// The fake's vault: keyset paging, filters, atomic file writes, folders as the
// parents of files, and what DeleteContext takes with it.
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { FileError } from "../src/BackendSandbox.js"
import type { BackendVault } from "../src/BackendVault.js"
import * as MemoryVault from "../src/MemoryVault.js"

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (vault: BackendVault.Service, contextId: string, path: string) =>
  Effect.map(
    Stream.runFold(vault.files.read(contextId, path), "", (acc, chunk) => acc + new TextDecoder().decode(chunk)),
    (s) => s
  )
const context = (id: string, owner = "o", kind: "user" | "file_transfer" = "user") => ({
  id,
  owner,
  name: id,
  state: "available" as const,
  kind,
  createdAt: 0,
  lastUsedAt: 0
})

describe("MemoryVault", () => {
  it.effect("contexts: keyset pages by seq over the owner's user contexts, with the total", () =>
    Effect.gen(function*() {
      const vault = yield* MemoryVault.make
      for (const id of ["c1", "c2", "c3", "c4"]) yield* vault.insertContext(context(id))
      yield* vault.insertContext(context("other", "p"))
      yield* vault.insertContext(context("transfer", "o", "file_transfer"))
      const first = yield* vault.listContexts({ owner: "o", after: 0, limit: 3 })
      assert.deepStrictEqual([first.rows.map((r) => r.id), first.total], [["c1", "c2", "c3"], 4])
      const next = yield* vault.listContexts({ owner: "o", after: first.rows[2]!.seq, limit: 3 })
      assert.deepStrictEqual(next.rows.map((r) => r.id), ["c4"])
      assert.isTrue(Option.isNone(yield* vault.findContext("c1", "p")))
      assert.strictEqual(Option.getOrThrow(yield* vault.findContextByName("o", "transfer")).kind, "file_transfer")
      yield* vault.updateContext("c1", { name: "renamed", state: "clearing" })
      const c1 = Option.getOrThrow(yield* vault.findContext("c1", "o"))
      assert.deepStrictEqual([c1.name, c1.state], ["renamed", "clearing"])
    }))

  it.effect("volumes: filtered by owner, image, name and ids, paged by seq", () =>
    Effect.gen(function*() {
      const vault = yield* MemoryVault.make
      const volume = (id: string, name: string, imageId = "img") =>
        vault.insertVolume({ id, owner: "o", name, imageId, status: "Available", createdAt: 0 })
      yield* volume("v1", "a")
      yield* volume("v2", "b")
      yield* volume("v3", "a", "other")
      yield* volume("v4", "c")
      const ids = (q: Partial<Parameters<BackendVault.Service["listVolumes"]>[0]>) =>
        Effect.map(vault.listVolumes({ owner: "o", imageId: "img", after: 0, limit: 10, ...q }), (rs) =>
          rs.map((r) => r.id))
      assert.deepStrictEqual(yield* ids({}), ["v1", "v2", "v4"])
      assert.deepStrictEqual(yield* ids({ name: "a" }), ["v1"])
      assert.deepStrictEqual(yield* ids({ ids: ["v4", "v3", "v2"] }), ["v2", "v4"])
      assert.deepStrictEqual(yield* ids({ limit: 1, after: 1 }), ["v2"])
      assert.strictEqual(Option.getOrThrow(yield* vault.findVolumeByName("o", "other", "a")).id, "v3")
    }))

  it.effect("files: an interrupted or failed write leaves the old file whole; folders are the parents of files", () =>
    Effect.gen(function*() {
      const vault = yield* MemoryVault.make
      yield* TestClock.adjust("1 second")
      assert.strictEqual(
        yield* vault.files.write("c", "/home/wuying/d/a.txt", Stream.make(bytes("old "), bytes("file"))),
        8
      )
      const failing = Stream.concat(Stream.succeed(bytes("partial")), Stream.fail("broken pipe"))
      assert.strictEqual(yield* Effect.flip(vault.files.write("c", "/home/wuying/d/a.txt", failing)), "broken pipe")
      assert.strictEqual(yield* text(vault, "c", "/home/wuying/d/a.txt"), "old file")
      yield* vault.files.write("c", "/home/wuying/d/sub/b.txt", Stream.succeed(bytes("b")))
      const list = yield* vault.files.list("c", "/home/wuying/d")
      assert.deepStrictEqual(list.map((f) => [f.name, f.isDirectory, f.size]), [["a.txt", false, 8], ["sub", true, 0]])
      assert.deepStrictEqual((yield* vault.files.list("c", "/")).map((f) => f.path), ["/home"])
      assert.deepStrictEqual((yield* vault.files.walk("c", "/home/wuying")).map((f) => f.path), [
        "/home/wuying/d/a.txt",
        "/home/wuying/d/sub/b.txt"
      ])
      const folder = Option.getOrThrow(yield* vault.files.stat("c", "/home/wuying/d/sub"))
      assert.deepStrictEqual([folder.isDirectory, folder.modTime], [true, 1000])
      // A file cannot sit where a folder is, nor below a file.
      const onFolder = yield* Effect.flip(vault.files.write("c", "/home/wuying/d/sub", Stream.succeed(bytes("x"))))
      assert.strictEqual((onFolder as FileError).reason, "IsDirectory")
      const belowFile = yield* Effect.flip(vault.files.write("c", "/home/wuying/d/a.txt/x", Stream.succeed(bytes("x"))))
      assert.strictEqual((belowFile as FileError).reason, "NotDirectory")
      assert.isTrue(yield* vault.files.remove("c", "/home/wuying/d/sub"))
      assert.isFalse(yield* vault.files.remove("c", "/home/wuying/d/sub"))
      assert.isTrue(Option.isNone(yield* vault.files.stat("c", "/home/wuying/d/sub")))
    }))

  it.effect("reads come in 1 MiB chunks; injected faults fail the next reads or writes", () =>
    Effect.gen(function*() {
      const { faults, vault } = yield* MemoryVault.makeWithFaults
      const big = new Uint8Array(MemoryVault.chunkSize * 2 + 3)
      yield* vault.files.write("c", "/tmp/big", Stream.succeed(big))
      const sizes = yield* Stream.runFold(
        vault.files.read("c", "/tmp/big"),
        [] as Array<number>,
        (a, c) => [...a, c.length]
      )
      assert.deepStrictEqual(sizes, [MemoryVault.chunkSize, MemoryVault.chunkSize, 3])
      yield* faults.failNext("write")
      const failed = yield* Effect.flip(vault.files.write("c", "/tmp/big", Stream.succeed(new Uint8Array(1))))
      assert.strictEqual(failed instanceof FileError && failed.reason, "Io")
      assert.strictEqual(Option.getOrThrow(yield* vault.files.stat("c", "/tmp/big")).size, big.length)
      yield* faults.failNext("read", 2)
      for (let i = 0; i < 2; i++) {
        assert.isTrue((yield* Effect.flip(Stream.runDrain(vault.files.read("c", "/tmp/big")))) instanceof FileError)
      }
      yield* Stream.runDrain(vault.files.read("c", "/tmp/big"))
    }))

  it.effect("DeleteContext takes the files, tokens and recycle rows of that context only", () =>
    Effect.gen(function*() {
      const vault = yield* MemoryVault.make
      for (const id of ["a", "b"]) {
        yield* vault.insertContext(context(id))
        yield* vault.files.write(id, "/tmp/f", Stream.succeed(bytes(id)))
        yield* vault.insertToken({
          token: `t-${id}`,
          kind: "download",
          owner: "o",
          contextId: id,
          path: "/tmp/f",
          expiresAt: 10
        })
        yield* vault.setRecycle({ contextId: id, path: "/tmp", expiresAt: 5 })
      }
      yield* vault.deleteContext("a")
      assert.isTrue(Option.isNone(yield* vault.findContext("a")))
      assert.deepStrictEqual(yield* vault.files.walk("a", "/"), [])
      assert.isTrue(Option.isNone(yield* vault.findToken("t-a")))
      assert.isTrue(Option.isSome(yield* vault.findToken("t-b")))
      assert.deepStrictEqual((yield* vault.dueRecycles(5)).map((r) => r.contextId), ["b"])
      assert.deepStrictEqual(yield* vault.dueRecycles(4), [])
      yield* vault.purgeTokens(11)
      assert.isTrue(Option.isNone(yield* vault.findToken("t-b")))
    }))

  it.effect("tasks: one per (session, context, path, type), replaced in place; dropped with their sessions", () =>
    Effect.gen(function*() {
      const vault = yield* MemoryVault.make
      const task = (sessionId: string, taskType: "upload" | "download", status: "Running" | "Success") =>
        vault.putTask({
          sessionId,
          contextId: "c",
          path: "/p",
          taskType,
          status,
          startTime: 0,
          finishTime: null,
          errorMessage: ""
        })
      yield* task("s1", "download", "Running")
      yield* task("s1", "upload", "Running")
      yield* task("s1", "download", "Success")
      yield* task("s2", "upload", "Success")
      assert.deepStrictEqual((yield* vault.tasks("s1")).map((t) => [t.taskType, t.status]), [["download", "Success"], [
        "upload",
        "Running"
      ]])
      yield* vault.dropTasks(["s1"])
      assert.deepStrictEqual(yield* vault.tasks("s1"), [])
      assert.strictEqual((yield* vault.tasks("s2")).length, 1)
    }))
})
