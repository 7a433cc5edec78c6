// Contexts, their syncs and file URLs in the fake, through the real client: `client.call`
// with the Wire declarations, `AgentBay.create({ contextSync })`, and the fake's own
// HttpClient for the pre-signed URLs. What this file checks is the wire's detail and the
// fake's own hooks (faults, the TestClock); the behaviour through the SDK is the
// persistence suite's, run on the fake and the local runtime alike
// (packages/local/test/Persistence.test.ts).
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { AgentBayClient } from "@effect-agentbay/core/AgentBayClient"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireSession from "@effect-agentbay/core/WireSession"
import { AgentBayTest } from "@effect-agentbay/testing"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const data = "/home/wuying/data"

const context = (name: string) =>
  Effect.flatMap(
    AgentBayClient,
    (c) => Effect.map(c.call(WireContext.GetContext, { Name: name, AllowCreate: true }), (r) => r.data.Id)
  )

const urlOf = (
  action: typeof WireContext.GetContextFileUploadUrl | typeof WireContext.GetContextFileDownloadUrl,
  contextId: string,
  path: string
) =>
  Effect.flatMap(
    AgentBayClient,
    (c) => Effect.map(c.call(action, { ContextId: contextId, FilePath: path }), (r) => r.data.Url)
  )

// A PUT or GET of a file URL through the fake's HttpClient: status and body.
const put = (url: string, bytes: Uint8Array) =>
  Effect.flatMap(
    AgentBayTest.Backend,
    (b) =>
      Effect.map(b.http.execute(HttpClientRequest.bodyUint8Array(HttpClientRequest.put(url), bytes)), (r) => r.status)
  )
const get = (url: string) =>
  Effect.flatMap(
    AgentBayTest.Backend,
    (b) =>
      Effect.flatMap(b.http.execute(HttpClientRequest.get(url)), (r) =>
        Effect.map(r.arrayBuffer, (body) => ({ status: r.status, body: new Uint8Array(body) })))
  )

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const binary = (size: number) => Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 8)) % 256)

describe("AgentBayTest persistence", () => {
  it.effect("file URLs: an upload URL's bytes land in the context and a download URL returns them exactly", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("urls")
      const bytes = binary(3 * 1024 * 1024 + 5) // past the vault's 1 MiB chunks
      yield* TestClock.adjust("10 seconds")
      const issued = yield* client.call(WireContext.GetContextFileUploadUrl, {
        ContextId: id,
        FilePath: `${data}/blob.bin`
      })
      // Valid for an hour, in Unix seconds.
      assert.strictEqual(issued.data.ExpireTime, 3610)
      const up = issued.data.Url
      assert.match(up, /^http:\/\/agentbay\.test\/context-files\/[0-9a-f]{32}$/)
      assert.strictEqual(yield* put(up, bytes), 200)
      assert.deepStrictEqual(yield* backend.contextFiles(id), [`${data}/blob.bin`])
      const down = yield* urlOf(WireContext.GetContextFileDownloadUrl, id, `${data}/blob.bin`)
      const got = yield* get(down)
      assert.strictEqual(got.status, 200)
      assert.deepStrictEqual(got.body, bytes)
      // A download URL can be used again; the upload URL only once.
      assert.deepStrictEqual((yield* get(down)).body, bytes)
      assert.strictEqual(yield* put(up, new Uint8Array([1])), 403)
      assert.deepStrictEqual((yield* get(down)).body, bytes)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("refused tokens: expired, forged, spent, and revoked by DeleteContextFile get 403 and change nothing", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("tokens")
      const path = `${data}/a.txt`
      yield* put(yield* urlOf(WireContext.GetContextFileUploadUrl, id, path), new TextEncoder().encode("first"))
      const late = yield* urlOf(WireContext.GetContextFileUploadUrl, id, path)
      const lateDown = yield* urlOf(WireContext.GetContextFileDownloadUrl, id, path)
      yield* TestClock.adjust("1 hour")
      assert.strictEqual(yield* put(late, new TextEncoder().encode("second")), 403)
      assert.strictEqual((yield* get(lateDown)).status, 403)
      const forged = `http://agentbay.test/context-files/${"0".repeat(32)}`
      assert.strictEqual(yield* put(forged, new TextEncoder().encode("third")), 403)
      assert.strictEqual((yield* get(forged)).status, 403)
      const refused = yield* get(`http://agentbay.test/context-files/not-a-token`)
      assert.strictEqual(refused.status, 403)
      assert.strictEqual(JSON.parse(text(refused.body)).Code, "AccessDenied")
      const down = yield* urlOf(WireContext.GetContextFileDownloadUrl, id, path)
      assert.strictEqual(text((yield* get(down)).body), "first")

      yield* client.call(WireContext.DeleteContextFile, { ContextId: id, FilePath: path })
      assert.strictEqual((yield* get(down)).status, 403)
      assert.deepStrictEqual(yield* backend.contextFiles(id), [])
      const missing = yield* Effect.flip(urlOf(WireContext.GetContextFileDownloadUrl, id, path))
      assert.deepStrictEqual(missing._tag === "NotFound" && [missing.resource, missing.id], ["ContextFile", path])
      const again = yield* Effect.flip(client.call(WireContext.DeleteContextFile, { ContextId: id, FilePath: path }))
      assert.strictEqual(again._tag, "NotFound")
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("DescribeContextFiles pages a folder's direct children by page number, Count beside Data", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("listing")
      for (const name of ["a.txt", "b.txt", "c.txt", "sub/d.txt", "sub/deeper/e.txt"]) {
        yield* backend.vault.files.write(id, `${data}/${name}`, Stream.succeed(new TextEncoder().encode(name)))
      }
      const page = (n: number) =>
        client.call(WireContext.DescribeContextFiles, {
          ContextId: id,
          ParentFolderPath: data,
          PageNumber: n,
          PageSize: 3
        })
      const first = yield* page(1)
      assert.strictEqual(first.envelope.Count, 4)
      assert.deepStrictEqual(first.data.map((f) => [f.FileName, f.FileType, f.Size]), [
        ["a.txt", "file", 5],
        ["b.txt", "file", 5],
        ["c.txt", "file", 5]
      ])
      const second = yield* page(2)
      assert.deepStrictEqual(second.data.map((f) => [f.FilePath, f.FileType]), [[`${data}/sub`, "folder"]])
      assert.deepStrictEqual((yield* page(3)).data, [])
      // FileId is stable per (context, path).
      assert.strictEqual((yield* page(1)).data[0]!.FileId, first.data[0]!.FileId)
      assert.match(first.data[0]!.FileId!, /^file-[0-9a-f]{16}$/)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a failed auto-upload refuses the delete with ContextSync.Failed and keeps the session", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("fragile")
      const session = yield* bay.create({ contextSync: [{ contextId: id, path: data }] })
      yield* session.filesystem.writeFile(`${data}/precious.txt`, "keep me")
      yield* backend.failContextStorage("write")
      const refused = yield* Effect.flip(client.deleteSessionAsync(session.id))
      assert.deepStrictEqual(refused._tag === "ApiError" && [refused.code, refused.status], ["ContextSync.Failed", 409])
      assert.strictEqual((yield* client.getSession(session.id)).status, "RUNNING")
      const failed = (yield* client.getContextInfo({ sessionId: session.id })).filter((t) => t.taskType === "upload")
      assert.deepStrictEqual(failed.map((t) => t.status), ["Failed"])
      assert.notStrictEqual(failed[0]!.errorMessage, "")
      // The next attempt succeeds and saves the data.
      yield* bay.delete(session)
      assert.deepStrictEqual(yield* backend.contextFiles(id), [`${data}/precious.txt`])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("the recycle sweep removes synced data past its lifecycle, on the clock", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("short-lived")
      const policy = { recyclePolicy: { lifecycle: "Lifecycle_1Day" as const, paths: [""] } }
      const session = yield* bay.create({ contextSync: [{ contextId: id, path: data, policy }] })
      yield* session.filesystem.writeFile(`${data}/tmp.txt`, "soon gone")
      yield* bay.delete(session)
      assert.deepStrictEqual(yield* backend.contextFiles(id), [`${data}/tmp.txt`])
      yield* TestClock.adjust("23 hours")
      assert.deepStrictEqual(yield* backend.contextFiles(id), [`${data}/tmp.txt`])
      yield* TestClock.adjust("2 hours")
      assert.deepStrictEqual(yield* backend.contextFiles(id), [])
    }).pipe(Effect.provide(AgentBayTest.layer({ recycleInterval: "1 hour" }))))

  it.effect("uploadFile and downloadFile go through the session's file-transfer context, which goes with the session", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const session = yield* bay.create()
      const bytes = binary(200_000)
      yield* session.filesystem.uploadFile(bytes, "/home/wuying/file_transfer/in.bin")
      assert.deepStrictEqual(yield* session.filesystem.readFileBytes("/home/wuying/file_transfer/in.bin"), bytes)
      yield* session.filesystem.writeFile("/tmp/out.txt", "made in the sandbox")
      assert.strictEqual(text(yield* session.filesystem.downloadFileBytes("/tmp/out.txt")), "made in the sandbox")
      const internal = yield* client.call(WireContext.GetAndLoadInternalContext, {
        SessionId: session.id,
        "ContextTypes.1": "file_transfer"
      })
      const [transfer] = internal.data
      assert.strictEqual(transfer?.ContextPath, "/home/wuying/file_transfer")
      // The staging copies were deleted; the context is not listed among the user's.
      assert.deepStrictEqual(yield* backend.contextFiles(transfer!.ContextId!), [])
      const listed = yield* client.call(WireContext.ListContexts, {})
      assert.deepStrictEqual(listed.data, [])
      yield* bay.delete(session)
      const gone = yield* Effect.flip(urlOf(WireContext.GetContextFileUploadUrl, transfer!.ContextId!, "/tmp/x"))
      assert.strictEqual(gone._tag, "NotFound")
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("CreateMcpSession checks the contexts, volume and network it names: unknown ones are NotFound, nothing created", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("mine")
      const unknown = [
        { contextSync: [{ contextId: id, path: data }, { contextId: "ctx-nope", path: "/tmp/x" }] },
        { volumeId: "vol-nope" },
        { networkId: "net-nope" }
      ]
      for (const params of unknown) {
        const error = yield* Effect.flip(client.createMcpSession(params))
        assert.deepStrictEqual(error._tag === "ApiError" && error.status, 400)
      }
      // A policy that does not decode (the client checks it; another client might not).
      const badPolicy = yield* Effect.flip(client.call(WireSession.CreateMcpSession, {
        PersistenceDataList: [{ ContextId: id, Path: data, Policy: { uploadPolicy: { uploadMode: "Zip" } } }]
      }))
      assert.deepStrictEqual(
        badPolicy._tag === "ApiError" &&
          [badPolicy.code, badPolicy.description.startsWith("PersistenceDataList.0.Policy")],
        [
          "InvalidParameter",
          true
        ]
      )
      assert.deepStrictEqual(yield* backend.sessions, [])
      // The backend's own names are reserved.
      const reserved = yield* Effect.flip(
        client.call(WireContext.GetContext, { Name: "file_transfer:x", AllowCreate: true })
      )
      assert.deepStrictEqual(reserved._tag === "ApiError" && reserved.code, "InvalidParameter")
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("ListContexts: keyset pages with TotalCount; SessionId lists what that session syncs; rename refuses a taken name", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const ids = yield* Effect.forEach(["c1", "c2", "c3"], context)
      const first = yield* client.call(WireContext.ListContexts, { MaxResults: 2 })
      assert.deepStrictEqual(first.data.map((c) => c.Name), ["c1", "c2"])
      assert.deepStrictEqual([first.envelope.TotalCount, first.envelope.MaxResults], [3, 2])
      const second = yield* client.call(WireContext.ListContexts, {
        MaxResults: 2,
        NextToken: first.envelope.NextToken!
      })
      assert.deepStrictEqual([second.data.map((c) => c.Name), second.envelope.NextToken], [["c3"], ""])
      const session = yield* bay.create({ contextSync: [{ contextId: ids[2]!, path: data }] })
      const synced = yield* client.call(WireContext.ListContexts, { SessionId: session.id })
      assert.deepStrictEqual(synced.data.map((c) => [c.Name, c.State]), [["c3", "in-use"]])
      assert.match(synced.data[0]!.CreateTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)

      const taken = yield* Effect.flip(client.call(WireContext.ModifyContext, { Id: ids[0]!, Name: "c2" }))
      assert.deepStrictEqual(taken._tag === "ApiError" && taken.code, "InvalidParameter")
      yield* client.call(WireContext.ModifyContext, { Id: ids[0]!, Name: "renamed" })
      assert.strictEqual(
        (yield* client.call(WireContext.GetContext, { Name: "renamed", AllowCreate: false })).data.Id,
        ids[0]
      )
      const old = yield* Effect.flip(client.call(WireContext.GetContext, { Name: "c1", AllowCreate: false }))
      assert.deepStrictEqual(old._tag === "NotFound" && [old.resource, old.id], ["Context", "c1"])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("SyncContext: one pair or every entry, upload by default; a paused session refuses it", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const id = yield* context("explicit")
      const session = yield* bay.create({ contextSync: [{ contextId: id, path: data }] })
      yield* session.filesystem.writeFile(`${data}/a.txt`, "a")
      yield* session.filesystem.writeFile("/tmp/extra.txt", "extra")
      yield* client.syncContext({ sessionId: session.id })
      yield* client.syncContext({ sessionId: session.id, contextId: id, path: "/tmp/extra.txt", mode: "upload" })
      assert.deepStrictEqual(yield* backend.contextFiles(id), [`${data}/a.txt`, "/tmp/extra.txt"])
      const tasks = yield* client.getContextInfo({ sessionId: session.id, contextId: id, path: "/tmp/extra.txt" })
      assert.deepStrictEqual(tasks.map((t) => [t.path, t.taskType, t.status]), [[
        "/tmp/extra.txt",
        "upload",
        "Success"
      ]])
      const half = yield* Effect.flip(client.call(WireContext.SyncContext, { SessionId: session.id, ContextId: id }))
      assert.strictEqual(half._tag === "ApiError" && half.code, "InvalidParameter")
      yield* bay.betaPauseAsync(session)
      const paused = yield* Effect.flip(client.syncContext({ sessionId: session.id }))
      // InvalidSession.Status, which SyncContext declares as InvalidState of the session.
      assert.deepStrictEqual(paused._tag === "InvalidState" && [paused.resource, paused.id], ["Session", session.id])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
