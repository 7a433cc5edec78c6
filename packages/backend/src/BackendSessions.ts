/**
 * Sessions behind the wire: create, read (settling due transitions on read),
 * list, pause/resume/delete, labels, and the start-up reconciliation, for the
 * local runtime and the fake alike. Every lifecycle rule comes from core's
 * `Lifecycle`; the state lives in a `BackendStore`; each session is a
 * `BackendSandbox`, frozen, thawed or killed
 * when a transition is accepted (the intermediate status then lasts
 * `transitionDelay`, or `deleteDelay` for a delete, on the `Clock`). With
 * `sessionTtl` or `retention`, a sweep on the `Clock` deletes sessions past
 * their lifetime and purges the records of gone sessions past retention.
 * Sessions sync contexts (`PersistenceDataList`: downloads after create,
 * uploads before a release, SyncContext), mount a volume and attach to a
 * network, all kept in a `BackendVault`.
 *
 * @since 0.1.0
 */
import { InvalidState, type NotFound, type ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import { SessionStatus } from "@effect-agentbay/core/Session"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { BackendActivity } from "./BackendActivity.js"
import { BackendSandbox, type SandboxError } from "./BackendSandbox.js"
import * as BackendStore from "./BackendStore.js"
import * as BackendSync from "./BackendSync.js"
import { BackendVault } from "./BackendVault.js"
import * as Internal from "./internal/backendSessions.js"
import * as Persistence from "./internal/sessionPersistence.js"
import * as SessionState from "./internal/sessionState.js"
import * as SessionTransition from "./internal/sessionTransition.js"
import * as KeyedLock from "./KeyedLock.js"

/**
 * Statuses of sessions that no longer exist (left out of unfiltered lists).
 *
 * @since 0.1.0
 * @category constants
 */
export const goneStatuses: ReadonlyArray<SessionStatus> = SessionStatus.literals.filter(Lifecycle.isGone)

/**
 * The image of a session created without `ImageId`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultImageId = "linux_latest"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** How long PAUSING and RESUMING last. Default 300 ms; 0 settles at once. */
  readonly transitionDelay?: Duration.DurationInput | undefined
  /**
   * How long DELETING lasts. Default 0: the sandbox is killed and removed before
   * DeleteSessionAsync answers, so the session is gone at once (GetSessionDetail
   * answers FINISH on the first poll). Give a delay to exercise a client's wait.
   */
  readonly deleteDelay?: Duration.DurationInput | undefined
  /** Session ids are `<idPrefix>-<24 hex digits>`. Default `local`. */
  readonly idPrefix?: string | undefined
  /**
   * How long a session may live: the sweep deletes older ones as
   * DeleteSessionAsync does (sandbox destroyed). Default (or `Duration.infinity`):
   * a session lives until deleted.
   */
  readonly sessionTtl?: Duration.DurationInput | undefined
  /**
   * How long the records of deleted sessions stay (GetSession finds them as
   * DELETED); the sweep purges older ones. Default (or `Duration.infinity`):
   * kept forever. The local runtime's layers default to `defaultRetention`.
   */
  readonly retention?: Duration.DurationInput | undefined
  /** How often the sweep runs (once at start, then at this spacing). Default 1 minute. */
  readonly sweepInterval?: Duration.DurationInput | undefined
  /** At most this many sessions are deleted by one sweep; the rest wait for the next. Default 50. */
  readonly sweepBatch?: number | undefined
}

/**
 * The retention the local runtime defaults to.
 *
 * @since 0.1.0
 * @category defaults
 */
export const defaultRetention: Duration.Duration = Duration.days(7)

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultTransitionDelay: Duration.Duration = Duration.millis(300)

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateInput {
  readonly owner: string
  readonly imageId?: string | undefined
  readonly labels: Readonly<Record<string, string>>
  /** The other request fields, kept as received. */
  readonly params: Readonly<Record<string, unknown>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListInput {
  readonly owner: string
  readonly labels: Readonly<Record<string, string>>
  readonly status?: SessionStatus | undefined
  readonly after: number
  readonly limit: number
}

/**
 * What the start-up reconciliation did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reconciled {
  /** Transitions caught in flight and settled. */
  readonly settled: number
  readonly started: number
  readonly paused: number
  readonly destroyed: number
  /** Sandbox operations that failed (logged). */
  readonly failed: number
}

/**
 * What one sweep did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Swept {
  /** Sessions deleted for being past `sessionTtl`. */
  readonly expired: number
  /** Records of gone sessions removed for being past `retention`. */
  readonly purged: number
  /** Deletes that failed (logged; the next sweep retries). */
  readonly failed: number
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendSessions
  extends Context.Tag("@effect-agentbay/backend/BackendSessions")<BackendSessions, BackendSessions.Service>()
{}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendSessions {
  /**
   * Ids are only visible to their owner: another owner gets `NotFound`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Checks the contexts, volume and network named (the owner's, else
     * `NotFound`), starts the sandbox (with the volume), records the session
     * as RUNNING, then runs the downloads of its autoDownload contexts.
     */
    readonly create: (
      input: CreateInput
    ) => Effect.Effect<BackendStore.SessionRow, SandboxError | NotFound | ValidationError>
    /** The session as of now (a due transition is settled first). Deleted sessions are still found. */
    readonly get: (owner: string, id: string) => Effect.Effect<BackendStore.SessionRow, NotFound>
    /** Like `get`, but a gone session is `InvalidState` for `operation`. */
    readonly getLive: (
      owner: string,
      id: string,
      operation: string
    ) => Effect.Effect<BackendStore.SessionRow, NotFound | InvalidState>
    readonly list: (input: ListInput) => Effect.Effect<BackendStore.SessionPage>
    /**
     * Accepts, no-ops or rejects per `Lifecycle.decide`. `immediate` skips the
     * intermediate status (ReleaseMcpSession). An accepted delete first uploads
     * the session's autoUpload contexts: if one fails, the session is kept
     * (`ContextSyncFailed`).
     */
    readonly transition: (
      owner: string,
      id: string,
      operation: Lifecycle.Operation,
      options?: { readonly immediate?: boolean | undefined }
    ) => Effect.Effect<"start" | "noop", NotFound | InvalidState | SandboxError | BackendSync.ContextSyncFailed>
    /** SyncContext of a RUNNING session: runs the syncs (recorded as tasks) before it returns. */
    readonly syncContexts: (
      owner: string,
      id: string,
      target: BackendSync.SyncTarget
    ) => Effect.Effect<void, NotFound | InvalidState | ValidationError>
    /** The contexts, volumes and networks the owner's live sessions use. */
    readonly usage: (owner: string) => Effect.Effect<BackendSync.Usage>
    /** Replaces the labels of a live session. */
    readonly setLabels: (
      owner: string,
      id: string,
      labels: Readonly<Record<string, string>>
    ) => Effect.Effect<void, NotFound | InvalidState>
    /** Settles in-flight transitions at once and restarts, re-pauses or destroys sandboxes. */
    readonly reconcile: Effect.Effect<Reconciled>
    /**
     * One sweep now: deletes up to `sweepBatch` sessions past `sessionTtl` and
     * purges gone records past `retention` (each only when configured). The
     * layer runs it on the `Clock`; each delete takes its session's transition
     * lock alone, so requests interleave with a sweep.
     */
    readonly sweep: Effect.Effect<Swept>
    /** Changes how long transitions started from now on take (the fake's `setTransitionDelay`). */
    readonly setDelays: (delays: {
      readonly transition?: Duration.DurationInput | undefined
      readonly delete?: Duration.DurationInput | undefined
    }) => Effect.Effect<void>
  }
}

/**
 * The lifecycle state held by a row.
 *
 * @since 0.1.0
 * @category utils
 */
export const stateOf: (row: BackendStore.SessionRow) => Lifecycle.State = SessionState.stateOf

// Web Crypto (a global in Node 20 and browsers): the backend imports no Node module.
const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * @since 0.1.0
 * @category constructors
 */
// Long for a reason: the requests share the delays (`setDelays`), the per-session lock and the state closures.
export const make = (
  options: Options = {}
): Effect.Effect<BackendSessions.Service, never, BackendStore.BackendStore | BackendSandbox | BackendVault> =>
  Effect.gen(function*() {
    const store = yield* BackendStore.BackendStore
    const sandbox = yield* BackendSandbox
    const vault = yield* BackendVault
    const activity = yield* Effect.serviceOption(BackendActivity)
    const persistence = Persistence.make({
      store,
      sandbox,
      vault,
      engine: yield* BackendSync.make(),
      gone: goneStatuses
    })
    const millis = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))
    let delay = millis(options.transitionDelay ?? defaultTransitionDelay)
    let deleteDelay = millis(options.deleteDelay ?? 0)
    const setDelays = (delays: {
      readonly transition?: Duration.DurationInput | undefined
      readonly delete?: Duration.DurationInput | undefined
    }) =>
      Effect.sync(() => {
        if (delays.transition !== undefined) delay = millis(delays.transition)
        if (delays.delete !== undefined) deleteDelay = millis(delays.delete)
      })
    const idPrefix = options.idPrefix ?? "local"
    // Transitions of an existing session are read-decide-write, then its sandbox effect: one at a time per
    // session, so no second transition of that session reads the state before the first has written it and
    // its sandbox has been paused, resumed or destroyed. Different sessions' transitions run side by side.
    const locked = KeyedLock.make()

    const state = SessionState.make(store, activity)
    const { get, getLive, settleDue } = state

    const create = (input: CreateInput) =>
      Effect.gen(function*() {
        yield* persistence.prepare(input.owner, input.params)
        const id = `${idPrefix}-${hex(12)}`
        yield* sandbox.start(id, Persistence.startOptions(input.params)).pipe(
          Effect.onInterrupt(() => sandbox.destroy(id))
        )
        const now = yield* Clock.currentTimeMillis
        yield* store.insertSession({
          id,
          owner: input.owner,
          state: { status: "RUNNING" },
          labels: input.labels,
          imageId: input.imageId || defaultImageId,
          token: hex(12),
          params: input.params,
          createdAt: now
        }).pipe(Effect.onError(() => sandbox.destroy(id)))
        if (Option.isSome(activity)) yield* activity.value.status(id, "RUNNING", now)
        // Under the session's lock: a delete that comes meanwhile waits, so it
        // never uploads a half-downloaded tree over the stored one.
        const row = yield* Effect.orDie(get(input.owner, id))
        yield* locked(id)(persistence.download(row))
        return row
      }).pipe(Effect.uninterruptible, Effect.withSpan("BackendSessions.create"))

    const transitionOnce = SessionTransition.transitionOnce({ sandbox, persistence, state })

    const transition = (
      owner: string,
      id: string,
      operation: Lifecycle.Operation,
      options?: { readonly immediate?: boolean | undefined }
    ) =>
      locked(id)(
        transitionOnce(
          owner,
          id,
          operation,
          options?.immediate ? 0 : operation === "delete" ? deleteDelay : delay,
          SessionState.attempts
        )
      ).pipe(
        Effect.uninterruptible,
        Effect.withSpan("BackendSessions.transition", {
          attributes: { "agentbay.session_id": id, "agentbay.operation": operation }
        })
      )

    const setLabels = (owner: string, id: string, labels: Readonly<Record<string, string>>) =>
      locked(id)(
        Effect.gen(function*() {
          yield* getLive(owner, id, "setLabels")
          yield* store.setLabels(id, labels, yield* Clock.currentTimeMillis)
        })
      )

    const list = (input: ListInput) =>
      Effect.zipRight(
        settleDue,
        store.listSessions({
          owner: input.owner,
          labels: input.labels,
          status: input.status,
          exclude: goneStatuses,
          after: input.after,
          limit: input.limit
        })
      )

    const reconcile = Internal.reconcile(store, sandbox, goneStatuses)
    const sweep = Internal.sweep(store, vault, transition, options)

    const syncContexts = (owner: string, id: string, target: BackendSync.SyncTarget) =>
      locked(id)(
        Effect.gen(function*() {
          const row = yield* get(owner, id)
          if (row.status !== "RUNNING") {
            return yield* new InvalidState({ resource: "Session", id, operation: "syncContext", status: row.status })
          }
          yield* persistence.sync(row, target)
        })
      ).pipe(Effect.withSpan("BackendSessions.syncContexts", { attributes: { "agentbay.session_id": id } }))

    return BackendSessions.of({
      create,
      get,
      getLive,
      list,
      transition,
      setLabels,
      reconcile,
      sweep,
      setDelays,
      syncContexts,
      usage: persistence.usage
    })
  })

/**
 * Builds the service and reconciles the stored sessions with their sandboxes
 * before serving; with `sessionTtl` or `retention`, sweeps for the life of the layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<BackendSessions, never, BackendStore.BackendStore | BackendSandbox | BackendVault> =>
  Layer.scoped(
    BackendSessions,
    Effect.tap(make(options), (sessions) =>
      Effect.flatMap(sessions.reconcile, (r) =>
        r.settled + r.started + r.destroyed + r.failed === 0
          ? Effect.void
          : Effect.logInfo(
            `agentbay backend: restored ${r.started} session(s) (${r.paused} paused), settled ${r.settled}, ` +
              `destroyed ${r.destroyed}, ${r.failed} failed`
          )).pipe(
          Effect.zipRight(
            Internal.finiteMillis(options.sessionTtl) === undefined &&
              Internal.finiteMillis(options.retention) === undefined
              ? Effect.void
              : Internal.sweeping(sessions, options)
          )
        ))
  )
