/**
 * Context actions on the wire: contexts (GetContext, ListContexts,
 * ModifyContext, DeleteContext, ClearContext), their files (upload and download
 * URLs, DeleteContextFile, DescribeContextFiles), a session's syncs
 * (SyncContext, GetContextInfo) and its file-transfer context
 * (GetAndLoadInternalContext). One descriptor each, for the client and the
 * backends (spec: wire-protocol.md §6.2, semantics.md §4).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

import { NonBlank } from "./Session.js"
import { action, type AnyAction, Code, invalidState, notFound, PageSizeFromString } from "./Wire.js"

const Str = Schema.optional(Schema.String)

// A context named by id in `field` is unknown: both codes (the fixtures' and the
// official SDK's mocks') become NotFound.
const contextErrors = <const K extends string>(field: K | ReadonlyArray<K>) => ({
  [Code.ContextNotFound]: notFound("Context", field),
  [Code.ContextNotFoundMock]: notFound("Context", field)
})

// The session named is unknown, or the context named is.
const errors = {
  [Code.SessionNotFound]: notFound("Session", "SessionId"),
  ...contextErrors("ContextId")
} as const

/**
 * A context as the wire carries it (all strings). `State` is `available`,
 * `in-use`, `pre-available` or `clearing`; times are ISO-8601 text on our
 * backends (the cloud's format is open).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContextData = Schema.Struct({
  Id: NonBlank,
  Name: Schema.String,
  State: Str,
  CreateTime: Str,
  LastUsedTime: Str,
  OsType: Str
})

/**
 * Get a context by name (creating it with `AllowCreate`) or by id (the
 * official client's clear-status poll). `AllowCreate` is always sent.
 *
 * @since 0.1.0
 * @category actions
 */
export const GetContext = action("GetContext", {
  params: Schema.Struct({
    Name: Str,
    ContextId: Str,
    AllowCreate: Schema.BooleanFromString,
    LoginRegionId: Str
  }),
  data: ContextData,
  idempotent: true,
  errors: contextErrors(["ContextId", "Name"])
})

/**
 * One page of the account's contexts; `NextToken`, `MaxResults`, `TotalCount`
 * travel beside `Data`.
 *
 * @since 0.1.0
 * @category actions
 */
export const ListContexts = action("ListContexts", {
  params: Schema.Struct({ MaxResults: Schema.optional(PageSizeFromString), NextToken: Str, SessionId: Str }),
  data: Schema.Array(ContextData),
  idempotent: true
})

/**
 * Renames a context (names are unique per account).
 *
 * @since 0.1.0
 * @category actions
 */
export const ModifyContext = action("ModifyContext", {
  params: Schema.Struct({ Id: NonBlank, Name: NonBlank }),
  data: Schema.Unknown,
  idempotent: true,
  errors: contextErrors("Id")
})

/**
 * Deletes a context and its stored files. Refused while a live session syncs it.
 *
 * @since 0.1.0
 * @category actions
 */
export const DeleteContext = action("DeleteContext", {
  params: Schema.Struct({ Id: NonBlank }),
  data: Schema.Unknown,
  idempotent: false,
  errors: { ...contextErrors("Id"), [Code.ContextInUse]: invalidState("Context", "Id", "delete") }
})

/**
 * Wipes a context's stored files; its `State` is `clearing` until done, then
 * `available` (the client polls GetContext by id).
 *
 * @since 0.1.0
 * @category actions
 */
export const ClearContext = action("ClearContext", {
  params: Schema.Struct({ Id: NonBlank }),
  data: Schema.Unknown,
  idempotent: false,
  errors: { ...contextErrors("Id"), [Code.ContextInUse]: invalidState("Context", "Id", "clear") }
})

/**
 * A pre-signed URL and its expiry (Unix seconds on our backends; open on the cloud).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileUrl = Schema.Struct({ Url: Schema.String, ExpireTime: Schema.optional(Schema.Number) })

const ContextFile = Schema.Struct({ ContextId: NonBlank, FilePath: NonBlank })

/**
 * A URL to `PUT` one file's bytes into the context at `FilePath` (a sandbox
 * absolute path), with no key.
 *
 * @since 0.1.0
 * @category actions
 */
export const GetContextFileUploadUrl = action("GetContextFileUploadUrl", {
  params: ContextFile,
  data: FileUrl,
  idempotent: true,
  errors: contextErrors("ContextId")
})

/**
 * A URL to `GET` one stored file's bytes.
 *
 * @since 0.1.0
 * @category actions
 */
export const GetContextFileDownloadUrl = action("GetContextFileDownloadUrl", {
  params: ContextFile,
  data: FileUrl,
  idempotent: true,
  errors: { ...contextErrors("ContextId"), [Code.ContextFileNotFound]: notFound("ContextFile", "FilePath") }
})

/**
 * Removes one stored file (or folder) from the context.
 *
 * @since 0.1.0
 * @category actions
 */
export const DeleteContextFile = action("DeleteContextFile", {
  params: ContextFile,
  data: Schema.Unknown,
  idempotent: true,
  errors: { ...contextErrors("ContextId"), [Code.ContextFileNotFound]: notFound("ContextFile", "FilePath") }
})

/**
 * One entry of DescribeContextFiles. `FileType` is `file` or `folder` on our backends.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContextFileData = Schema.Struct({
  FileId: Str,
  FileName: Schema.String,
  FilePath: Schema.String,
  FileType: Str,
  GmtCreate: Str,
  GmtModified: Str,
  Size: Schema.optional(Schema.Number),
  Status: Str
})

/**
 * The entries of one folder of a context, by page number (`Count` beside `Data`).
 *
 * @since 0.1.0
 * @category actions
 */
export const DescribeContextFiles = action("DescribeContextFiles", {
  params: Schema.Struct({
    ContextId: NonBlank,
    ParentFolderPath: Str,
    PageNumber: Schema.optional(
      Schema.compose(Schema.NumberFromString, Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)))
    ),
    PageSize: Schema.optional(PageSizeFromString)
  }),
  data: Schema.Array(ContextFileData),
  idempotent: true,
  errors: contextErrors("ContextId")
})

/**
 * The internal context types GetAndLoadInternalContext accepts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InternalContextType = Schema.Literal("file_transfer")

/**
 * The session's internal file-transfer context: a `GET` with every field in
 * the query (observed).
 *
 * @since 0.1.0
 * @category actions
 */
export const GetAndLoadInternalContext = action("GetAndLoadInternalContext", {
  params: Schema.Struct({ SessionId: NonBlank, "ContextTypes.1": Schema.optional(InternalContextType) }),
  data: Schema.Array(Schema.Struct({ ContextId: Str, ContextPath: Str, ContextType: Str })),
  idempotent: true,
  method: "GET",
  query: ["SessionId", "ContextTypes.1"],
  keyIn: "query",
  errors: { [Code.SessionNotFound]: notFound("Session", "SessionId") }
})

/**
 * Direction of a sync: `upload` saves the sandbox to storage, `download` the reverse.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SyncMode = Schema.Literal("upload", "download")

/**
 * Starts a sync. The official client sends the key in the query here.
 *
 * @since 0.1.0
 * @category actions
 */
export const SyncContext = action("SyncContext", {
  params: Schema.Struct({ SessionId: NonBlank, ContextId: Str, Path: Str, Mode: Schema.optional(SyncMode) }),
  data: Schema.Unknown,
  idempotent: false,
  keyIn: "query",
  // A paused session cannot sync (the local runtime's choice; the cloud's answer is open).
  errors: { ...errors, [Code.InvalidStatus]: invalidState("Session", "SessionId", "syncContext") }
})

/**
 * One sync task as reported inside `ContextStatus`. `Success` and `Failed` are the
 * only terminal statuses; anything else means in progress.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ContextTask = Schema.Struct({
  contextId: Schema.String,
  path: Schema.String,
  status: Schema.String,
  taskType: Schema.String,
  startTime: Schema.optional(Schema.Number),
  finishTime: Schema.optional(Schema.Number),
  errorMessage: Str
})

/**
 * @since 0.1.0
 * @category models
 */
export type ContextTask = typeof ContextTask.Type

/**
 * @since 0.1.0
 * @category actions
 */
export const GetContextInfo = action("GetContextInfo", {
  params: Schema.Struct({ SessionId: NonBlank, ContextId: Str, Path: Str, TaskType: Str }),
  // Double-encoded JSON text: see `decodeTasks` / `encodeTasks`.
  data: Schema.Struct({ ContextStatus: Str }),
  idempotent: true,
  errors
})

const Outer = Schema.parseJson(Schema.Array(Schema.Struct({ type: Schema.String, data: Schema.String })))
const Inner = Schema.parseJson(Schema.Array(ContextTask))

/**
 * Reads `ContextStatus`: JSON text of `[{type:"data", data:"<JSON text of tasks>"}]`.
 * Only `type == "data"` items count; empty or absent text means no tasks.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeTasks = (text: string | undefined): Either.Either<ReadonlyArray<ContextTask>, string> => {
  if (text === undefined || text.trim() === "") return Either.right([])
  const outer = Schema.decodeUnknownEither(Outer)(text)
  if (Either.isLeft(outer)) return Either.left(`ContextStatus: ${outer.left.message}`)
  const tasks: Array<ContextTask> = []
  for (const item of outer.right) {
    if (item.type !== "data") continue
    const inner = Schema.decodeUnknownEither(Inner)(item.data)
    if (Either.isLeft(inner)) return Either.left(`ContextStatus data: ${inner.left.message}`)
    for (const task of inner.right) tasks.push(task)
  }
  return Either.right(tasks)
}

/**
 * The server side of `decodeTasks`.
 *
 * @since 0.1.0
 * @category utils
 */
export const encodeTasks = (tasks: ReadonlyArray<ContextTask>): string =>
  tasks.length === 0 ? "" : JSON.stringify([{ type: "data", data: JSON.stringify(tasks) }])

/**
 * @since 0.1.0
 * @category predicates
 */
export const isTerminalTask = (task: ContextTask): boolean => task.status === "Success" || task.status === "Failed"

/**
 * Every context action, for registries and tests that cover them all.
 *
 * @since 0.1.0
 * @category registry
 */
export const actions: ReadonlyArray<AnyAction> = [
  GetContext,
  ListContexts,
  ModifyContext,
  DeleteContext,
  ClearContext,
  GetContextFileUploadUrl,
  GetContextFileDownloadUrl,
  DeleteContextFile,
  DescribeContextFiles,
  SyncContext,
  GetContextInfo,
  GetAndLoadInternalContext
]
