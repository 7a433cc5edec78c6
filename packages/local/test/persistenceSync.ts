// The persistence suite, part 2: context syncs (at create, at delete and release, on demand; the sync
// policy's whitelist, delete propagation and Archive mode) and file transfer (`uploadFile`/`downloadFile`).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type { ContextSync } from "@effect-agentbay/core/AgentBayClient"
import type { InfoOptions } from "@effect-agentbay/core/AgentBayContext"
import type { Session } from "@effect-agentbay/core/Session"
import type * as SyncPolicy from "@effect-agentbay/core/SyncPolicy"
import { assert } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { concat, has } from "./capabilities.js"
import { type Case, pieces, random, testCase, tree, utf8 } from "./persistence.js"

const data = "/home/wuying/data"
const text = "Grüße, 世界 😀\n"

const mount = (contextId: string, policy?: SyncPolicy.SyncPolicy): ReadonlyArray<ContextSync> => [
  { contextId, path: data, policy }
]

/** The task a session reports for each (context, path, type): `[contextId, path, taskType, status]`. */
const tasksOf = (session: Session, options?: InfoOptions) =>
  Effect.map(session.context.info(options), (tasks) => tasks.map((t) => [t.contextId, t.path, t.taskType, t.status]))

/** Whether the session has nothing at `path` (the tool refuses to describe it). */
const absent = (session: Session, path: string) =>
  Effect.map(Effect.flip(session.filesystem.getFileInfo(path)), (e) => e._tag === "ToolError")

export const syncs: ReadonlyArray<Case> = [
  testCase(
    "sync: session 1's files (text and binary) reach session 2 byte-exact, after delete with syncContext",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("work")
      const blob = random(200_000)
      const one = yield* bay.create({ contextSync: mount(context.id) })
      yield* one.filesystem.writeFile(`${data}/notes.txt`, text)
      yield* one.filesystem.uploadFile(blob, `${data}/bin/blob.bin`)
      yield* one.filesystem.writeFile("/home/wuying/elsewhere.txt", "not synced")
      yield* bay.delete(one, { syncContext: true })
      assert.deepStrictEqual(yield* tree(context.id, "/"), [
        [`${data}/bin/blob.bin`, blob.length],
        [`${data}/notes.txt`, utf8(text).length]
      ])

      const two = yield* bay.create({ contextSync: mount(context.id) })
      assert.strictEqual(yield* two.filesystem.readFile(`${data}/notes.txt`), text)
      assert.deepStrictEqual(yield* two.filesystem.downloadFileBytes(`${data}/bin/blob.bin`), blob)
      assert.isTrue(yield* absent(two, "/home/wuying/elsewhere.txt"))
      // (Its file-transfer context's tasks, from downloadFileBytes, are reported too: filtered out here.)
      assert.deepStrictEqual(yield* tasksOf(two, { contextId: context.id }), [[
        context.id,
        data,
        "download",
        "Success"
      ]])
      yield* bay.delete(two)
    })
  ),

  testCase(
    "sync: a file as the synced path, two contexts in one session, odd names, empty and multi-window files, overwrites",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const work = yield* bay.context.create("work")
      const config = yield* bay.context.create("config")
      const settings = "/home/wuying/.config/settings.json"
      const both: ReadonlyArray<ContextSync> = [...mount(work.id), { contextId: config.id, path: settings }]
      const big = random(2 * 1024 * 1024 + 333) // past the sync's 1 MiB windows
      const odd = `${data}/名前 with spaces/#1 ü.txt`
      yield* Effect.scoped(Effect.gen(function*() {
        const one = yield* bay.session({ contextSync: both })
        yield* one.filesystem.uploadFile(big, `${data}/big.bin`)
        yield* one.filesystem.uploadFile(new Uint8Array(0), `${data}/empty.bin`)
        yield* one.filesystem.writeFile(odd, text)
        yield* one.filesystem.writeFile(`${data}/replaced.txt`, "version 1")
        yield* one.filesystem.writeFile(settings, `{"theme":"dark"}`)
        yield* bay.delete(one, { syncContext: true })
      }))
      assert.deepStrictEqual(yield* tree(work.id, "/"), [
        [`${data}/big.bin`, big.length],
        [`${data}/empty.bin`, 0],
        [`${data}/replaced.txt`, 9],
        [odd, utf8(text).length]
      ])
      assert.deepStrictEqual(yield* tree(config.id, "/"), [[settings, 16]])

      yield* Effect.scoped(Effect.gen(function*() {
        const two = yield* bay.session({ contextSync: both })
        assert.deepStrictEqual(yield* two.filesystem.downloadFileBytes(`${data}/big.bin`), big)
        assert.deepStrictEqual(yield* two.filesystem.downloadFileBytes(`${data}/empty.bin`), new Uint8Array(0))
        assert.strictEqual(yield* two.filesystem.readFile(odd), text)
        assert.strictEqual(yield* two.filesystem.readFile(settings), `{"theme":"dark"}`)
        yield* two.filesystem.writeFile(`${data}/replaced.txt`, "v2")
        yield* bay.delete(two, { syncContext: true })
      }))
      const three = yield* bay.create({ contextSync: mount(work.id) })
      assert.strictEqual(yield* three.filesystem.readFile(`${data}/replaced.txt`), "v2")
      assert.isTrue(yield* absent(three, settings))
      yield* bay.delete(three)
    })
  ),

  testCase(
    "sync: a scoped session released with release: { syncContext: true } saves its files",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("scoped")
      const id = yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session({ contextSync: mount(context.id), release: { syncContext: true } })
        yield* session.filesystem.writeFile(`${data}/kept.txt`, text)
        return session.id
      }))
      // Released: gone, and its files are in the context.
      const after = yield* Effect.either(bay.get(id))
      assert.isTrue(after._tag === "Left" || ["DELETED", "FINISH"].includes(after.right.status))
      assert.deepStrictEqual(yield* tree(context.id, data), [[`${data}/kept.txt`, utf8(text).length]])
      const two = yield* Effect.scoped(
        Effect.flatMap(
          bay.session({ contextSync: mount(context.id) }),
          (s) => s.filesystem.readFile(`${data}/kept.txt`)
        )
      )
      assert.strictEqual(two, text)
    })
  ),

  testCase(
    "sync policy: only whitelisted sub-paths sync, minus the excluded ones, both ways",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("partial")
      const policy: SyncPolicy.SyncPolicy = {
        bwList: { whiteLists: [{ path: "src", excludePaths: ["src/tmp"] }, { path: "docs/README.md" }] }
      }
      const files = ["src/main.ts", "src/tmp/cache.txt", "docs/README.md", "docs/other.md", "top.txt"]
      yield* Effect.scoped(Effect.gen(function*() {
        const one = yield* bay.session({ contextSync: mount(context.id, policy) })
        yield* Effect.forEach(files, (f) => one.filesystem.writeFile(`${data}/${f}`, f), { discard: true })
        yield* bay.delete(one, { syncContext: true })
      }))
      assert.deepStrictEqual(yield* tree(context.id, "/"), [[`${data}/docs/README.md`, 14], [
        `${data}/src/main.ts`,
        11
      ]])

      // A file that is in the context but outside the whitelist is not downloaded either.
      yield* Effect.scoped(Effect.gen(function*() {
        const all = yield* bay.session({ contextSync: mount(context.id) })
        yield* all.filesystem.writeFile(`${data}/top.txt`, "top")
        yield* bay.delete(all, { syncContext: true })
      }))
      const three = yield* bay.create({ contextSync: mount(context.id, policy) })
      assert.strictEqual(yield* three.filesystem.readFile(`${data}/src/main.ts`), "src/main.ts")
      assert.strictEqual(yield* three.filesystem.readFile(`${data}/docs/README.md`), "docs/README.md")
      assert.isTrue(yield* absent(three, `${data}/top.txt`))
      assert.isTrue(yield* absent(three, `${data}/docs/other.md`))
      yield* bay.delete(three)
    })
  ),

  testCase(
    "sync policy: deletions in the sandbox reach the context (deletePolicy.syncLocalFile), unless turned off",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("deletions")
      const step = (policy: SyncPolicy.SyncPolicy | undefined, work: (s: Session) => Effect.Effect<unknown, unknown>) =>
        Effect.scoped(Effect.gen(function*() {
          const session = yield* bay.session({ contextSync: mount(context.id, policy) })
          yield* work(session)
          yield* bay.delete(session, { syncContext: true })
        }))
      yield* step(undefined, (s) =>
        Effect.all([
          s.filesystem.writeFile(`${data}/a.txt`, "a"),
          s.filesystem.writeFile(`${data}/b.txt`, "b"),
          s.filesystem.writeFile(`${data}/old/c.txt`, "c")
        ]))
      yield* step(
        undefined,
        (s) => Effect.all([s.filesystem.deleteFile(`${data}/b.txt`), s.filesystem.deleteFile(`${data}/old`)])
      )
      assert.deepStrictEqual(yield* tree(context.id, "/"), [[`${data}/a.txt`, 1]])

      yield* step(
        { deletePolicy: { syncLocalFile: false } },
        (s) => Effect.all([s.filesystem.deleteFile(`${data}/a.txt`), s.filesystem.writeFile(`${data}/d.txt`, "d")])
      )
      assert.deepStrictEqual(yield* tree(context.id, "/"), [[`${data}/a.txt`, 1], [`${data}/d.txt`, 1]])
    })
  ),

  testCase(
    "sync policy: Archive mode stores the path as one archive and unpacks it byte-exact in the next session",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("archived")
      const policy: SyncPolicy.SyncPolicy = { uploadPolicy: { uploadMode: "Archive" } }
      const blob = random(150_000)
      yield* Effect.scoped(Effect.gen(function*() {
        const one = yield* bay.session({ contextSync: mount(context.id, policy) })
        yield* one.filesystem.writeFile(`${data}/a.txt`, text)
        yield* one.filesystem.uploadFile(blob, `${data}/sub/deep/blob.bin`)
        yield* bay.delete(one, { syncContext: true })
      }))
      const stored = yield* tree(context.id, "/")
      assert.deepStrictEqual(stored.map(([path]) => path), [`${data}/data.tar`])
      // A tar: 512-byte blocks, at least the two files' headers and contents.
      assert.strictEqual(stored[0]![1] % 512, 0)
      assert.isAbove(stored[0]![1], blob.length + 3 * 512)

      const two = yield* bay.create({ contextSync: mount(context.id, policy) })
      assert.strictEqual(yield* two.filesystem.readFile(`${data}/a.txt`), text)
      assert.deepStrictEqual(yield* two.filesystem.downloadFileBytes(`${data}/sub/deep/blob.bin`), blob)
      // Unpacked, then the archive itself is dropped (extractPolicy.deleteSrcFile defaults to true).
      assert.isTrue(yield* absent(two, `${data}/data.tar`))
      yield* bay.delete(two)
    })
  ),

  testCase(
    "sync on demand: session.context.sync uploads now, bay.context.files lists it, info reports Success",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("explicit")
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session({ contextSync: mount(context.id) })
        yield* session.filesystem.writeFile(`${data}/a.txt`, "a")
        yield* session.filesystem.writeFile(`${data}/b.txt`, "bb")
        assert.deepStrictEqual(yield* tree(context.id, "/"), [])
        yield* session.context.sync({ mode: "upload" })
        const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(bay.context.files(context.id, data)))
        assert.deepStrictEqual(listed.map((f) => [f.name, f.path, f.type, f.size]), [
          ["a.txt", `${data}/a.txt`, "file", 1],
          ["b.txt", `${data}/b.txt`, "file", 2]
        ])
        assert.isTrue(listed.every((f) => f.modifiedAt instanceof Date && f.status === "available"))
        // Listed page by page (2 a page, then a short page): every entry, in order.
        yield* Effect.forEach(["c", "d", "e"], (n) => session.filesystem.writeFile(`${data}/more/${n}.txt`, n))
        yield* session.context.sync({ contextId: context.id, path: data, mode: "upload" })
        const paged = yield* Stream.runCollect(bay.context.files(context.id, `${data}/more`, { pageSize: 2 }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(paged).map((f) => f.name), ["c.txt", "d.txt", "e.txt"])
        const second = yield* bay.context.listFiles(context.id, `${data}/more`, { page: 2, pageSize: 2 })
        assert.deepStrictEqual([second.files.map((f) => f.name), second.count, second.page], [["e.txt"], 3, 2])
        assert.deepStrictEqual(yield* tasksOf(session, { taskType: "upload" }), [[
          context.id,
          data,
          "upload",
          "Success"
        ]])
        const all = yield* tasksOf(session)
        assert.sameDeepMembers(all, [[context.id, data, "download", "Success"], [
          context.id,
          data,
          "upload",
          "Success"
        ]])
        // A download on demand brings back what the context holds.
        yield* session.filesystem.deleteFile(`${data}/a.txt`)
        yield* session.context.sync({ contextId: context.id, path: data, mode: "download" })
        assert.strictEqual(yield* session.filesystem.readFile(`${data}/a.txt`), "a")
        // A paused session cannot sync.
        yield* bay.betaPauseAsync(session)
        has(yield* Effect.flip(session.context.sync()), { _tag: "InvalidState", resource: "Session", id: session.id })
      }))
    })
  ),

  testCase(
    "file transfer: 1 MiB of random bytes up and down byte-exact; a Stream source, with and without its length",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session()
        const bytes = random(1024 * 1024)
        yield* session.filesystem.uploadFile(bytes, "/home/wuying/up.bin")
        has(yield* session.filesystem.getFileInfo("/home/wuying/up.bin"), { size: bytes.length, isDirectory: false })
        assert.deepStrictEqual(yield* session.filesystem.downloadFileBytes("/home/wuying/up.bin"), bytes)

        const streamed = random(700_001)
        const source = () => Stream.fromIterable(pieces(streamed, 64 * 1024))
        yield* session.filesystem.uploadFile(source(), "/tmp/sized.bin", { contentLength: streamed.length })
        yield* session.filesystem.uploadFile(source(), "/home/wuying/chunked/unsized.bin")
        for (const path of ["/tmp/sized.bin", "/home/wuying/chunked/unsized.bin"]) {
          const chunks = yield* Stream.runCollect(session.filesystem.downloadFile(path))
          assert.deepStrictEqual(concat(Chunk.toReadonlyArray(chunks)), streamed, path)
        }
        // Text written by the tools comes down as its UTF-8 bytes.
        yield* session.filesystem.writeFile("/home/wuying/made.txt", text)
        assert.deepStrictEqual(yield* session.filesystem.downloadFileBytes("/home/wuying/made.txt"), utf8(text))
        // Nothing to upload from the sandbox, so no staged copy to fetch: NotFound of the file.
        has(yield* Effect.flip(session.filesystem.downloadFileBytes("/home/wuying/missing.bin")), {
          _tag: "NotFound",
          resource: "ContextFile",
          id: "/home/wuying/missing.bin"
        })
      }))
    })
  )
]
