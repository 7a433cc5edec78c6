/**
 * The high-level service: sessions as Effects, waits on a `Schedule`, lists as
 * `Stream`s, sessions scoped to a `Scope`. Built on `AgentBayClient`, so a fake
 * client (the testing package) exercises all of it.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

import * as AgentBayClient from "./AgentBayClient.js"
import * as AgentBayCode from "./AgentBayCode.js"
import * as AgentBayCommand from "./AgentBayCommand.js"
import type * as AgentBayConfig from "./AgentBayConfig.js"
import * as AgentBayContext from "./AgentBayContext.js"
import type {
  CommonError,
  ContextSyncError,
  InvalidState,
  NotFound,
  ValidationError,
  WaitTimeout
} from "./AgentBayError.js"
import * as AgentBayFileSystem from "./AgentBayFileSystem.js"
import * as AgentBayMcp from "./AgentBayMcp.js"
import type { Reaped, ReapError, ReapOptions } from "./AgentBayOwnership.js"
import { layerOwnership, OwnershipDefaults } from "./AgentBayOwnership.js"
import type { WaitOptions } from "./AgentBayWaits.js"
import { WaitDefaults } from "./AgentBayWaits.js"
import * as BetaNetwork from "./BetaNetwork.js"
import * as BetaVolume from "./BetaVolume.js"
import * as Internal from "./internal/agentBay.js"
import * as Reap from "./internal/reap.js"
import type { Labels, Session, SessionRef } from "./Session.js"
import type { ListStatus } from "./SessionStatus.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBay extends Context.Tag("@effect-agentbay/core/AgentBay")<AgentBay, AgentBay.Service>() {}

/**
 * @since 0.1.0
 * @category options
 */
export interface CreateOptions extends AgentBayClient.CreateParams {
  /**
   * With `contextSync`, wait until the contexts' initial download has finished
   * (polls GetContextInfo at once, then every 1.5 s). Default true. A failed task
   * fails the create with `ContextSyncError`; either way the new session is
   * deleted before the error is returned.
   */
  readonly waitForContextSync?: boolean | undefined
  /** Bound on that wait. Default 225 s (the official SDK's 150 × 1.5 s); then `WaitTimeout`. */
  readonly contextSyncTimeout?: Duration.DurationInput | undefined
  /**
   * This session's lifetime in its expiry stamp, instead of the layer's
   * `sessionTtl`. Positive and finite; a `ValidationError` when the layer does not stamp.
   */
  readonly ttl?: Duration.DurationInput | undefined
}

/**
 * The wait defaults (`WaitOptions`, `Waits`, `cloudWaits`, `WaitDefaults`,
 * `layerWaits`), defined in `AgentBayWaits`.
 *
 * @since 0.1.0
 * @category re-exports
 */
export * from "./AgentBayWaits.js"

/**
 * The ownership defaults and stamps (`Ownership`, `OwnershipOptions`,
 * `OwnershipDefaults`, `layerOwnership`, `defaultOwnership`, `processRunId`,
 * `stampKeys`, `releaseFailedLabel`, `Stamps`, `stampsOf`, `withoutStamps`) and
 * the models of `reap` (`ReapOptions`, `Reaped`, `ReapError`), defined in `AgentBayOwnership`.
 *
 * @since 0.1.0
 * @category re-exports
 */
export * from "./AgentBayOwnership.js"

/**
 * Deletes the stamped live sessions whose expiry has passed (on the `Clock`),
 * or created before `olderThan`, among those matching `labels`, and streams
 * what it removed. A session without stamps is never reaped. The candidates
 * are listed first, then checked (`getLabels`) and deleted `concurrency` at a
 * time; a session that cannot be read or deleted is logged and left for a
 * later reap. Deleting frees the permit of a session of this service (`maxSessions`).
 *
 * Sessions a release left in place (labelled `releaseFailedLabel`: their
 * context sync failed) are reaped whatever their expiry, and only with their
 * data saved: each is deleted with `syncContext`, so a sync that fails again
 * leaves it there (logged) for a later reap; once deleted it is reported with
 * reason `releaseFailed`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reap = (options?: ReapOptions): Stream.Stream<Reaped, ReapError, AgentBay> =>
  Stream.unwrap(Effect.map(AgentBay, (bay) => Reap.reap(bay, options)))

/**
 * Options of `sessions`.
 *
 * @since 0.1.0
 * @category options
 */
export interface SessionsOptions {
  /** How many creations run at once. Default 5. The releases all run at once. */
  readonly concurrency?: number | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface DeleteOptions extends WaitOptions {
  /**
   * Upload the session's contexts first and wait for the upload (1.5 s polls,
   * bounded by `syncTimeout`, default 225 s). A failed sync fails the delete
   * with `ContextSyncError` and leaves the session in place, so that nothing is lost.
   */
  readonly syncContext?: boolean | undefined
  readonly syncTimeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface SessionOptions extends CreateOptions {
  /**
   * How the release deletes: `syncContext` and the wait (default: the layer's
   * delete wait), checked before the session is created. With `syncContext`
   * the release never loses data: if the sync fails (a failed task, a
   * timeout, an error), the session is NOT deleted but left in place,
   * labelled `releaseFailedLabel` (added to its labels), logged as a warning
   * naming it and why, and counted in `sessionsLeakedAtRelease`; its permit of
   * `maxSessions` is given back. `reap` deletes it later, after a successful sync.
   */
  readonly release?: DeleteOptions | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListOptions {
  /** AND filter: a session matches when it carries every given label. */
  readonly labels?: Labels | undefined
  readonly status?: ListStatus | undefined
  /** Page size of the underlying requests, 1..100. Default 10. */
  readonly pageSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListPageOptions {
  readonly labels?: Labels | undefined
  readonly status?: ListStatus | undefined
  /** Page number from 1 (default 1); reaching page N walks N-1 pages, as the official SDK does. */
  readonly page?: number | undefined
  /** Page size, 1..100. Default 10. */
  readonly limit?: number | undefined
  /** Resume from a cursor instead of walking pages (`page` must then be absent). */
  readonly nextToken?: string | undefined
}

/**
 * One page of sessions. `nextToken` is absent on the last page.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionPage {
  readonly sessions: ReadonlyArray<Session>
  readonly page: number
  readonly nextToken: string | undefined
  readonly maxResults: number
  readonly totalCount: number | undefined
  readonly requestId: string | undefined
}

/**
 * Errors of create. `WaitTimeout` and `ContextSyncError` only with
 * `contextSync` (the initial sync wait).
 *
 * @since 0.1.0
 * @category models
 */
export type CreateError = CommonError | ValidationError | WaitTimeout | ContextSyncError

/**
 * Errors of pause and resume.
 *
 * @since 0.1.0
 * @category models
 */
export type TransitionError = CommonError | NotFound | InvalidState | WaitTimeout | ValidationError

/**
 * Errors of delete. A session that is already gone counts as deleted, so
 * `NotFound` is not among them.
 *
 * @since 0.1.0
 * @category models
 */
export type DeleteError = CommonError | InvalidState | WaitTimeout | ValidationError | ContextSyncError

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBay {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Creates a session; returns once the server reports it usable. */
    readonly create: (options?: CreateOptions) => Effect.Effect<Session, CreateError>
    /**
     * Creates a session now and deletes it (waiting until it is gone) when the
     * caller's `Scope` closes: on success, failure and interruption. The release
     * never fails the scope; a failed delete is logged.
     */
    readonly session: (options?: SessionOptions) => Effect.Effect<Session, CreateError, Scope.Scope>
    /**
     * Many scoped sessions at once: `count` alike, or one per options entry.
     * Created `concurrency` at a time; when the caller's scope closes they are
     * all released concurrently, so closing takes about as long as the slowest
     * delete, not the sum. If one creation fails, those already created are
     * released before the error is returned.
     */
    readonly sessions: (
      sessions: number | ReadonlyArray<SessionOptions>,
      options?: SessionsOptions
    ) => Effect.Effect<ReadonlyArray<Session>, CreateError | ValidationError, Scope.Scope>
    readonly get: (session: SessionRef) => Effect.Effect<Session, CommonError | NotFound | ValidationError>
    /** Every matching session, pulling pages lazily by `NextToken`. */
    readonly list: (options?: ListOptions) => Stream.Stream<Session, CommonError | ValidationError>
    /** One page, with the official SDK's `list(labels, page, limit, status)` semantics. */
    readonly listPage: (options?: ListPageOptions) => Effect.Effect<SessionPage, CommonError | ValidationError>
    /**
     * Deletes and waits until the session is gone (not found, `FINISH` or
     * `DELETED`): first poll at once, then by the layer's delete wait (cloud:
     * every second, for at most 300 s).
     */
    readonly delete: (session: SessionRef, options?: DeleteOptions) => Effect.Effect<void, DeleteError>
    /**
     * RUNNING → PAUSED: submits, then polls at once and by the layer's
     * transition wait (cloud: every 2 s for at most 600 s). A session that is
     * not RUNNING now is `InvalidState`, nothing sent.
     */
    readonly betaPauseAsync: (session: SessionRef, options?: WaitOptions) => Effect.Effect<Session, TransitionError>
    /** PAUSED → RUNNING, with the same waiting rules as `betaPauseAsync`. */
    readonly betaResumeAsync: (session: SessionRef, options?: WaitOptions) => Effect.Effect<Session, TransitionError>
    /** Contexts, their files and sessions' syncs (`clear` waits by the layer's `contextClear`). */
    readonly context: AgentBayContext.AgentBayContext.Service
    readonly betaVolume: BetaVolume.BetaVolume.Service
    readonly betaNetwork: BetaNetwork.BetaNetwork.Service
    /** The same object as `betaNetwork` (the official client's older name). */
    readonly network: BetaNetwork.BetaNetwork.Service
  }
}

/**
 * The fields of `AgentBay.Service` that are services of their own (also
 * provided under their tags by the layers).
 *
 * @since 0.1.0
 * @category models
 */
export type ResourceServices = "context" | "betaVolume" | "betaNetwork" | "network"

/**
 * Sessions it hands out offer the tool services bound (`session.filesystem`,
 * `session.command`, `session.code`, `session.mcp`, and `session.context`'s
 * sync and info): those in the context when there are some (so a stub is
 * used), else ones built over the client. So are `context`, `betaVolume` and
 * `betaNetwork`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBay.Service, never, AgentBayClient.AgentBayClient> = Effect.gen(function*() {
  const client = yield* AgentBayClient.AgentBayClient
  const waits = yield* WaitDefaults
  const owner = { ...(yield* OwnershipDefaults), clientId: Reap.randomId() }
  const or = <I, S>(tag: Context.Tag<I, S>, build: (client: AgentBayClient.AgentBayClient.Service) => S) =>
    Effect.map(Effect.serviceOption(tag), Option.getOrElse(() => build(client)))
  const tools = {
    filesystem: yield* or(
      AgentBayFileSystem.AgentBayFileSystem,
      (c) => AgentBayFileSystem.fromClient(c, { wait: waits.contextSync })
    ),
    command: yield* or(AgentBayCommand.AgentBayCommand, AgentBayCommand.fromClient),
    code: yield* or(AgentBayCode.AgentBayCode, AgentBayCode.fromClient),
    mcp: yield* or(AgentBayMcp.AgentBayMcp, AgentBayMcp.fromClient)
  }
  const context = yield* or(AgentBayContext.AgentBayContext, (c) => AgentBayContext.fromClient(c, waits.contextClear))
  const betaNetwork = yield* or(BetaNetwork.BetaNetwork, BetaNetwork.fromClient)
  return AgentBay.of({
    ...Internal.make(client, waits, { ...tools, context: { sync: context.sync, info: context.info } }, owner),
    context,
    betaVolume: yield* or(BetaVolume.BetaVolume, BetaVolume.fromClient),
    betaNetwork,
    network: betaNetwork
  })
})

const toolServices = Layer.mergeAll(
  // File transfers wait for their sync task by the layer's context-sync wait.
  Layer.effect(
    AgentBayFileSystem.AgentBayFileSystem,
    Effect.zipWith(
      AgentBayClient.AgentBayClient,
      WaitDefaults,
      (client, waits) => AgentBayFileSystem.fromClient(client, { wait: waits.contextSync })
    )
  ),
  AgentBayCommand.layer,
  AgentBayCode.layer,
  AgentBayMcp.layer
)

/**
 * Every service of the SDK (`AgentBay`, `AgentBayContext`, `BetaNetwork`,
 * `BetaVolume`, and the tool services `AgentBayFileSystem`, `AgentBayCommand`,
 * `AgentBayCode`, `AgentBayMcp`, which the sessions of `AgentBay` use) over an
 * `AgentBayClient`: the real one, or the fake from `@effect-agentbay/testing`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutClient: Layer.Layer<
  Exclude<Services, AgentBayClient.AgentBayClient>,
  never,
  AgentBayClient.AgentBayClient
> = Layer.effectContext(
  // One build: the tags hold the very objects `bay.context`, ... are.
  Effect.map(make, (bay) =>
    Context.make(AgentBay, bay).pipe(
      Context.add(AgentBayContext.AgentBayContext, bay.context),
      Context.add(BetaNetwork.BetaNetwork, bay.betaNetwork),
      Context.add(BetaVolume.BetaVolume, bay.betaVolume)
    ))
).pipe(Layer.provideMerge(toolServices))

/**
 * What the SDK's layers provide.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | AgentBay
  | AgentBayClient.AgentBayClient
  | AgentBayContext.AgentBayContext
  | AgentBayFileSystem.AgentBayFileSystem
  | AgentBayCommand.AgentBayCommand
  | AgentBayCode.AgentBayCode
  | AgentBayMcp.AgentBayMcp
  | BetaNetwork.BetaNetwork
  | BetaVolume.BetaVolume

/**
 * The SDK against a real endpoint. Needs an `HttpClient`. The ownership
 * fields of `options` (`stamp`, `sessionTtl`, `runId`, `maxSessions`) apply
 * over the `OwnershipDefaults` in effect.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AgentBayConfig.Options
): Layer.Layer<Services, ValidationError, HttpClient.HttpClient> =>
  layerWithoutClient.pipe(
    Layer.provide(layerOwnership(options)),
    Layer.provideMerge(AgentBayClient.layer(options))
  )

/**
 * Each field may be a plain value or a `Config`, e.g.
 * `AgentBay.layerConfig({ apiKey: Config.redacted("MY_KEY") })`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  config: Config.Config.Wrap<AgentBayConfig.Options>
): Layer.Layer<Services, ValidationError | ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
