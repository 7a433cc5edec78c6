/**
 * Persistent contexts (named `AgentBayContext`, not `Context`, which is Effect's).
 * This release covers the session side of contexts, which `delete` and scoped
 * release use: starting a sync and reading sync task status. Context CRUD and
 * context files (GetContext, ListContexts, ...) are not in this release.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AgentBayClient from "./AgentBayClient.js"
import { type CommonError, type NotFound, ValidationError } from "./AgentBayError.js"
import { idOf, type SessionRef } from "./Session.js"
import type { ContextTask } from "./WireContext.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayContext extends Context.Tag("@effect-agentbay/core/AgentBayContext")<
  AgentBayContext,
  AgentBayContext.Service
>() {}

/**
 * @since 0.1.0
 * @category options
 */
export interface SyncOptions {
  /** Both or neither of `contextId` and `path`; neither means every context of the session. */
  readonly contextId?: string | undefined
  readonly path?: string | undefined
  readonly mode?: "upload" | "download" | undefined
}

/**
 * @since 0.1.0
 */
export declare namespace AgentBayContext {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Starts a sync (SyncContext); does not wait. */
    readonly sync: (
      session: SessionRef,
      options?: SyncOptions
    ) => Effect.Effect<void, CommonError | NotFound | ValidationError>
    /** Sync task status of a session (GetContextInfo). */
    readonly info: (
      session: SessionRef,
      options?: Omit<SyncOptions, "mode">
    ) => Effect.Effect<ReadonlyArray<ContextTask>, CommonError | NotFound | ValidationError>
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.map(AgentBayClient.AgentBayClient, (client): AgentBayContext.Service => {
  const check = (options: SyncOptions | undefined) =>
    (options?.contextId === undefined) === (options?.path === undefined)
      ? Effect.void
      : Effect.fail(
        new ValidationError({ operation: "AgentBayContext.sync", field: "contextId", reason: "and path go together" })
      )
  return {
    sync: (session, options) =>
      Effect.zipRight(
        check(options),
        client.syncContext({ sessionId: idOf(session), ...options })
      ).pipe(Effect.withSpan("AgentBayContext.sync")),
    info: (session, options) =>
      client.getContextInfo({ sessionId: idOf(session), ...options }).pipe(Effect.withSpan("AgentBayContext.info"))
  }
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = Layer.effect(AgentBayContext, make)
