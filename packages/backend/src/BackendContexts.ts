/**
 * The context actions behind the wire (`WireContext`, spec: wire-protocol.md
 * §6.2, semantics.md §4): contexts (GetContext, ListContexts, ModifyContext,
 * DeleteContext, ClearContext), their files (pre-signed URLs, DeleteContextFile,
 * DescribeContextFiles), a session's syncs (SyncContext, GetContextInfo) and its
 * file-transfer context (GetAndLoadInternalContext), over a `BackendVault`.
 * The runtime merges these handlers with the others; the `/context-files/`
 * route redeems the URLs' tokens with `upload` and `download`.
 *
 * A context's `State` is `in-use` while a live session syncs it (it cannot be
 * deleted or cleared then), `clearing` while ClearContext wipes it, else
 * `available`. Times are ISO-8601 text, to the second.
 *
 * @since 0.1.0
 */
import type * as WireContext from "@effect-agentbay/core/WireContext"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { BackendSessions } from "./BackendSessions.js"
import { BackendVault } from "./BackendVault.js"
import * as Internal from "./internal/backendContexts.js"
import type { Entry } from "./internal/backendRuntime.js"
import * as ContextFiles from "./internal/contextFiles.js"
import * as KeyedLock from "./KeyedLock.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** How long a pre-signed file URL is valid. Default 1 hour. */
  readonly urlLifetime?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultUrlLifetime: Duration.Duration = Duration.hours(1)

/**
 * Context-sync tasks a test stages for a session (the fake's
 * `Backend.setContextTasks`): GetContextInfo reports them after the tasks the
 * backend ran itself. None by default.
 *
 * @since 0.1.0
 * @category tags
 */
export class ContextTasks
  extends Context.Reference<ContextTasks>()("@effect-agentbay/backend/BackendRuntime/ContextTasks", {
    defaultValue: () => ({
      tasks: (_sessionId: string): Effect.Effect<ReadonlyArray<WireContext.ContextTask>> => Effect.succeed([])
    })
  })
{}

/**
 * How a `/context-files/<token>` request ends: refused (`Denied`: unknown,
 * forged, expired, spent or revoked token; `TooLarge`), stored, or the file's
 * bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type FileOutcome = ContextFiles.FileOutcome

/**
 * @since 0.1.0
 * @category models
 */
export interface Contexts {
  /** The context actions, by name. */
  readonly handlers: ReadonlyArray<Entry>
  /** A PUT to an upload URL: streams `body` into the file (at most `maxBytes`; atomically). */
  readonly upload: ReturnType<typeof ContextFiles.make>["upload"]
  /** A GET of a download URL. */
  readonly download: ReturnType<typeof ContextFiles.make>["download"]
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Contexts, never, BackendVault | BackendSessions> =>
  Effect.gen(function*() {
    const vault = yield* BackendVault
    const deps: Internal.Deps = {
      vault,
      sessions: yield* BackendSessions,
      staged: yield* ContextTasks,
      byName: KeyedLock.make()
    }
    const files = ContextFiles.make(vault, Duration.decode(options.urlLifetime ?? defaultUrlLifetime))
    return {
      handlers: [
        ...Internal.lookups(deps),
        ...Internal.changes(deps),
        ...files.handlers,
        ...Internal.sessionActions(deps)
      ],
      upload: files.upload,
      download: files.download
    }
  })
