/**
 * What each wire action does, without HTTP, written once for the local runtime
 * and the fake: the server (or the fake's in-memory transport) hands over the
 * merged query and form fields, this module checks the key (`BackendAuth`),
 * decodes the fields with the same per-action schemas the client encodes with
 * (`WireSession`, `WireContext`), runs the action on `BackendSessions`, encodes
 * `Data` with the same descriptor (or, for `Data` built from stored rows, builds
 * it in its wire form directly) and answers `[httpStatus, envelope]`. It never fails: every domain failure becomes
 * an error envelope, a defect a generic 500 (logged). Codes and statuses are the
 * spec's Local choices (wire-protocol.md §2.3).
 *
 * @since 0.1.0
 */
import { AuthError, InvalidState, type NotFound, ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as PageToken from "@effect-agentbay/core/PageToken"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { BackendAuth } from "./BackendAuth.js"
import { BackendSandbox, type SandboxError } from "./BackendSandbox.js"
import { BackendSessions } from "./BackendSessions.js"
import type { SessionRow } from "./BackendStore.js"
import * as BackendTools from "./BackendTools.js"

/**
 * What the runtime needs to know about the HTTP request besides its fields.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestInfo {
  /** `host[:port]` the client used, for the URLs handed out (ResourceUrl, GetLink). */
  readonly host: string
}

/**
 * One answer: the HTTP status and the JSON envelope (exact PascalCase keys).
 *
 * @since 0.1.0
 * @category models
 */
export interface Reply {
  readonly status: number
  readonly body: Wire.Envelope
}

// Web Crypto (a global in Node 20 and browsers): the backend imports no Node module.
const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

// Request ids are 16 upper-case hex digits (8 random bytes), cut from a pool
// refilled 1,024 ids at a time: building each from its own `getRandomValues`,
// `Array.from`, `map` and `join` was 2 % of the local server's CPU under 16
// GetSession callers (BENCHMARKS.md §3a). They are not secrets.
const hexByte = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0").toUpperCase())
const idBytes = new Uint8Array(8 * 1024)
let idNext = idBytes.length

/**
 * @since 0.1.0
 * @category utils
 */
export const makeRequestId = (): string => {
  if (idNext === idBytes.length) {
    crypto.getRandomValues(idBytes)
    idNext = 0
  }
  const b = idBytes
  const i = idNext
  idNext = i + 8
  return hexByte[b[i]!]! + hexByte[b[i + 1]!]! + hexByte[b[i + 2]!]! + hexByte[b[i + 3]!]! +
    hexByte[b[i + 4]!]! + hexByte[b[i + 5]!]! + hexByte[b[i + 6]!]! + hexByte[b[i + 7]!]!
}

/**
 * An error envelope; `HttpStatusCode` equals the HTTP status.
 *
 * @since 0.1.0
 * @category constructors
 */
export const failure = (status: number, code: string, message: string): Reply => ({
  status,
  body: { RequestId: makeRequestId(), Success: false, Code: code, Message: message, HttpStatusCode: status }
})

/**
 * A success envelope, with `Data` and the top-level paging fields when given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const success = (
  extra: Pick<Wire.Envelope, "Data" | "NextToken" | "MaxResults" | "TotalCount"> = {}
): Reply => ({
  status: 200,
  body: { RequestId: makeRequestId(), Success: true, Code: Wire.Code.Ok, Message: "", HttpStatusCode: 200, ...extra }
})

/**
 * The answer to a missing or rejected key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unauthorized = (): Reply => failure(401, Wire.Code.InvalidApiKey, "The API key is invalid or missing")

type Failure = AuthError | NotFound | InvalidState | ValidationError | SandboxError | BackendTools.UnknownTool

// The server's side of the shared code table.
const toReply = (e: Failure): Reply => {
  switch (e._tag) {
    case "AuthError":
      return unauthorized()
    case "NotFound":
      return failure(400, Wire.Code.SessionNotFound, e.message)
    case "InvalidState":
      return failure(400, Wire.Code.InvalidStatus, e.message)
    case "ValidationError":
      return failure(400, Wire.Code.InvalidParameter, `${e.field}: ${e.reason}`)
    case "SandboxError":
      return failure(500, Wire.Code.InternalError, `The session's sandbox could not ${e.operation}`)
    case "UnknownTool":
      return failure(400, Wire.Code.InvalidParameter, `Name: no tool ${JSON.stringify(e.name.slice(0, 100))} in this session`)
  }
}

interface Caller {
  readonly owner: string
  readonly host: string
}

interface Outcome<D> {
  readonly data?: D | undefined
  readonly page?: { readonly NextToken: string; readonly MaxResults: number; readonly TotalCount: number } | undefined
}

type Handler = (fields: Wire.Form, ctx: Caller) => Effect.Effect<Reply, Failure>

const invalid = (action: string, field: string, reason: string) =>
  new ValidationError({ operation: action, field, reason })

/**
 * The deepest nesting of arrays and objects a JSON-text field (`Labels`,
 * `ExtraConfigs`, `PersistenceDataList`, `SdkStats`, `Args`, ...) may have;
 * deeper text is refused before it is decoded.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxJsonDepth = 64

// Whether JSON text nests arrays and objects deeper than `limit`. Inside a
// string, brackets are counted apart (from the string's start): a string can be
// JSON text again (`PersistenceDataList[].Policy`), decoded later.
const nestsDeeper = (text: string, limit: number): boolean => {
  let depth = 0
  let inner = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
      else if ((c === 0x7b || c === 0x5b) && ++inner > limit) return true
      else if (c === 0x7d || c === 0x5d) inner--
    } else if (c === 0x22) {
      inString = true
      inner = 0
    } else if ((c === 0x7b || c === 0x5b) && ++depth > limit) return true
    else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

// Decodes an action's fields: JSON text (an object or array) nested past
// `maxJsonDepth` is refused first. Describing a bad value walks it, so one still
// too deep to describe (JSON text in a JSON string) gets a plain reason, not a stack overflow.
const decodeParams = <P, PI extends Wire.Form>(action: Wire.Action<string, P, PI, any, any>, fields: Wire.Form) => {
  const deep = Object.keys(fields).find((key) => {
    const value = fields[key] ?? ""
    return /^\s*[[{]/.test(value) && nestsDeeper(value, maxJsonDepth)
  })
  if (deep !== undefined) {
    return Effect.fail(invalid(action.name, deep, `is JSON nested deeper than ${maxJsonDepth} levels`))
  }
  return Effect.mapError(Schema.decodeUnknown(action.params)(fields), (e) => {
    try {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      const field = issue === undefined || issue.path.length === 0 ? "params" : issue.path.map(String).join(".")
      return invalid(action.name, field, issue?.message ?? e.message)
    } catch {
      return invalid(action.name, "params", "is invalid (nested too deep to describe)")
    }
  })
}

const reply = ({ data, page }: Outcome<unknown>): Reply =>
  data === undefined ? success(page) : success({ Data: data, ...page })

// Decode the fields with the action's own schema, run, encode `Data` with the same descriptor.
const on = <P, PI extends Wire.Form, D, DI>(
  action: Wire.Action<string, P, PI, D, DI>,
  run: (params: P, ctx: Caller) => Effect.Effect<Outcome<D>, Failure>
): readonly [string, Handler] => [action.name, (fields, ctx) =>
  Effect.suspend(() => decodeParams(action, fields)).pipe(
    Effect.flatMap((params) => run(params, ctx)),
    Effect.flatMap(({ data, page }) =>
      data === undefined
        ? Effect.succeed(success(page))
        : Effect.map(Effect.orDie(Schema.encode(action.data)(data)), (Data) => success({ Data, ...page }))
    )
  )]

// Hot path (BENCHMARKS.md §3a: Schema-encoding every reply's `Data` was 9.9 %
// of the local server's CPU under 16 GetSession callers): for `Data` the
// backend builds itself from stored rows, `run` returns it already in its wire
// form (`DI`, checked by the compiler) and it is sent as is, with no Schema
// pass. Schema output follows the schema's field order, so `run` writes the
// fields in that order too (the bytes stay identical).
const onWire = <P, PI extends Wire.Form, D, DI>(
  action: Wire.Action<string, P, PI, D, DI>,
  run: (params: P, ctx: Caller) => Effect.Effect<Outcome<DI>, Failure>
): readonly [string, Handler] => [action.name, (fields, ctx) =>
  Effect.suspend(() => decodeParams(action, fields)).pipe(
    Effect.flatMap((params) => run(params, ctx)),
    Effect.map(reply)
  )]

const urls = (host: string, id: string) => ({
  resource: `http://${host}/resource/${id}`,
  link: `http://${host}/link/${id}`
})

// The constant catalogue as `ToolList` JSON text, encoded once at start-up: it
// is 6,483 of GetSession's 6,950 envelope bytes, and re-encoding it on every
// GetSession and CreateMcpSession was most of their Schema cost (BENCHMARKS.md §3a).
const toolListText: string = Schema.encodeSync(WireSession.ToolListJson)(BackendTools.catalogue)

// `ToolList` is the tool -> server mapping; without a LinkUrl the official
// client keeps every tool call on CallMcpTool (spec: semantics.md §3.7).
const createdData = (row: SessionRow, host: string): Schema.Schema.Encoded<typeof WireSession.CreateMcpSession.data> => ({
  SessionId: row.id,
  Success: true,
  ResourceUrl: urls(host, row.id).resource,
  Token: row.token,
  AppInstanceId: `ai-${row.id}`,
  ResourceId: `res-${row.id}`,
  HttpPort: "",
  NetworkInterfaceIp: "",
  VpcResource: false,
  ToolList: toolListText
})

// The same fields with `Status` second, in the order of GetSession's schema (the JSON bytes follow it).
const sessionData = (row: SessionRow, host: string): Schema.Schema.Encoded<typeof WireSession.GetSession.data> => {
  const { SessionId, ...rest } = createdData(row, host)
  return { SessionId, Status: row.status, ...rest }
}

const none = <D>(): Outcome<D> => ({})

/**
 * The context-sync tasks GetContextInfo reports for a session: none by
 * default; the fake lets a test stage them (`Backend.setContextTasks`).
 *
 * @since 0.1.0
 * @category tags
 */
export class ContextTasks extends Context.Reference<ContextTasks>()("@effect-agentbay/backend/BackendRuntime/ContextTasks", {
  defaultValue: () => ({
    tasks: (_sessionId: string): Effect.Effect<ReadonlyArray<WireContext.ContextTask>> => Effect.succeed([])
  })
}) {}

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendRuntime
  extends Context.Tag("@effect-agentbay/backend/BackendRuntime")<BackendRuntime, BackendRuntime.Service>()
{}

/**
 * @since 0.1.0
 */
export declare namespace BackendRuntime {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Answers one request from its merged fields. Never fails. */
    readonly handle: (fields: Wire.Form, request: RequestInfo) => Effect.Effect<Reply>
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BackendRuntime.Service, never, BackendSessions | BackendAuth | BackendSandbox> = Effect.gen(function*() {
  const sessions = yield* BackendSessions
  const auth = yield* BackendAuth
  const contextTasks = yield* ContextTasks
  const sandbox = yield* BackendSandbox
  const tools = yield* BackendTools.makeToolState({ diskTotal: sandbox.diskTotal })

  const transition = (operation: Lifecycle.Operation) => (p: { readonly SessionId: string }, ctx: Caller) =>
    sessions.transition(ctx.owner, p.SessionId, operation).pipe(
      Effect.tap(() => operation === "delete" ? BackendTools.forget(tools, p.SessionId) : Effect.void),
      Effect.as(none<unknown>())
    )

  // Tools run in RUNNING sessions only: a paused (or pausing, resuming,
  // deleted) session refuses work with the invalid-state error.
  const callTool = (p: { readonly SessionId: string; readonly Name: string; readonly Args: unknown }, ctx: Caller) =>
    Effect.gen(function*() {
      const row = yield* sessions.get(ctx.owner, p.SessionId)
      if (row.status !== "RUNNING") {
        return yield* new InvalidState({ resource: "Session", id: row.id, operation: `run ${p.Name} in`, status: row.status })
      }
      return { data: yield* BackendTools.call(sandbox, tools, row.id, p.Name, p.Args) }
    })

  const handlers = new Map<string, Handler>([
    onWire(WireSession.CreateMcpSession, ({ ImageId, Labels, ...rest }, ctx) =>
      sessions.create({ owner: ctx.owner, imageId: ImageId, labels: Labels ?? {}, params: rest }).pipe(
        Effect.map((row) => ({ data: createdData(row, ctx.host) }))
      )),
    onWire(WireSession.GetSession, (p, ctx) =>
      Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({ data: sessionData(row, ctx.host) }))),
    onWire(WireSession.GetSessionDetail, (p, ctx) =>
      Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({
        data: {
          Status: Lifecycle.detailStatus(row.status),
          AppInstanceId: `ai-${row.id}`,
          ImageId: row.imageId,
          RegionId: "local"
        }
      }))),
    onWire(WireSession.ListSession, (p, ctx) =>
      Effect.gen(function*() {
        const limit = p.MaxResults ?? 10
        const after = p.NextToken === undefined || p.NextToken === "" ? Option.some(0) : PageToken.decode(p.NextToken)
        if (Option.isNone(after)) {
          return yield* invalid("ListSession", "NextToken", "is not a token this server issued")
        }
        const page = yield* sessions.list({
          owner: ctx.owner,
          labels: p.Labels ?? {},
          status: p.Status,
          after: after.value,
          limit: limit + 1
        })
        const rows = page.rows.slice(0, limit)
        const last = rows.at(-1)
        return {
          data: rows.map((r) => ({ SessionId: r.id, SessionStatus: r.status })),
          page: {
            NextToken: page.rows.length > limit && last !== undefined ? PageToken.encode(last.seq) : "",
            MaxResults: limit,
            TotalCount: page.total
          }
        }
      })),
    on(WireSession.DeleteSessionAsync, transition("delete")),
    on(WireSession.PauseSessionAsync, transition("pause")),
    on(WireSession.ResumeSessionAsync, transition("resume")),
    on(WireSession.ReleaseMcpSession, (p, ctx) =>
      Effect.as(sessions.transition(ctx.owner, p.SessionId, "delete", { immediate: true }), none<unknown>())),
    on(WireSession.CallMcpTool, callTool),
    onWire(WireSession.ListMcpTools, () => Effect.succeed({ data: toolListText })),
    on(
      WireSession.SetLabel,
      (p, ctx) => Effect.as(sessions.setLabels(ctx.owner, p.SessionId, p.Labels), none<unknown>())
    ),
    on(WireSession.GetLabel, (p, ctx) =>
      Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({ data: { Labels: row.labels } }))),
    on(WireSession.GetLink, (p, ctx) =>
      Effect.map(sessions.getLive(ctx.owner, p.SessionId, "getLink"), (row) => ({
        data: { Url: `${urls(ctx.host, row.id).link}${p.Port === undefined ? "" : `/port/${p.Port}`}` }
      }))),
    on(WireSession.GetMcpResource, (p, ctx) =>
      Effect.map(sessions.getLive(ctx.owner, p.SessionId, "info"), (row) => ({
        data: {
          SessionId: row.id,
          ResourceUrl: urls(ctx.host, row.id).resource,
          DesktopInfo: {
            AppId: `ai-${row.id}`,
            AuthCode: hex(8),
            ConnectionProperties: "",
            ResourceId: `res-${row.id}`,
            ResourceType: "",
            Ticket: ""
          }
        }
      }))),
    // Contexts are not implemented yet: SyncContext accepts the request and does
    // nothing, GetContextInfo reports what `ContextTasks` holds (nothing, unless
    // a test staged tasks), which every client reads as "sync finished" when
    // empty. This keeps delete-with-sync working.
    on(WireContext.SyncContext, (p, ctx) =>
      Effect.as(sessions.getLive(ctx.owner, p.SessionId, "syncContext"), none<unknown>())),
    on(WireContext.GetContextInfo, (p, ctx) =>
      Effect.gen(function*() {
        yield* sessions.get(ctx.owner, p.SessionId)
        const tasks = (yield* contextTasks.tasks(p.SessionId)).filter((t) =>
          (p.ContextId === undefined || t.contextId === p.ContextId) && (p.Path === undefined || t.path === p.Path)
        )
        return { data: { ContextStatus: WireContext.encodeTasks(tasks) } }
      }))
  ])

  const handle = (fields: Wire.Form, request: RequestInfo): Effect.Effect<Reply> => {
    const action = fields.Action ?? ""
    // Plain `suspend`, no generator: 7-9 % more handled GetSession per second in process.
    const run = Effect.suspend((): Effect.Effect<Reply, Failure> => {
      const owner = auth.authenticate(fields.Authorization)
      if (Option.isNone(owner)) return new AuthError({ action, code: Wire.Code.InvalidApiKey, status: 401 })
      if (action === "") return Effect.succeed(failure(400, Wire.Code.InvalidParameter, "Action: is missing"))
      const handler = handlers.get(action)
      if (handler === undefined) {
        return Effect.succeed(failure(404, Wire.Code.ActionNotFound, `Action ${action} is not supported by this backend`))
      }
      return handler(fields, { owner: owner.value, host: request.host })
    })
    return run.pipe(
      Effect.catchAll((e) =>
        e._tag === "SandboxError"
          ? Effect.as(
            Effect.logError(`agentbay backend: ${action}: sandbox ${e.operation} failed: ${e.reason}`),
            toReply(e)
          )
          : Effect.succeed(toReply(e))
      ),
      Effect.catchAllCause((cause) =>
        Effect.as(
          Effect.logError(`agentbay backend: ${action} failed with a defect`, Cause.squash(cause)),
          failure(500, Wire.Code.InternalError, "Internal error")
        )
      ),
      // No stack trace: capturing one per request was 1.5 % of the local
      // server's CPU under 16 GetSession callers (BENCHMARKS.md §3a).
      Effect.withSpan("BackendRuntime.handle", { attributes: { "agentbay.action": action }, captureStackTrace: false })
    )
  }

  return BackendRuntime.of({ handle })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BackendRuntime, never, BackendSessions | BackendAuth | BackendSandbox> = Layer.effect(BackendRuntime, make)
