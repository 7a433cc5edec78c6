// The persistence suite, part 1: contexts (`bay.context`) and their files behind pre-signed URLs.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { assert } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { has } from "./capabilities.js"
import { Backend, type Case, fetchUrl, putUrl, random, testCase, tree, utf8 } from "./persistence.js"

const data = "/home/wuying/data"

/** A URL with its token replaced by one of the right shape that the server never issued. */
const forge = (url: Redacted.Redacted<string>) =>
  Redacted.make(Redacted.value(url).replace(/[0-9a-f]{32}$/, "0".repeat(32)))

export const contexts: ReadonlyArray<Case> = [
  testCase(
    "contexts: create-on-get, get by name and by id, NotFound, rename, delete",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const missing = yield* Effect.flip(bay.context.get("work"))
      has(missing, { _tag: "NotFound", resource: "Context", id: "work" })

      const made = yield* bay.context.get("work", { create: true })
      has(made, { name: "work", state: "available" })
      assert.match(made.id, /\S/)
      assert.instanceOf(made.createdAt, Date)
      // The same context again, by each way of asking.
      assert.strictEqual((yield* bay.context.get("work", { create: true })).id, made.id)
      assert.strictEqual((yield* bay.context.create("work")).id, made.id)
      assert.strictEqual((yield* bay.context.get("work")).id, made.id)
      has(yield* bay.context.getById(made.id), { id: made.id, name: "work" })
      has(yield* Effect.flip(bay.context.getById("ctx-nope")), {
        _tag: "NotFound",
        resource: "Context",
        id: "ctx-nope"
      })
      const other = yield* bay.context.create("other")
      const odd = yield* bay.context.create("名前 with spaces & ü/?")
      has(yield* bay.context.get("名前 with spaces & ü/?"), { id: odd.id, name: "名前 with spaces & ü/?" })
      assert.notStrictEqual(other.id, made.id)

      // A name is one context's: renaming onto a taken one is refused, nothing changes.
      has(yield* Effect.flip(bay.context.update({ id: made.id, name: "other" })), {
        _tag: "ApiError",
        code: "InvalidParameter"
      })
      has(yield* bay.context.getById(made.id), { name: "work" })
      yield* bay.context.update({ id: made.id, name: "renamed" })
      assert.strictEqual((yield* bay.context.get("renamed")).id, made.id)
      has(yield* Effect.flip(bay.context.get("work")), { _tag: "NotFound", resource: "Context" })
      has(yield* bay.context.getById(made.id), { name: "renamed" })

      yield* bay.context.delete(made)
      has(yield* Effect.flip(bay.context.getById(made.id)), { _tag: "NotFound", resource: "Context", id: made.id })
      has(yield* Effect.flip(bay.context.delete(made.id)), { _tag: "NotFound", resource: "Context" })
      assert.strictEqual((yield* bay.context.getById(other.id)).name, "other")
    })
  ),

  testCase(
    "contexts: list is a Stream over several pages; listPage pages by nextToken; by session",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const names = ["c1", "c2", "c3", "c4", "c5"]
      const ids = yield* Effect.forEach(names, (name) => Effect.map(bay.context.create(name), (c) => c.id))
      const all = Chunk.toReadonlyArray(yield* Stream.runCollect(bay.context.list({ pageSize: 2 })))
      assert.deepStrictEqual(all.map((c) => c.name), names)
      assert.deepStrictEqual(all.map((c) => c.id), ids)

      const first = yield* bay.context.listPage({ maxResults: 2 })
      assert.deepStrictEqual(first.contexts.map((c) => c.name), ["c1", "c2"])
      assert.deepStrictEqual([first.totalCount, first.maxResults], [5, 2])
      assert.isDefined(first.nextToken)
      const second = yield* bay.context.listPage({ maxResults: 2, nextToken: first.nextToken })
      assert.deepStrictEqual(second.contexts.map((c) => c.name), ["c3", "c4"])
      const last = yield* bay.context.listPage({ maxResults: 2, nextToken: second.nextToken })
      assert.deepStrictEqual([last.contexts.map((c) => c.name), last.nextToken], [["c5"], undefined])
      // A cursor stays good when contexts before and at it go: the next page starts after it.
      yield* bay.context.delete(ids[0]!)
      yield* bay.context.delete(ids[2]!)
      const resumed = yield* bay.context.listPage({ maxResults: 2, nextToken: first.nextToken })
      assert.deepStrictEqual([resumed.contexts.map((c) => c.name), resumed.totalCount], [["c4", "c5"], 3])

      // Only the contexts a session syncs, in use while it lives.
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session({ contextSync: [{ contextId: ids[3]!, path: data }] })
        const synced = Chunk.toReadonlyArray(yield* Stream.runCollect(bay.context.list({ sessionId: session.id })))
        assert.deepStrictEqual(synced.map((c) => [c.name, c.state]), [["c4", "in-use"]])
      }))
    })
  ),

  testCase(
    "contexts: delete and clear are InvalidState while a live session syncs it; clear waits and wipes the files",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("busy")
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session({ contextSync: [{ contextId: context.id, path: data }] })
        assert.strictEqual((yield* bay.context.getById(context.id)).state, "in-use")
        has(yield* Effect.flip(bay.context.delete(context)), {
          _tag: "InvalidState",
          resource: "Context",
          id: context.id
        })
        has(yield* Effect.flip(bay.context.clear(context)), {
          _tag: "InvalidState",
          resource: "Context",
          id: context.id
        })
        yield* session.filesystem.writeFile(`${data}/a.txt`, "a")
        yield* session.filesystem.writeFile(`${data}/sub/b.txt`, "bb")
        yield* bay.delete(session, { syncContext: true })
      }))
      assert.deepStrictEqual(yield* tree(context.id, data), [[`${data}/a.txt`, 1], [`${data}/sub/b.txt`, 2]])
      assert.strictEqual((yield* bay.context.getById(context.id)).state, "available")

      const cleared = yield* bay.context.clear(context)
      has(cleared, { id: context.id, state: "available" })
      assert.deepStrictEqual(yield* tree(context.id, data), [])
      assert.deepStrictEqual(yield* tree(context.id, "/"), [])
      yield* bay.context.delete(context.id)
      has(yield* Effect.flip(bay.context.getById(context.id)), { _tag: "NotFound", resource: "Context" })
    })
  ),

  testCase(
    "context files: an upload URL's bytes come back exactly from a download URL; listed; deleteFile",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const context = yield* bay.context.create("urls")
      const bytes = random(300_000)
      const up = yield* bay.context.getFileUploadUrl(context.id, `${data}/blob.bin`)
      // A bearer credential: redacted when shown.
      assert.notInclude(String(up.url), "context-files")
      assert.isNumber(up.expireTime)
      yield* putUrl(up.url, bytes)
      // Spent: an upload URL serves one PUT.
      has(yield* Effect.flip(putUrl(up.url, utf8("again"))), { _tag: "AuthError", status: 403 })

      const down = yield* bay.context.getFileDownloadUrl(context.id, `${data}/blob.bin`)
      assert.deepStrictEqual(yield* fetchUrl(down.url), bytes)
      assert.deepStrictEqual(yield* fetchUrl(down.url), bytes, "a download URL serves many GETs")
      const page = yield* bay.context.listFiles(context.id, data)
      assert.deepStrictEqual(page.files.map((f) => [f.name, f.path, f.type, f.size]), [
        ["blob.bin", `${data}/blob.bin`, "file", bytes.length]
      ])
      assert.strictEqual(page.count, 1)

      // A token the server never issued grants nothing, for either method.
      has(yield* Effect.flip(fetchUrl(forge(down.url))), { _tag: "AuthError", status: 403 })
      const fresh = yield* bay.context.getFileUploadUrl(context.id, `${data}/blob.bin`)
      has(yield* Effect.flip(putUrl(forge(fresh.url), utf8("forged"))), { _tag: "AuthError", status: 403 })
      assert.deepStrictEqual(yield* fetchUrl(down.url), bytes)

      // Deleting the file revokes its download URLs; a new one is NotFound of the file.
      yield* bay.context.deleteFile(context.id, `${data}/blob.bin`)
      has(yield* Effect.flip(fetchUrl(down.url)), { _tag: "AuthError", status: 403 })
      has(yield* Effect.flip(bay.context.getFileDownloadUrl(context.id, `${data}/blob.bin`)), {
        _tag: "NotFound",
        resource: "ContextFile",
        id: `${data}/blob.bin`
      })
      has(yield* Effect.flip(bay.context.deleteFile(context.id, `${data}/blob.bin`)), { _tag: "NotFound" })
      // ... and its unused upload URLs: a PUT after the delete does not bring the file back.
      has(yield* Effect.flip(putUrl(fresh.url, utf8("resurrected"))), { _tag: "AuthError", status: 403 })
      assert.deepStrictEqual(yield* tree(context.id, "/"), [])

      // Deleting the context revokes the URLs of its files.
      const again = yield* bay.context.getFileUploadUrl(context.id, `${data}/blob.bin`)
      yield* putUrl(again.url, utf8("kept"))
      const last = yield* bay.context.getFileDownloadUrl(context.id, `${data}/blob.bin`)
      assert.deepStrictEqual(yield* fetchUrl(last.url), utf8("kept"))
      yield* bay.context.delete(context)
      has(yield* Effect.flip(fetchUrl(last.url)), { _tag: "AuthError", status: 403 })
      has(yield* Effect.flip(bay.context.getFileUploadUrl("ctx-nope", `${data}/x`)), {
        _tag: "NotFound",
        resource: "Context"
      })
    })
  ),

  testCase(
    "context files: URLs past their lifetime get 403 and change nothing",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* Backend
      const context = yield* bay.context.create("expiring")
      yield* putUrl((yield* bay.context.getFileUploadUrl(context.id, `${data}/a.txt`)).url, utf8("first"))
      const late = yield* bay.context.getFileUploadUrl(context.id, `${data}/a.txt`)
      const down = yield* bay.context.getFileDownloadUrl(context.id, `${data}/a.txt`)
      // Unix seconds, a lifetime ahead of the backend's clock (the fake's is the TestClock's).
      const now = (yield* Clock.currentTimeMillis) / 1000
      assert.approximately(down.expireTime!, now + Duration.toSeconds(backend.urlLifetime), 1)
      assert.deepStrictEqual(yield* fetchUrl(down.url), utf8("first"))

      yield* backend.pass(Duration.sum(backend.urlLifetime, Duration.millis(500)))
      has(yield* Effect.flip(fetchUrl(down.url)), { _tag: "AuthError", status: 403 })
      has(yield* Effect.flip(putUrl(late.url, utf8("second"))), { _tag: "AuthError", status: 403 })
      const again = yield* bay.context.getFileDownloadUrl(context.id, `${data}/a.txt`)
      assert.deepStrictEqual(yield* fetchUrl(again.url), utf8("first"))
    }),
    { shortUrls: true }
  )
]
