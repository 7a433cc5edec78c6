/**
 * What each wire action does, without HTTP, written once for the local runtime
 * and the fake: the server (or the fake's in-memory transport) hands over the
 * merged query and form fields, this module checks the key (`BackendAuth`),
 * decodes the fields with the same per-action schemas the client encodes with
 * (`WireSession`, `WireContext`, `WireVolume`, `WireNetwork`), runs the action
 * (sessions here; `BackendContexts`, `BackendVolumes`, `BackendNetworks` for
 * the rest), encodes `Data` with the same descriptor (or, for `Data` built from
 * stored rows, builds it in its wire form directly) and answers
 * `[httpStatus, envelope]`. It never fails: every domain failure becomes an
 * error envelope, a defect a generic 500 (logged). Codes and statuses are the
 * spec's Local choices (wire-protocol.md §2.3).
 *
 * It also redeems the tokens of pre-signed context-file URLs (`upload`,
 * `download`, for the `/context-files/<token>` route) and runs the recycle
 * sweep of synced data on the `Clock` for the life of its layer.
 *
 * @since 0.1.0
 */
import { AuthError } from "@effect-agentbay/core/AgentBayError"
import * as Wire from "@effect-agentbay/core/Wire"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import { BackendAuth } from "./BackendAuth.js"
import * as BackendContexts from "./BackendContexts.js"
import * as BackendMetrics from "./BackendMetrics.js"
import * as BackendNetworks from "./BackendNetworks.js"
import type { BackendSandbox, FileError } from "./BackendSandbox.js"
import type { BackendSessions } from "./BackendSessions.js"
import * as BackendSync from "./BackendSync.js"
import type { BackendVault } from "./BackendVault.js"
import * as BackendVolumes from "./BackendVolumes.js"
import * as Internal from "./internal/backendRuntime.js"
import * as SessionHandlers from "./internal/sessionHandlers.js"

/**
 * What the runtime needs to know about the HTTP request besides its fields.
 *
 * @since 0.1.0
 * @category models
 */
export interface RequestInfo {
  /** `host[:port]` the client used, for the URLs handed out (ResourceUrl, GetLink, file URLs). */
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

/**
 * @since 0.1.0
 * @category utils
 */
export const makeRequestId: () => string = Internal.makeRequestId

/**
 * An error envelope; `HttpStatusCode` equals the HTTP status.
 *
 * @since 0.1.0
 * @category constructors
 */
export const failure: (status: number, code: string, message: string) => Reply = Internal.failure

/**
 * A success envelope, with `Data` and the top-level paging fields when given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const success: (
  extra?: Pick<Wire.Envelope, "Data" | "NextToken" | "MaxResults" | "TotalCount" | "Count">
) => Reply = Internal.success

/**
 * The answer to a missing or rejected key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unauthorized: () => Reply = Internal.unauthorized

/**
 * The deepest nesting of arrays and objects a JSON-text field (`Labels`,
 * `ExtraConfigs`, `PersistenceDataList`, `SdkStats`, `Args`, ...) may have;
 * deeper text is refused before it is decoded.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxJsonDepth: number = Internal.maxJsonDepth

/**
 * The context-sync tasks a test stages for a session (`Backend.setContextTasks`
 * in the fake): reported after the backend's own. Same tag as
 * `BackendContexts.ContextTasks`.
 *
 * @since 0.1.0
 * @category tags
 */
export const ContextTasks = BackendContexts.ContextTasks

/**
 * The code of the 403 answer to a refused file-URL token.
 *
 * @since 0.1.0
 * @category constants
 */
export const accessDenied = "AccessDenied"

/**
 * How a `/context-files/<token>` request is answered: an envelope (refusals
 * and errors), 200 with an empty body (`Stored`), or 200 with the file's bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type FileReply =
  | { readonly _tag: "Reply"; readonly reply: Reply }
  | { readonly _tag: "Stored" }
  | { readonly _tag: "File"; readonly size: number; readonly stream: Stream.Stream<Uint8Array, FileError> }

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendRuntime
  extends Context.Tag("@effect-agentbay/backend/BackendRuntime")<BackendRuntime, BackendRuntime.Service>()
{}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendRuntime {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Answers one request from its merged fields. Never fails. */
    readonly handle: (fields: Wire.Form, request: RequestInfo) => Effect.Effect<Reply>
    /**
     * A `PUT` to an upload URL: streams `body` into the context file (at most
     * `maxBytes`: past it 413 and nothing stored). An unknown, forged, expired,
     * spent or revoked token is 403 and nothing is read or stored. Fails only
     * with the body's own error.
     */
    readonly upload: <E>(
      token: string,
      body: Stream.Stream<Uint8Array, E>,
      options: { readonly contentLength?: number | undefined; readonly maxBytes: number }
    ) => Effect.Effect<FileReply, E>
    /** A `GET` of a download URL: the file's bytes, or 403 as for `upload`. */
    readonly download: (token: string) => Effect.Effect<FileReply>
  }
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options extends BackendContexts.Options {
  /** How often the recycle sweep runs (once at start, then at this spacing). Default 10 minutes. */
  readonly recycleInterval?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultRecycleInterval: Duration.Duration = Duration.minutes(10)

/**
 * The default cap on an upload through a file URL: 1 GiB.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultMaxUploadSize = 1024 * 1024 * 1024

const denied = (): FileReply => ({
  _tag: "Reply",
  reply: Internal.failure(403, accessDenied, "The URL is invalid, expired or already used")
})

// A stored-file failure behind a file URL: logged (reason only, never the token), answered 500.
const fileFailure = (e: FileError): Effect.Effect<FileReply> =>
  Effect.as(
    Effect.logError(`agentbay backend: a context file could not be read or written: ${e.reason}`),
    { _tag: "Reply", reply: Internal.toReply(e) } as const
  )

const toFileReply = (outcome: BackendContexts.FileOutcome): FileReply => {
  switch (outcome._tag) {
    case "Denied":
      return denied()
    case "TooLarge":
      return { _tag: "Reply", reply: Internal.failure(413, Wire.Code.RequestTooLarge, "The file is too large") }
    case "Stored":
      return { _tag: "Stored" }
    case "File":
      return outcome
  }
}

type Requirements = BackendSessions | BackendAuth | BackendSandbox | BackendVault

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (options: Options = {}): Effect.Effect<BackendRuntime.Service, never, Requirements> =>
  Effect.gen(function*() {
    const auth = yield* BackendAuth
    const contexts = yield* BackendContexts.make(options)
    const handlers = new Map<string, Internal.Handler>([
      ...yield* SessionHandlers.handlers,
      ...contexts.handlers,
      ...yield* BackendVolumes.handlers,
      ...yield* BackendNetworks.handlers
    ])

    const handle = (fields: Wire.Form, request: RequestInfo): Effect.Effect<Reply> => {
      const action = fields.Action ?? ""
      // Plain `suspend`, no generator: 7-9 % more handled GetSession per second in process.
      const run = Effect.suspend((): Effect.Effect<Reply, Internal.Failure> => {
        const owner = auth.authenticate(fields.Authorization)
        if (Option.isNone(owner)) return new AuthError({ action, code: Wire.Code.InvalidApiKey, status: 401 })
        if (action === "") {
          return Effect.succeed(Internal.failure(400, Wire.Code.InvalidParameter, "Action: is missing"))
        }
        const handler = handlers.get(action)
        if (handler === undefined) {
          return Effect.succeed(
            Internal.failure(404, Wire.Code.ActionNotFound, `Action ${action} is not supported by this backend`)
          )
        }
        return handler(fields, { owner: owner.value, host: request.host })
      })
      return run.pipe(
        Effect.catchAll((e) =>
          e._tag === "SandboxError"
            ? Effect.as(
              Effect.logError(`agentbay backend: ${action}: sandbox ${e.operation} failed: ${e.reason}`),
              Internal.toReply(e)
            )
            : e._tag === "FileError"
            ? Effect.as(Effect.logError(`agentbay backend: ${action}: stored files: ${e.reason}`), Internal.toReply(e))
            : Effect.succeed(Internal.toReply(e))
        ),
        Effect.catchAllCause((cause) =>
          Effect.as(
            Effect.logError(`agentbay backend: ${action} failed with a defect`, Cause.squash(cause)),
            Internal.failure(500, Wire.Code.InternalError, "Internal error")
          )
        ),
        // BackendMetrics: requests by action (declared ones only) and HTTP status, and their duration.
        (answer) => BackendMetrics.observe(handlers.has(action) ? action : BackendMetrics.unknownAction, answer),
        // No stack trace: capturing one per request was 1.5 % of the local
        // server's CPU under 16 GetSession callers (BENCHMARKS.md §3a).
        Effect.withSpan("BackendRuntime.handle", {
          attributes: { "agentbay.action": action },
          captureStackTrace: false
        })
      )
    }

    const upload = <E>(
      token: string,
      body: Stream.Stream<Uint8Array, E>,
      options: { readonly contentLength?: number | undefined; readonly maxBytes: number }
    ): Effect.Effect<FileReply, E> =>
      contexts.upload(token, body, options).pipe(
        Effect.map(toFileReply),
        Effect.catchIf((e): e is FileError => (e as { _tag?: unknown })?._tag === "FileError", fileFailure),
        Effect.withSpan("BackendRuntime.upload", { captureStackTrace: false })
      )

    const download = (token: string): Effect.Effect<FileReply> =>
      contexts.download(token).pipe(
        Effect.map(toFileReply),
        Effect.catchAll(fileFailure),
        Effect.withSpan("BackendRuntime.download", { captureStackTrace: false })
      )

    return BackendRuntime.of({ handle, upload, download })
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BackendRuntime.Service, never, Requirements> = makeWith()

// The recycle sweep at once and then every `recycleInterval` on the Clock, for
// the life of the layer. A failing sweep is logged and the next one runs anyway.
const recycling = (options: Options) =>
  BackendSync.sweep.pipe(
    Effect.tap((r) =>
      r.removed === 0 ? Effect.void : Effect.logInfo(`agentbay backend: recycled ${r.removed} expired context path(s)`)
    ),
    Effect.catchAllCause((cause) => Effect.logWarning("agentbay backend: recycle sweep failed", cause)),
    Effect.repeat(Schedule.spaced(options.recycleInterval ?? defaultRecycleInterval)),
    Effect.interruptible,
    Effect.forkScoped
  )

/**
 * The runtime, and the recycle sweep for the life of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: Options = {}): Layer.Layer<BackendRuntime, never, Requirements> =>
  Layer.scoped(BackendRuntime, Effect.zipLeft(makeWith(options), recycling(options)))

/**
 * `layerWith` with the defaults.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BackendRuntime, never, Requirements> = layerWith()
