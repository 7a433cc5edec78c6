/**
 * Context actions on the wire. For now the two a session's delete needs
 * (SyncContext and GetContextInfo); the context service adds the rest
 * (spec: wire-protocol.md §6.2, semantics.md §4.5-4.6).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { NonBlank } from "./Session.js"
import { action, type AnyAction, Code, notFound } from "./Wire.js"

const Str = Schema.optional(Schema.String)

// The session named is unknown, or the context named is.
const errors = {
  [Code.SessionNotFound]: notFound("Session", "SessionId"),
  [Code.ContextNotFound]: notFound("Context", "ContextId")
} as const

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
  errors
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
    tasks.push(...inner.right)
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
export const actions: ReadonlyArray<AnyAction> = [SyncContext, GetContextInfo]
