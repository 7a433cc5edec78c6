// The sync engine over MemoryFiles (the sandbox side) and MemoryVault (the
// context side): the policy's whitelist and excludes, delete propagation,
// Archive mode, windows, task records, and the recycle sweep on the TestClock.
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { SessionFiles } from "../src/BackendSandbox.js"
import * as BackendSync from "../src/BackendSync.js"
import { BackendVault } from "../src/BackendVault.js"
import * as MemoryFiles from "../src/MemoryFiles.js"
import * as MemoryVault from "../src/MemoryVault.js"

const root = "/home/wuying/data"
const ctx = "ctx-1"

const setup = (options: BackendSync.Options = {}) =>
  Effect.gen(function*() {
    const { faults, vault } = yield* MemoryVault.makeWithFaults
    yield* vault.insertContext({
      id: ctx,
      owner: "o",
      name: "n",
      state: "available",
      kind: "user",
      createdAt: 0,
      lastUsedAt: 0
    })
    const engine = yield* Effect.provideService(BackendSync.make(options), BackendVault, vault)
    const entry = (policy?: unknown, path = root): BackendSync.SyncEntry => ({
      contextId: ctx,
      path,
      policy: BackendSync.policyOf(policy)
    })
    const run = (files: SessionFiles, taskType: "upload" | "download", policy?: unknown, path?: string) =>
      engine.run("s", files, entry(policy, path), taskType)
    const stored = Effect.map(vault.files.walk(ctx, "/"), (fs) => fs.map((f) => f.path))
    return { vault, faults, run, stored }
  })

const tree = (files: SessionFiles, path = root) => MemoryFiles.snapshot(files, path)

const seeded = (entries: Record<string, string>) =>
  Effect.suspend(() => {
    const files = MemoryFiles.make()
    return Effect.as(MemoryFiles.seed(files, entries), files)
  })

describe("BackendSync", () => {
  it.effect("File mode: upload then download restores the tree; each run is a task record", () =>
    Effect.gen(function*() {
      const { run, stored, vault } = yield* setup()
      const one = yield* seeded({ [`${root}/a.txt`]: "a", [`${root}/sub/b.txt`]: "b", "/home/wuying/other.txt": "x" })
      yield* TestClock.adjust("5 seconds")
      const task = yield* run(one, "upload")
      assert.deepStrictEqual([task.status, task.taskType, task.path, task.startTime, task.finishTime], [
        "Success",
        "upload",
        root,
        5000,
        5000
      ])
      assert.deepStrictEqual(yield* stored, [`${root}/a.txt`, `${root}/sub/b.txt`])
      const two = MemoryFiles.make()
      assert.strictEqual((yield* run(two, "download")).status, "Success")
      assert.deepStrictEqual(yield* tree(two), {
        [`${root}/a.txt`]: "a",
        [`${root}/sub/`]: "",
        [`${root}/sub/b.txt`]: "b"
      })
      assert.deepStrictEqual((yield* vault.tasks("s")).map((t) => [t.taskType, t.status]), [["upload", "Success"], [
        "download",
        "Success"
      ]])
      assert.strictEqual(Option.getOrThrow(yield* vault.findContext(ctx)).lastUsedAt, 5000)
    }))

  it.effect("whitelist and excludes select what uploads and what downloads", () =>
    Effect.gen(function*() {
      const { run, stored, vault } = yield* setup()
      const policy = {
        bwList: { whiteLists: [{ path: "src", excludePaths: ["tmp", `${root}/src/gen`] }, { path: "/README" }] }
      }
      const one = yield* seeded({
        [`${root}/src/a.ts`]: "a",
        [`${root}/src/tmp/x`]: "x",
        [`${root}/src/gen/y`]: "y",
        [`${root}/README`]: "r",
        [`${root}/other`]: "o"
      })
      yield* run(one, "upload", policy)
      assert.deepStrictEqual(yield* stored, [`${root}/README`, `${root}/src/a.ts`])
      // Stored files outside the whitelist are not downloaded either.
      yield* vault.files.write(ctx, `${root}/other`, Stream.succeed(new TextEncoder().encode("o")))
      const two = MemoryFiles.make()
      yield* run(two, "download", policy)
      assert.deepStrictEqual(yield* tree(two), {
        [`${root}/README`]: "r",
        [`${root}/src/`]: "",
        [`${root}/src/a.ts`]: "a"
      })
      // An empty whitelist syncs nothing.
      const three = MemoryFiles.make()
      yield* run(three, "download", { bwList: { whiteLists: [] } })
      assert.isTrue((yield* Effect.flip(three.stat(root)))._tag === "FileError")
    }))

  it.effect("deletions propagate with deletePolicy.syncLocalFile (default), not without; a missing path keeps the data", () =>
    Effect.gen(function*() {
      const { run, stored } = yield* setup()
      const files = yield* seeded({ [`${root}/keep`]: "k", [`${root}/drop`]: "d", [`${root}/dir/x`]: "x" })
      yield* run(files, "upload")
      yield* files.remove(`${root}/drop`)
      yield* run(files, "upload", { deletePolicy: { syncLocalFile: false } })
      assert.deepStrictEqual(yield* stored, [`${root}/dir/x`, `${root}/drop`, `${root}/keep`])
      yield* files.remove(`${root}/dir`)
      yield* run(files, "upload")
      assert.deepStrictEqual(yield* stored, [`${root}/keep`])
      yield* files.remove(root)
      assert.strictEqual((yield* run(files, "upload")).status, "Success")
      assert.deepStrictEqual(yield* stored, [`${root}/keep`])
    }))

  it.effect("Archive mode stores the path as <path>/<name>.tar and unpacks it per extractPolicy", () =>
    Effect.gen(function*() {
      const { run, stored } = yield* setup()
      const archive = { uploadPolicy: { uploadMode: "Archive" } }
      const one = yield* seeded({ [`${root}/a.txt`]: "a", [`${root}/empty/`]: "", [`${root}/sub/b.txt`]: "b" })
      yield* run(one, "upload")
      yield* run(one, "upload", archive)
      // The archive replaced the plain files (syncLocalFile).
      assert.deepStrictEqual(yield* stored, [`${root}/data.tar`])
      const unpacked = MemoryFiles.make()
      yield* run(unpacked, "download", archive)
      assert.deepStrictEqual(yield* tree(unpacked), {
        [`${root}/a.txt`]: "a",
        [`${root}/empty/`]: "",
        [`${root}/sub/`]: "",
        [`${root}/sub/b.txt`]: "b"
      })
      const kept = MemoryFiles.make()
      yield* run(kept, "download", { ...archive, extractPolicy: { deleteSrcFile: false } })
      assert.deepStrictEqual(Object.keys(yield* tree(kept)).sort(), [
        `${root}/a.txt`,
        `${root}/data.tar`,
        `${root}/empty/`,
        `${root}/sub/`,
        `${root}/sub/b.txt`
      ])
      const packed = MemoryFiles.make()
      yield* run(packed, "download", { ...archive, extractPolicy: { extract: false } })
      assert.deepStrictEqual(Object.keys(yield* tree(packed)), [`${root}/data.tar`])
      // Uploading from a sandbox that holds the archive does not pack it into itself.
      yield* run(kept, "upload", archive)
      const again = MemoryFiles.make()
      yield* run(again, "download", archive)
      assert.deepStrictEqual(Object.keys(yield* tree(again)).sort(), Object.keys(yield* tree(unpacked)).sort())
    }))

  it.effect("a single-file path syncs that file; files move in windows, never whole", () =>
    Effect.gen(function*() {
      const { run, vault } = yield* setup({ window: 1000 })
      const files = MemoryFiles.make()
      const reads: Array<number> = []
      const watched: SessionFiles = {
        ...files,
        read: (path, offset, length) =>
          Effect.tap(files.read(path, offset, length), (b) => Effect.sync(() => void reads.push(b.length)))
      }
      const path = "/home/wuying/file_transfer/big.bin"
      const content = Uint8Array.from({ length: 2500 }, (_, i) => i % 256)
      yield* files.write(path, content, "overwrite")
      assert.strictEqual((yield* run(watched, "upload", undefined, path)).status, "Success")
      assert.deepStrictEqual(reads, [1000, 1000, 500])
      assert.strictEqual(Option.getOrThrow(yield* vault.files.stat(ctx, path)).size, 2500)
      const other = MemoryFiles.make()
      yield* run(other, "download", undefined, path)
      assert.deepStrictEqual(yield* other.read(path, 0, 10_000), content)
    }))

  it.effect("a failed copy is a Failed task whose message names the sandbox path only", () =>
    Effect.gen(function*() {
      const { faults, run, stored } = yield* setup()
      const files = yield* seeded({ [`${root}/a.txt`]: "a" })
      yield* faults.failNext("write")
      const failed = yield* run(files, "upload")
      assert.deepStrictEqual([failed.status, failed.errorMessage], ["Failed", `${root}/a.txt: input/output error`])
      assert.deepStrictEqual(yield* stored, [])
      yield* run(files, "upload")
      yield* faults.failNext("read")
      const down = yield* run(MemoryFiles.make(), "download")
      assert.strictEqual(down.status, "Failed")
      assert.notInclude(down.errorMessage, "injected")
    }))

  it.effect("an interrupted run leaves a Failed task, never a Running one", () =>
    Effect.gen(function*() {
      const { run, vault } = yield* setup()
      const files = yield* seeded({ [`${root}/a.txt`]: "a" })
      const stuck: SessionFiles = { ...files, read: () => Effect.never }
      const fiber = yield* Effect.fork(run(stuck, "upload"))
      yield* TestClock.adjust("1 second") // lets the fiber reach the stuck read
      assert.deepStrictEqual((yield* vault.tasks("s")).map((t) => t.status), ["Running"])
      yield* Fiber.interrupt(fiber)
      const [task] = yield* vault.tasks("s")
      assert.deepStrictEqual([task!.status, task!.errorMessage], ["Failed", `${root}: interrupted`])
    }))

  it.effect("recyclePolicy: data past its lifecycle is removed by the sweep; Lifecycle_Forever clears the lifetime", () =>
    Effect.gen(function*() {
      const { run, stored, vault } = yield* setup()
      const files = yield* seeded({ [`${root}/logs/a.log`]: "a", [`${root}/keep.txt`]: "k" })
      yield* run(files, "upload", { recyclePolicy: { lifecycle: "Lifecycle_1Day", paths: ["logs"] } })
      const sweep = Effect.provideService(BackendSync.sweep, BackendVault, vault)
      yield* TestClock.adjust("23 hours")
      assert.strictEqual((yield* sweep).removed, 0)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual((yield* sweep).removed, 1)
      assert.deepStrictEqual(yield* stored, [`${root}/keep.txt`])
      yield* run(files, "upload", { recyclePolicy: { lifecycle: "Lifecycle_1Day", paths: [""] } })
      yield* run(files, "upload", { recyclePolicy: { lifecycle: "Lifecycle_Forever", paths: [""] } })
      yield* TestClock.adjust("2 days")
      assert.strictEqual((yield* sweep).removed, 0)
      assert.deepStrictEqual(yield* stored, [`${root}/keep.txt`, `${root}/logs/a.log`])
    }))
})
