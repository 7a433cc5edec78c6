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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
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
 * How a wait polls: first poll at once, then every `interval` (or as `schedule`
 * says: give one or the other), until `timeout`. Each field left out takes the
 * layer's default (`WaitDefaults`).
 *
 * @since 0.1.0
 * @category options
 */
export interface WaitOptions {
  readonly interval?: Duration.DurationInput | undefined
  /** The spacing of the polls after the first, e.g. `Schedule.exponential("100 millis")`. */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The default of each wait, carried by the layer that builds the service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Waits {
  /** betaPauseAsync / betaResumeAsync. */
  readonly transition: WaitOptions
  /** delete, and the release of a scoped session. */
  readonly delete: WaitOptions
  /** The context-sync waits of create and of delete with `syncContext`. */
  readonly contextSync: WaitOptions
  /** `bay.context.clear`'s wait until the context is available again. Default: the cloud's (2 s, 60 s). */
  readonly contextClear?: WaitOptions | undefined
}

/**
 * The cloud's waits, as the official SDK polls (spec: semantics.md §1.7):
 * pause/resume every 2 s for up to 600 s, delete every 1 s for up to 300 s,
 * context sync every 1.5 s for up to 225 s, context clear every 2 s for up to 60 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudWaits: Waits & { readonly contextClear: WaitOptions } = {
  transition: { interval: Duration.seconds(2), timeout: Duration.seconds(600) },
  delete: { interval: Duration.seconds(1), timeout: Duration.seconds(300) },
  contextSync: { interval: Duration.millis(1500), timeout: Duration.seconds(225) },
  contextClear: AgentBayContext.cloudClearWait
}

/**
 * The wait defaults the `AgentBay` service is built with: `cloudWaits` unless a
 * layer provides others (`layerWaits`; the local runtime's layer does, with
 * waits that match its transition times).
 *
 * @since 0.1.0
 * @category tags
 */
export class WaitDefaults extends Context.Reference<WaitDefaults>()("@effect-agentbay/core/AgentBay/WaitDefaults", {
  defaultValue: (): Waits => cloudWaits
}) {}

/**
 * Wait defaults for the services built under this layer: each field given
 * replaces that of `cloudWaits`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWaits = (waits: Partial<Waits>): Layer.Layer<WaitDefaults> =>
  Layer.succeed(WaitDefaults, { ...cloudWaits, ...waits })

/**
 * How the service marks and caps the sessions it creates. Unless `stamp` is
 * false, each create adds five labels under the reserved prefix
 * `agentbay.sdk/` (see `stampKeys`): `managed-by` (`effect-agentbay`),
 * `client` (random, one per build of the service's layer), `run`, and
 * `created` / `expires` as ISO 8601 UTC instants (expires = created + ttl).
 * They count toward the service's label limit (64), leaving 59 to the caller.
 *
 * @since 0.1.0
 * @category models
 */
export interface Ownership {
  readonly stamp: boolean
  /** The lifetime in the expiry stamp when `create` gives no `ttl`. */
  readonly sessionTtl: Duration.Duration
  readonly runId: string
  /** Cap on the live sessions created through one service; `undefined`: none. */
  readonly maxSessions: number | undefined
}

/**
 * The settings of `Ownership` a layer may give (`AgentBay.layer` takes them too).
 *
 * @since 0.1.0
 * @category options
 */
export type OwnershipOptions = Pick<AgentBayConfig.Options, "stamp" | "sessionTtl" | "runId" | "maxSessions">

/**
 * The run id of this process: random, drawn when the module loads. Stamped
 * as `agentbay.sdk/run` unless a layer gives `runId`.
 *
 * @since 0.1.0
 * @category constants
 */
export const processRunId: string = Reap.processRunId

/**
 * Stamp, with a 1 hour lifetime, the run id `processRunId`, no cap.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOwnership: Ownership = {
  stamp: true,
  sessionTtl: Duration.hours(1),
  runId: processRunId,
  maxSessions: undefined
}

/**
 * The `Ownership` the `AgentBay` service is built with: `defaultOwnership`
 * unless a layer provides another (`layerOwnership`, or the fields of `AgentBay.layer`).
 *
 * @since 0.1.0
 * @category tags
 */
export class OwnershipDefaults extends Context.Reference<OwnershipDefaults>()(
  "@effect-agentbay/core/AgentBay/OwnershipDefaults",
  { defaultValue: (): Ownership => defaultOwnership }
) {}

/**
 * Ownership for the services built under this layer: each field given
 * replaces that of the ownership in effect, e.g.
 * `AgentBayTest.layer().pipe(Layer.provide(AgentBay.layerOwnership({ maxSessions: 2 })))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOwnership = (options: OwnershipOptions): Layer.Layer<OwnershipDefaults, ValidationError> =>
  Layer.effect(
    OwnershipDefaults,
    Effect.flatMap(OwnershipDefaults, (current) => Reap.resolveOwnership("AgentBay.layerOwnership", current, options))
  )

/**
 * The label keys of the owner stamps; every key with the prefix `reserved` is
 * the SDK's, and a `create` label using it is a `ValidationError`.
 *
 * @since 0.1.0
 * @category constants
 */
export const stampKeys: typeof Reap.keys & { readonly reserved: string } = { ...Reap.keys, reserved: Reap.prefix }

/**
 * The label a scoped session's release puts on a session it left in place
 * because its context sync failed (`key` = `value`; see `SessionOptions.release`).
 * `reap` deletes such sessions once a sync succeeds.
 *
 * @since 0.1.0
 * @category constants
 */
export const releaseFailedLabel: { readonly key: string; readonly value: string } = {
  key: Reap.releaseFailed.key,
  value: Reap.releaseFailed.contextSync
}

/**
 * What a session's stamps say; times in epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stamps {
  readonly client: string
  readonly run: string
  readonly createdAt: number
  readonly expiresAt: number
}

/**
 * Reads the stamps from a session's labels (`session.getLabels()`): none
 * unless all of them are there and well formed.
 *
 * @since 0.1.0
 * @category utils
 */
export const stampsOf: (labels: Readonly<Record<string, string>>) => Option.Option<Stamps> = Reap.stampsOf

/**
 * The labels without the SDK's (`agentbay.sdk/*`): what the caller gave.
 *
 * @since 0.1.0
 * @category utils
 */
export const withoutStamps = (labels: Readonly<Record<string, string>>): Labels =>
  Object.fromEntries(Object.entries(labels).filter(([key]) => !key.toLowerCase().startsWith(Reap.prefix)))

/**
 * @since 0.1.0
 * @category options
 */
export interface ReapOptions {
  /** Also reap sessions created longer ago than this, whatever their expiry. */
  readonly olderThan?: Duration.DurationInput | undefined
  /**
   * Only sessions carrying these labels, e.g. `{ [stampKeys.run]: processRunId }`.
   * Default: the stamped sessions of every client (of this API key).
   */
  readonly labels?: Labels | undefined
  /** How many sessions are checked and deleted at once. Default 5. */
  readonly concurrency?: number | undefined
}

/**
 * A session `reap` deleted, and why: its expiry had passed, it was created
 * before the `olderThan` cutoff, or a release had left it in place
 * (`releaseFailed`, with what failed in `releaseFailure`, e.g. `context-sync`)
 * and its context sync has now succeeded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reaped {
  readonly id: string
  readonly reason: "expired" | "olderThan" | "releaseFailed"
  readonly stamps: Stamps
  /** With `releaseFailed`: the value of its `releaseFailedLabel`. */
  readonly releaseFailure?: string | undefined
}

/**
 * Errors of `reap`: those of listing the candidates.
 *
 * @since 0.1.0
 * @category models
 */
export type ReapError = CommonError | ValidationError

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
