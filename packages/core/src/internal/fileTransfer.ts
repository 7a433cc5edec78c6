// File transfer of AgentBayFileSystem (uploadFile, downloadFile and their
// variants) through the session's file-transfer context, as the official client
// does it (spec: semantics.md §4.8, fixtures upload-file.json and
// download-file.json): the bytes go to or come from a pre-signed URL of the
// context's storage, and a sync moves them between the storage and the
// sandbox. Internal: AgentBayFileSystem.ts is the public surface.
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

import type { WaitOptions } from "../AgentBay.js"
import type { AgentBayClient } from "../AgentBayClient.js"
import { ApiError, ValidationError } from "../AgentBayError.js"
import type * as AgentBayFileSystem from "../AgentBayFileSystem.js"
import { idOf, type SessionRef } from "../Session.js"
import * as WireContext from "../WireContext.js"
import { pollUntil, resolveWait, type Wait } from "./poll.js"
import * as SyncTasks from "./syncTasks.js"

/** What a transfer needs besides the client: the default of its sync wait. */
export interface Defaults {
  readonly wait: WaitOptions
}

/**
 * The official client's file-transfer wait (semantics.md §4.8): a poll every
 * 1.5 s for up to 30 s. Only when no layer gives its context-sync wait.
 */
export const defaults: Defaults = { wait: { interval: Duration.millis(1500), timeout: Duration.seconds(30) } }

type Client = AgentBayClient.Service
type TransferError = AgentBayFileSystem.TransferError
type Direction = "upload" | "download"
type UploadBody<E> = Uint8Array | Stream.Stream<Uint8Array, E>

/** The session's file-transfer context: its id (the storage's path is the sandbox path). */
interface Staging {
  readonly sessionId: string
  readonly contextId: string
}

const invalid = (operation: string, field: string, reason: string) =>
  Effect.fail(new ValidationError({ operation, field, reason }))

/** The session id, the remote path and the wait (over `base`), checked before anything is sent. */
const prepare = (
  operation: string,
  ref: SessionRef,
  remotePath: string,
  options: AgentBayFileSystem.TransferOptions,
  base: WaitOptions
) =>
  Effect.gen(function*() {
    const sessionId = idOf(ref)
    if (typeof sessionId !== "string" || sessionId.trim() === "") {
      return yield* invalid(operation, "sessionId", "must be non-blank")
    }
    if (typeof remotePath !== "string" || !remotePath.startsWith("/") || remotePath.includes("\0")) {
      return yield* invalid(operation, "remotePath", "must be an absolute path in the sandbox")
    }
    const wait = yield* resolveWait(operation, options.wait ?? {}, base, "wait")
    return { sessionId, wait }
  })

/**
 * GetAndLoadInternalContext: the first item with both `ContextId` and
 * `ContextPath`. Asked on every transfer (the official client caches it on its
 * Session object; ours are plain records and may be ids).
 */
const staging = (client: Client, sessionId: string) =>
  Effect.flatMap(
    client.call(WireContext.GetAndLoadInternalContext, { SessionId: sessionId, "ContextTypes.1": "file_transfer" }),
    ({ data, envelope }): Effect.Effect<Staging, ApiError> => {
      const found = data.find((c) => c.ContextId && c.ContextPath)
      return found !== undefined
        ? Effect.succeed({ sessionId, contextId: found.ContextId! })
        : Effect.fail(
          new ApiError({
            action: WireContext.GetAndLoadInternalContext.name,
            code: "NoFileTransferContext",
            description: "the session has no file-transfer context",
            requestId: envelope.RequestId
          })
        )
    }
  )

const isTransfer = (task: WireContext.ContextTask) => task.taskType === "upload" || task.taskType === "download"

/**
 * Waits for the sync of `path` in `direction` (SyncContext already sent), in the
 * official client's two steps, so that our requests are its requests: its
 * `sync()` polls GetContextInfo(ContextId, Path) until every upload/download
 * task there is done, then the transfer polls with `TaskType` until the task
 * of that context, path and type is done. One bound, `wait.timeout`, covers both.
 */
const awaitSync = (client: Client, at: Staging, path: string, direction: Direction, wait: Wait, operation: string) =>
  Effect.gen(function*() {
    const tasks = (taskType: Direction | undefined) =>
      client.getContextInfo({ sessionId: at.sessionId, contextId: at.contextId, path, taskType })
    const span = "AgentBayFileSystem.waitForSync"
    const target = `${direction} of ${path}`
    const start = yield* Clock.currentTimeMillis
    yield* SyncTasks.awaitTasks(tasks(undefined), {
      span,
      sessionId: at.sessionId,
      target,
      operation,
      wait,
      relevant: isTransfer,
      outcome: SyncTasks.tolerant
    })
    const mine = (ts: ReadonlyArray<WireContext.ContextTask>) =>
      ts.find((t) => t.contextId === at.contextId && t.path === path && t.taskType === direction)
    const left = Duration.toMillis(wait.timeout) - ((yield* Clock.currentTimeMillis) - start)
    const last = yield* pollUntil(tasks(direction), {
      span,
      id: at.sessionId,
      target,
      done: (ts) => {
        const task = mine(ts)
        return task !== undefined && SyncTasks.tolerant(task) !== "running"
      },
      wait: { ...wait, timeout: Duration.millis(Math.max(1, left)) },
      lastStatus: (ts) => mine(ts)?.status ?? "no task yet"
    })
    const task = mine(last)!
    if (SyncTasks.tolerant(task) === "failed") return yield* SyncTasks.syncError(at.sessionId, operation, [task])
  })

/**
 * DeleteContextFile: drops the copy left in the file-transfer context. Already
 * gone is fine; any other failure is logged (the transfer itself succeeded or
 * failed on its own) and the copy stays in the session's context, which goes
 * with the session.
 */
const dropCopy = (client: Client, at: Staging, path: string, operation: string) =>
  client.call(WireContext.DeleteContextFile, { ContextId: at.contextId, FilePath: path }).pipe(
    Effect.asVoid,
    Effect.catchTag("NotFound", () => Effect.void),
    Effect.catchAll((error) =>
      Effect.logWarning(
        `AgentBayFileSystem.${operation}: could not remove the staging copy from session ${at.sessionId}'s ` +
          "file-transfer context; it stays there until the session is deleted",
        error
      )
    )
  )

// The span's attributes: never the contents, nor the URL.
const spanOf = (ref: SessionRef, remotePath: string) => ({
  attributes: { "agentbay.session_id": idOf(ref), "agentbay.remote_path": remotePath }
})

/** Concatenates chunks into one array (the only chunk as it is). */
export const concat = (chunks: Iterable<Uint8Array>): Uint8Array => {
  const parts = [...chunks]
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** What `make` returns: the transfer operations of the service. */
export type Transfers = Pick<
  AgentBayFileSystem.AgentBayFileSystem.Service,
  "uploadFile" | "uploadFileFrom" | "downloadFile" | "downloadFileBytes" | "downloadFileTo"
>

/** The transfer operations over a client, with `base.wait` as the default of their sync waits. */
export const make = (client: Client, base: Defaults = defaults): Transfers => {
  const resolve = (
    operation: string,
    ref: SessionRef,
    remotePath: string,
    options: AgentBayFileSystem.TransferOptions
  ) => prepare(operation, ref, remotePath, options, base.wait)

  // `open` gives the body once the inputs are checked, before anything is sent.
  const upload = <E, E2, R>(
    operation: string,
    ref: SessionRef,
    open: Effect.Effect<{ readonly body: UploadBody<E>; readonly contentLength: number | undefined }, E2, R>,
    remotePath: string,
    options: AgentBayFileSystem.TransferOptions
  ): Effect.Effect<void, TransferError | E | E2, R> =>
    Effect.gen(function*() {
      const { sessionId, wait } = yield* resolve(operation, ref, remotePath, options)
      const { body, contentLength } = yield* open
      const at = yield* staging(client, sessionId)
      const { data } = yield* client.call(WireContext.GetContextFileUploadUrl, {
        ContextId: at.contextId,
        FilePath: remotePath
      })
      yield* client.putUrl(Redacted.make(data.Url), body, { contentLength })
      // From here the context holds a copy: it goes, whatever the sync does.
      yield* Effect.ensuring(
        Effect.zipRight(
          client.syncContext({ sessionId, contextId: at.contextId, path: remotePath, mode: "download" }),
          awaitSync(client, at, remotePath, "download", wait, operation)
        ),
        dropCopy(client, at, remotePath, operation)
      )
    }).pipe(Effect.withSpan(`AgentBayFileSystem.${operation}`, spanOf(ref, remotePath)))

  const download = (
    operation: string,
    ref: SessionRef,
    remotePath: string,
    options: AgentBayFileSystem.TransferOptions
  ): Stream.Stream<Uint8Array, TransferError> =>
    Stream.unwrap(Effect.gen(function*() {
      const { sessionId, wait } = yield* resolve(operation, ref, remotePath, options)
      const at = yield* staging(client, sessionId)
      yield* client.syncContext({ sessionId, contextId: at.contextId, path: remotePath, mode: "upload" })
      // From here the context may hold a copy: it goes once the bytes are read (or the stream ends otherwise).
      const body = Stream.unwrap(Effect.gen(function*() {
        yield* awaitSync(client, at, remotePath, "upload", wait, operation)
        const { data } = yield* client.call(WireContext.GetContextFileDownloadUrl, {
          ContextId: at.contextId,
          FilePath: remotePath
        })
        return yield* client.getUrl(Redacted.make(data.Url))
      }))
      return Stream.ensuring(body, dropCopy(client, at, remotePath, operation))
    })).pipe(Stream.withSpan(`AgentBayFileSystem.${operation}`, spanOf(ref, remotePath)))

  return {
    uploadFile: (ref, source, remotePath, options = {}) => {
      const { contentLength } = options
      const open = contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)
        ? invalid("uploadFile", "contentLength", "must be an integer >= 0")
        : Effect.succeed({ body: source, contentLength })
      return upload("uploadFile", ref, open, remotePath, options)
    },
    uploadFileFrom: (ref, localPath, remotePath, options = {}) => {
      const open = Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const info = yield* fs.stat(localPath)
        if (info.type !== "File") return yield* invalid("uploadFileFrom", "localPath", "is not a regular file")
        // At most the size announced, should the file grow meanwhile.
        return { body: fs.stream(localPath, { bytesToRead: info.size }), contentLength: Number(info.size) }
      })
      return upload("uploadFileFrom", ref, open, remotePath, options)
    },
    downloadFile: (ref, remotePath, options = {}) => download("downloadFile", ref, remotePath, options),
    downloadFileBytes: (ref, remotePath, options = {}) =>
      Effect.map(Stream.runCollect(download("downloadFileBytes", ref, remotePath, options)), concat),
    downloadFileTo: (ref, remotePath, localPath, options = {}) =>
      writeAtomically(localPath, download("downloadFileTo", ref, remotePath, options))
  }
}

/**
 * Writes the stream to a new file beside `localPath`, then renames it over
 * `localPath`: a failed or interrupted download leaves no partial file, and an
 * existing file is replaced only by a complete one.
 */
const writeAtomically = <E>(
  localPath: string,
  body: Stream.Stream<Uint8Array, E>
): Effect.Effect<void, E | PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const part = `${localPath}.${crypto.randomUUID()}.part`
    // (No empty chunks: a write of nothing is an error to the platform's file system.)
    yield* Stream.run(Stream.filter(body, (chunk) => chunk.length > 0), fs.sink(part)).pipe(
      Effect.zipRight(fs.rename(part, localPath)),
      Effect.onError(() => Effect.ignore(fs.remove(part)))
    )
  })
