// The operations of AgentBayContext over `client.call` and the WireContext
// declarations: records from the wire, checks before sending, spans, the two
// pagings (NextToken for contexts, page numbers for files) and the clear wait.
// Also the small helpers BetaVolume shares (checks, dates). Internal:
// AgentBayContext.ts is the public surface.
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { WaitOptions } from "../AgentBay.js"
import type { AgentBayClient } from "../AgentBayClient.js"
import type * as AgentBayContext from "../AgentBayContext.js"
import { ValidationError } from "../AgentBayError.js"
import { idOf } from "../Session.js"
import * as Wire from "../Wire.js"
import * as WireContext from "../WireContext.js"
import { paginate } from "./paginate.js"
import { pollUntil, resolveWait } from "./poll.js"

const module = "AgentBayContext"

/** A ValidationError of `operation` (already qualified, e.g. `BetaVolume.get`). */
export const invalid = (operation: string, field: string, reason: string) =>
  Effect.fail(new ValidationError({ operation, field, reason }))

/** `value` when it is a non-blank string. */
export const nonBlank = (operation: string, field: string, value: unknown): Effect.Effect<string, ValidationError> =>
  typeof value === "string" && value.trim() !== ""
    ? Effect.succeed(value)
    : invalid(operation, field, "must be non-blank")

/** A page size in 1..100, or `fallback` when not given. */
export const pageSize = (
  operation: string,
  field: string,
  value: number | undefined,
  fallback: number
): Effect.Effect<number, ValidationError> =>
  value === undefined
    ? Effect.succeed(fallback)
    : Schema.is(Wire.PageSize)(value)
    ? Effect.succeed(value)
    : invalid(operation, field, "must be an integer in 1..100")

const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d)$/

/** An ISO-8601 instant (with its zone); anything else, or nothing, is undefined. */
export const isoDate = (text: string | undefined): Date | undefined => {
  if (text === undefined || !iso.test(text)) return undefined
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** Absent for an empty string. */
export const text = (value: string | undefined): string | undefined => value === "" ? undefined : value

const toContext = (d: typeof WireContext.ContextData.Type): AgentBayContext.Context => ({
  id: d.Id,
  name: d.Name,
  state: text(d.State),
  createdAt: isoDate(d.CreateTime),
  lastUsedAt: isoDate(d.LastUsedTime),
  osType: text(d.OsType)
})

const toFile = (d: typeof WireContext.ContextFileData.Type): AgentBayContext.ContextFile => ({
  id: text(d.FileId),
  name: d.FileName,
  path: d.FilePath,
  type: text(d.FileType),
  size: d.Size,
  status: text(d.Status),
  createdAt: isoDate(d.GmtCreate),
  modifiedAt: isoDate(d.GmtModified)
})

const span = (operation: string, contextId?: string) =>
  Effect.withSpan(
    `${module}.${operation}`,
    contextId === undefined ? {} : { attributes: { "agentbay.context_id": contextId } }
  )

const refId = (ref: AgentBayContext.ContextRef): unknown => typeof ref === "string" ? ref : ref?.id

const op = (name: string) => `${module}.${name}`

type Service = AgentBayContext.AgentBayContext.Service

// Contexts: get, create, list, rename, delete, clear.
const contexts = (
  client: AgentBayClient.Service,
  clearWait: WaitOptions
): Pick<Service, "list" | "listPage" | "get" | "create" | "getById" | "update" | "delete" | "clear"> => {
  const byId = (id: string) =>
    Effect.map(client.call(WireContext.GetContext, { ContextId: id, AllowCreate: false }), (r) => toContext(r.data))

  const get = (name: string, create: boolean) =>
    Effect.flatMap(nonBlank(op(create ? "create" : "get"), "name", name), (Name) =>
      // The official client then lists the first page of contexts to copy the
      // times onto the record; GetContext's own answer carries them, so we don't.
      client.call(WireContext.GetContext, {
        Name,
        AllowCreate: create,
        // Only when creating, as the official client sends it.
        LoginRegionId: create ? client.regionId : undefined
      }).pipe(
        Effect.map((r) => toContext(r.data)),
        Effect.tap((c) => Effect.annotateCurrentSpan("agentbay.context_id", c.id))
      ))

  const page = (maxResults: number, nextToken: string | undefined, sessionId: string | undefined) =>
    Effect.map(
      client.call(WireContext.ListContexts, {
        MaxResults: maxResults,
        NextToken: nextToken || undefined,
        SessionId: sessionId
      }),
      ({ data, envelope }): AgentBayContext.ContextPage => ({
        contexts: data.map(toContext),
        nextToken: envelope.NextToken || undefined,
        maxResults: envelope.MaxResults,
        totalCount: envelope.TotalCount,
        requestId: envelope.RequestId
      })
    )

  const clear = (context: AgentBayContext.ContextRef, options: WaitOptions = {}) =>
    Effect.gen(function*() {
      const id = yield* nonBlank(op("clear"), "id", refId(context))
      const wait = yield* resolveWait(op("clear"), options, clearWait)
      yield* client.call(WireContext.ClearContext, { Id: id })
      // First poll at once (our backends may finish before they answer), then
      // by the wait; the official client sleeps before every poll.
      return yield* pollUntil(byId(id), {
        span: `${module}.waitUntilCleared`,
        resource: "Context",
        id,
        target: "available",
        done: (c) => c.state === "available",
        wait,
        lastStatus: (c) => c.state ?? "clearing"
      })
    }).pipe(span("clear", String(refId(context))))

  return {
    list: (options = {}) =>
      Stream.unwrap(
        Effect.map(pageSize(op("list"), "pageSize", options.pageSize, 10), (size) =>
          paginate((token) =>
            Effect.map(page(size, token, options.sessionId), (p) => ({ items: p.contexts, nextToken: p.nextToken }))
          ))
      ).pipe(Stream.withSpan(op("list"))),
    listPage: (options = {}) =>
      Effect.flatMap(
        pageSize(op("listPage"), "maxResults", options.maxResults, 10),
        (size) => page(size, options.nextToken, options.sessionId)
      ).pipe(span("listPage")),
    get: (name, options) => get(name, options?.create ?? false).pipe(span("get")),
    create: (name) => get(name, true).pipe(span("create")),
    getById: (id) => Effect.flatMap(nonBlank(op("getById"), "id", id), byId).pipe(span("getById", id)),
    update: (context) =>
      Effect.gen(function*() {
        const Id = yield* nonBlank(op("update"), "id", context?.id)
        const Name = yield* nonBlank(op("update"), "name", context?.name)
        yield* client.call(WireContext.ModifyContext, { Id, Name })
      }).pipe(span("update", context?.id)),
    delete: (context) =>
      Effect.flatMap(
        nonBlank(op("delete"), "id", refId(context)),
        (Id) => Effect.asVoid(client.call(WireContext.DeleteContext, { Id }))
      ).pipe(span("delete", String(refId(context)))),
    clear
  }
}

// The stored files of a context: listing by page number, URLs, delete.
const files = (
  client: AgentBayClient.Service
): Pick<Service, "listFiles" | "files" | "getFileUploadUrl" | "getFileDownloadUrl" | "deleteFile"> => {
  const filePage = (operation: string, contextId: string, folder: string, number: number, size: number) =>
    Effect.gen(function*() {
      const ContextId = yield* nonBlank(op(operation), "contextId", contextId)
      const ParentFolderPath = yield* nonBlank(op(operation), "folder", folder)
      const { data, envelope } = yield* client.call(WireContext.DescribeContextFiles, {
        ContextId,
        ParentFolderPath,
        PageNumber: number,
        PageSize: size
      })
      return {
        files: data.map(toFile),
        count: envelope.Count,
        page: number,
        pageSize: size,
        requestId: envelope.RequestId
      } satisfies AgentBayContext.FilePage
    })

  const fileUrl = (
    operation: string,
    action: typeof WireContext.GetContextFileUploadUrl | typeof WireContext.GetContextFileDownloadUrl
  ) =>
  (contextId: string, path: string) =>
    Effect.gen(function*() {
      const ContextId = yield* nonBlank(op(operation), "contextId", contextId)
      const FilePath = yield* nonBlank(op(operation), "path", path)
      const { data, envelope } = yield* client.call(action, { ContextId, FilePath })
      return { url: Redacted.make(data.Url), expireTime: data.ExpireTime, requestId: envelope.RequestId }
    }).pipe(span(operation, contextId))

  return {
    listFiles: (contextId, folder, options = {}) =>
      Effect.gen(function*() {
        const number = options.page ?? 1
        if (!Number.isInteger(number) || number < 1) {
          return yield* invalid(op("listFiles"), "page", "must be an integer >= 1")
        }
        const size = yield* pageSize(op("listFiles"), "pageSize", options.pageSize, 50)
        return yield* filePage("listFiles", contextId, folder, number, size)
      }).pipe(span("listFiles", contextId)),
    files: (contextId, folder, options = {}) =>
      Stream.unwrap(
        Effect.map(pageSize(op("files"), "pageSize", options.pageSize, 50), (size) =>
          Stream.paginateChunkEffect(1, (number) =>
            Effect.map(filePage("files", contextId, folder, number, size), (p) =>
              [
                Chunk.fromIterable(p.files),
                p.files.length < size ? Option.none() : Option.some(number + 1)
              ] as const)))
      ).pipe(Stream.withSpan(op("files"), { attributes: { "agentbay.context_id": contextId } })),
    getFileUploadUrl: fileUrl("getFileUploadUrl", WireContext.GetContextFileUploadUrl),
    getFileDownloadUrl: fileUrl("getFileDownloadUrl", WireContext.GetContextFileDownloadUrl),
    deleteFile: (contextId, path) =>
      Effect.gen(function*() {
        const ContextId = yield* nonBlank(op("deleteFile"), "contextId", contextId)
        const FilePath = yield* nonBlank(op("deleteFile"), "path", path)
        yield* client.call(WireContext.DeleteContextFile, { ContextId, FilePath })
      }).pipe(span("deleteFile", contextId))
  }
}

// A session's syncs.
const syncs = (client: AgentBayClient.Service): Pick<Service, "sync" | "info"> => {
  const sessionSpan = (operation: string, sessionId: string, contextId: string | undefined) =>
    Effect.withSpan(op(operation), {
      attributes: {
        "agentbay.session_id": sessionId,
        ...(contextId === undefined ? {} : { "agentbay.context_id": contextId })
      }
    })
  const checkSync = (options: AgentBayContext.SyncOptions | undefined) =>
    (options?.contextId === undefined) === (options?.path === undefined)
      ? Effect.void
      : invalid(op("sync"), "contextId", "and path go together")
  return {
    sync: (session, options) =>
      Effect.zipRight(checkSync(options), client.syncContext({ sessionId: idOf(session), ...options })).pipe(
        sessionSpan("sync", idOf(session), options?.contextId)
      ),
    info: (session, options) =>
      client.getContextInfo({ sessionId: idOf(session), ...options }).pipe(
        sessionSpan("info", idOf(session), options?.contextId)
      )
  }
}

export const make = (client: AgentBayClient.Service, clearWait: WaitOptions): Service => ({
  ...contexts(client, clearWait),
  ...files(client),
  ...syncs(client)
})
