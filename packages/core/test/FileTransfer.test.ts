// File transfer against a small scripted server in memory (context storage, a
// sandbox, sync tasks): stream and bytes round trips, what is refused before
// sending, failed and missing sync tasks, refusing storage URLs, a failing
// source stream, the layer's wait defaults, and what never reaches an error.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayFileSystem from "@effect-agentbay/core/AgentBayFileSystem"
import type * as WireContext from "@effect-agentbay/core/WireContext"
import { assert, describe, it } from "@effect/vitest"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"
import * as Server from "./scriptedServer.js"

const S1 = "s-1"
const CTX = "ctx-ft"
const PATH = "/home/wuying/file_transfer/blob.bin"
const TOKEN = "tok-9f2c0a77e1"

interface Options {
  /** What GetContextInfo reports for the synced path, by poll number (from 1) in the direction synced. */
  readonly task?: (direction: string, poll: number) => Partial<WireContext.ContextTask> | "none"
  readonly putStatus?: number
  readonly getStatus?: number
  readonly transferContexts?: ReadonlyArray<Record<string, string>>
}

// Context storage and a sandbox; SyncContext copies between them at once, the
// tasks report what `options.task` says.
const transferServer = (options: Options = {}) => {
  const stored = new Map<string, Uint8Array>()
  const sandbox = new Map<string, Uint8Array>()
  const urls = new Map<string, string>()
  let synced: { readonly path: string; readonly direction: string } | undefined
  let polls = 0
  const handler: Server.Handler = (s) => {
    const path = s.fields.get("FilePath") ?? s.fields.get("Path") ?? ""
    const url = (kind: string) => {
      urls.set(TOKEN, path)
      return Server.ok({ Url: `http://storage.test/${kind}/${TOKEN}?Signature=${TOKEN}`, ExpireTime: 1767603600 })
    }
    switch (s.action) {
      case "GetAndLoadInternalContext":
        return Server.ok(
          options.transferContexts ??
            [{ ContextId: CTX, ContextPath: "/home/wuying/file_transfer", ContextType: "file_transfer" }]
        )
      case "GetContextFileUploadUrl":
        return url("put")
      case "GetContextFileDownloadUrl":
        return stored.has(path) ? url("get") : Server.apiError(400, "InvalidContextFile.NotFound")
      case "SyncContext": {
        const direction = s.fields.get("Mode")!
        synced = { path, direction }
        polls = 0
        const [from, to] = direction === "download" ? [stored, sandbox] : [sandbox, stored]
        if (from.has(path)) to.set(path, from.get(path)!)
        return Server.ok()
      }
      case "GetContextInfo": {
        if (synced === undefined) return Server.tasks([])
        const shown = options.task?.(synced.direction, ++polls) ?? {}
        if (shown === "none") return Server.tasks([])
        return Server.tasks([{
          contextId: CTX,
          path: synced.path,
          status: "Success",
          taskType: synced.direction,
          errorMessage: "",
          ...shown
        }])
      }
      case "DeleteContextFile":
        stored.delete(path)
        return Server.ok()
      case undefined: {
        const at = urls.get(s.url.pathname.split("/").pop()!)
        if (s.method === "PUT") {
          if ((options.putStatus ?? 200) === 200 && at !== undefined) stored.set(at, s.body ?? new Uint8Array())
          return new Response(null, { status: options.putStatus ?? 200 })
        }
        const status = options.getStatus ?? 200
        const body = status === 200 ? stored.get(at ?? "") : new TextEncoder().encode(`<Error>${TOKEN}</Error>`)
        return new Response(body === undefined ? null : (body as unknown as BodyInit), { status })
      }
      default:
        return Server.apiError(400, "InvalidAction.NotFound")
    }
  }
  const { client, sent } = Server.scripted(handler)
  return { client, sent, stored, sandbox }
}

const withServer = <A, E>(
  server: ReturnType<typeof transferServer>,
  use: (fs: AgentBayFileSystem.AgentBayFileSystem.Service) => Effect.Effect<A, E>,
  waits: Layer.Layer<AgentBay.WaitDefaults> = Layer.empty as never
) =>
  Effect.provide(
    Effect.flatMap(AgentBayFileSystem.AgentBayFileSystem, use),
    Server.layer(server.client).pipe(Layer.provide(waits))
  )

const binary = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >> 8)) & 0xff)

class SourceBroke extends Data.TaggedError("SourceBroke")<{ readonly at: number }> {}

describe("file transfer: round trips", () => {
  it.effect("a stream of binary chunks goes up with its length and comes back byte for byte; no copy stays", () =>
    Effect.gen(function*() {
      const server = transferServer()
      const bytes = binary(200_000)
      const chunks = [bytes.subarray(0, 65_536), bytes.subarray(65_536, 150_000), bytes.subarray(150_000)]
      const back = yield* withServer(server, (fs) =>
        Effect.zipRight(
          fs.uploadFile(S1, Stream.fromIterable(chunks), PATH, { contentLength: bytes.length }),
          fs.downloadFileBytes(S1, PATH)
        ))
      assert.deepStrictEqual(server.sandbox.get(PATH), bytes)
      assert.deepStrictEqual(back, bytes)
      assert.strictEqual(server.stored.size, 0, "both staging copies were deleted")
      const put = server.sent.find((s) => s.method === "PUT")!
      assert.strictEqual(put.headers["content-length"], String(bytes.length))
      assert.deepStrictEqual(Server.actions(server.sent), [
        "GetAndLoadInternalContext",
        "GetContextFileUploadUrl",
        `PUT /put/${TOKEN}`,
        "SyncContext",
        "GetContextInfo",
        "GetContextInfo",
        "DeleteContextFile",
        "GetAndLoadInternalContext",
        "SyncContext",
        "GetContextInfo",
        "GetContextInfo",
        "GetContextFileDownloadUrl",
        `GET /get/${TOKEN}`,
        "DeleteContextFile"
      ])
      const syncs = server.sent.filter((s) => s.action === "SyncContext").map((s) => Object.fromEntries(s.fields))
      assert.deepInclude(syncs[0], { SessionId: S1, ContextId: CTX, Path: PATH, Mode: "download" })
      assert.deepInclude(syncs[1], { SessionId: S1, ContextId: CTX, Path: PATH, Mode: "upload" })
      const waits = server.sent.filter((s) => s.action === "GetContextInfo").map((s) => s.fields.get("TaskType"))
      assert.deepStrictEqual(waits, [undefined, "download", undefined, "upload"])
    }))

  it.effect("an empty file goes and comes back empty", () =>
    Effect.gen(function*() {
      const server = transferServer()
      const back = yield* withServer(server, (fs) =>
        Effect.zipRight(fs.uploadFile(S1, new Uint8Array(0), PATH), fs.downloadFileBytes(S1, PATH)))
      assert.strictEqual(back.length, 0)
      assert.strictEqual(server.sandbox.get(PATH)?.length, 0)
    }))

  it.effect("a task still running is polled until done, at the pace of the layer's context-sync wait", () =>
    Effect.gen(function*() {
      // Running for the first three polls of the typed wait (the untyped one sees it done).
      const server = transferServer({
        task: (_, poll) => poll <= 1 ? {} : poll <= 4 ? { status: "Running" } : {}
      })
      const fast = AgentBay.layerWaits({ contextSync: { interval: "1 second", timeout: "10 seconds" } })
      const fiber = yield* Effect.fork(withServer(server, (fs) => fs.uploadFile(S1, binary(10), PATH), fast))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still waiting after 2 s")
      yield* TestClock.adjust("1 second")
      const done = yield* Fiber.join(fiber).pipe(Effect.either)
      assert.isTrue(done._tag === "Right")
      assert.strictEqual(server.sent.filter((s) => s.action === "GetContextInfo").length, 5)
    }))
})

describe("file transfer: refused before sending", () => {
  it.effect("a relative remote path, a bad content length or a bad wait is a ValidationError; nothing is sent", () =>
    Effect.gen(function*() {
      const server = transferServer()
      const errors = yield* withServer(server, (fs) =>
        Effect.all([
          Effect.flip(fs.uploadFile(S1, binary(3), "relative/path.bin")),
          Effect.flip(fs.uploadFile(S1, Stream.make(binary(3)), PATH, { contentLength: -1 })),
          Effect.flip(fs.downloadFileBytes(S1, "")),
          Effect.flip(Stream.runDrain(fs.downloadFile(S1, "x.bin"))),
          Effect.flip(
            fs.uploadFile(S1, binary(3), PATH, { wait: { interval: "1 second", schedule: undefined, timeout: 0 } })
          ),
          Effect.flip(fs.uploadFile("", binary(3), PATH))
        ]))
      assert.deepStrictEqual(
        errors.map((e) => e._tag === "ValidationError" ? [e.operation, e.field] : e._tag),
        [
          ["uploadFile", "remotePath"],
          ["uploadFile", "contentLength"],
          ["downloadFileBytes", "remotePath"],
          ["downloadFile", "remotePath"],
          ["uploadFile", "wait.timeout"],
          ["uploadFile", "sessionId"]
        ]
      )
      assert.strictEqual(server.sent.length, 0)
    }))
})

describe("file transfer: failures", () => {
  it.effect("a failed sync task is ContextSyncError with its message; one SyncContext (no retries), the copy deleted", () =>
    Effect.gen(function*() {
      const server = transferServer({
        task: (_, poll) => poll === 1 ? { status: "Failed", errorMessage: "disk full" } : {}
      })
      const error = yield* Effect.flip(withServer(server, (fs) => fs.uploadFile(S1, binary(10), PATH)))
      assert.strictEqual(error._tag, "ContextSyncError")
      if (error._tag === "ContextSyncError") {
        assert.deepStrictEqual(error.tasks, [
          { contextId: CTX, path: PATH, taskType: "download", status: "Failed", errorMessage: "disk full" }
        ])
        assert.strictEqual(error.operation, "uploadFile")
      }
      const syncs = server.sent.filter((s) => s.action === "SyncContext")
      assert.strictEqual(syncs.length, 1)
      assert.strictEqual(syncs[0]!.fields.get("ContextId"), CTX)
      assert.strictEqual(Server.actions(server.sent).at(-1), "DeleteContextFile")
      assert.strictEqual(server.stored.size, 0)
    }))

  it.effect("the transfer wait's tolerant statuses: `completed` is done, an errorMessage is a failure", () =>
    Effect.gen(function*() {
      const done = transferServer({ task: () => ({ status: "completed" }) })
      yield* withServer(done, (fs) => fs.uploadFile(S1, binary(4), PATH))
      assert.deepStrictEqual(done.sandbox.get(PATH), binary(4))
      const failed = transferServer({
        task: (_, poll) => poll === 1 ? {} : { status: "Running", errorMessage: "quota" }
      })
      const error = yield* Effect.flip(withServer(failed, (fs) => fs.uploadFile(S1, binary(4), PATH)))
      assert.deepInclude(error, { _tag: "ContextSyncError" })
    }))

  it.effect("a task that never shows is WaitTimeout once the wait's timeout has passed", () =>
    Effect.gen(function*() {
      const server = transferServer({ task: () => "none" })
      const fiber = yield* Effect.fork(
        withServer(server, (fs) =>
          fs.downloadFileBytes(S1, PATH, { wait: { interval: "1 second", timeout: "5 seconds" } }))
      )
      yield* TestClock.adjust("6 seconds")
      const error = yield* Effect.flip(Fiber.join(fiber))
      assert.deepInclude(error, { _tag: "WaitTimeout", id: S1, timeout: "5s", lastStatus: "no task yet" })
      // Never a GET without the sync done; the staging copy (if any) is deleted.
      assert.isFalse(server.sent.some((s) =>
        s.method === "GET" && s.action === undefined
      ))
      assert.strictEqual(Server.actions(server.sent).at(-1), "DeleteContextFile")
    }))

  it.effect("a storage URL answering 403 is AuthError; nothing is synced; the URL is in no error", () =>
    Effect.gen(function*() {
      const server = transferServer({ putStatus: 403 })
      const error = yield* Effect.flip(withServer(server, (fs) => fs.uploadFile(S1, binary(10), PATH)))
      assert.deepInclude(error, { _tag: "AuthError", action: "PutContextFile", status: 403 })
      assert.isFalse(server.sent.some((s) => s.action === "SyncContext"))
      assert.notInclude(JSON.stringify(error) + String(error), TOKEN)
    }))

  it.effect("a download URL answering 404 is TransportError (HttpStatus); the copy is still deleted", () =>
    Effect.gen(function*() {
      const server = transferServer({ getStatus: 404 })
      server.sandbox.set(PATH, binary(10))
      const error = yield* Effect.flip(withServer(server, (fs) => fs.downloadFileBytes(S1, PATH)))
      assert.deepInclude(error, { _tag: "TransportError", action: "GetContextFile", reason: "HttpStatus", status: 404 })
      assert.notInclude(JSON.stringify(error) + String(error), TOKEN)
      assert.strictEqual(Server.actions(server.sent).at(-1), "DeleteContextFile")
      assert.strictEqual(server.stored.size, 0)
    }))

  it.effect("a file the sandbox does not have is NotFound (ContextFile)", () =>
    Effect.gen(function*() {
      const server = transferServer()
      const error = yield* Effect.flip(withServer(server, (fs) => fs.downloadFileBytes(S1, PATH)))
      assert.deepInclude(error, { _tag: "NotFound", resource: "ContextFile", id: PATH })
    }))

  it.effect("a failing source stream fails the upload with its own error; nothing is synced", () =>
    Effect.gen(function*() {
      const server = transferServer()
      const source = Stream.concat(Stream.make(binary(100)), Stream.fail(new SourceBroke({ at: 100 })))
      const error = yield* Effect.flip(withServer(server, (fs) => fs.uploadFile(S1, source, PATH)))
      // Typed: SourceBroke is in the error channel.
      const tagged: SourceBroke | AgentBayFileSystem.TransferError = error
      assert.deepInclude(tagged, { _tag: "SourceBroke", at: 100 })
      assert.isFalse(server.sent.some((s) => s.action === "SyncContext"))
    }))

  it.effect("a session without a file-transfer context is an ApiError", () =>
    Effect.gen(function*() {
      const server = transferServer({ transferContexts: [{ ContextId: CTX }] }) // no ContextPath: not usable
      const error = yield* Effect.flip(withServer(server, (fs) => fs.uploadFile(S1, binary(1), PATH)))
      assert.deepInclude(error, { _tag: "ApiError", code: "NoFileTransferContext" })
      assert.deepStrictEqual(Server.actions(server.sent), ["GetAndLoadInternalContext"])
    }))

  it.effect("a network failure at the storage URL is TransportError (Network) whose cause never shows the URL", () =>
    Effect.gen(function*() {
      // The socket error names the full URL, token and signature included, as real ones may.
      const fake = yield* Fixtures.scripted((action) =>
        action === "GetAndLoadInternalContext"
          ? Server.ok([{ ContextId: CTX, ContextPath: "/home/wuying/file_transfer" }])
          : action === "GetContextFileUploadUrl"
          ? Server.ok({ Url: `http://storage.test/put/${TOKEN}?Signature=${TOKEN}` })
          : "network"
      )
      const error = yield* Effect.flip(
        Effect.provide(
          Effect.flatMap(AgentBayFileSystem.AgentBayFileSystem, (fs) => fs.uploadFile(S1, binary(10), PATH)),
          Server.layer(fake.client)
        )
      )
      assert.deepInclude(error, { _tag: "TransportError", action: "PutContextFile", reason: "Network" })
      assert.include(error._tag === "TransportError" ? error.cause : "", "ECONNREFUSED")
      assert.notInclude(JSON.stringify(error) + String(error), TOKEN)
      assert.notInclude(JSON.stringify(error), "storage.test/put")
    }))
})
