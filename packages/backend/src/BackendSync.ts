/**
 * The sync engine of contexts (spec: semantics.md §4.3-4.6): copies between a
 * session's files (`BackendSandbox.files`) and a context's stored files
 * (`BackendVault.files`), by the entry's sync policy, one task record per
 * (session, context, path, task type) run, as GetContextInfo reports them.
 * Files are read and written in windows of `window` bytes: a file is never
 * whole in memory. Also the recycle sweep (lifetimes from `recyclePolicy`) and
 * what the backend reads from a session's `PersistenceDataList`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { SessionFiles } from "./BackendSandbox.js"
import { BackendVault, type SyncTaskRow } from "./BackendVault.js"
import * as ContextSync from "./internal/contextSync.js"
import * as SyncPolicy from "./internal/syncPolicy.js"
import * as KeyedLock from "./KeyedLock.js"

/**
 * The effective sync policy of an entry: every field filled in with the
 * official client's defaults.
 *
 * @since 0.1.0
 * @category models
 */
export type Policy = SyncPolicy.Policy

/**
 * The official client's default policy (`newSyncPolicy()`), effective form.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPolicy: Policy = SyncPolicy.defaults

/**
 * Reads a `Policy` as sent (an object or its JSON text; any subset of keys,
 * `null` sub-policies): missing fields take the defaults, and so does a policy
 * that does not decode (CreateMcpSession refuses those).
 *
 * @since 0.1.0
 * @category utils
 */
export const policyOf: (raw: unknown) => Policy = SyncPolicy.decode

/**
 * One synced (context, sandbox path) of a session.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncEntry {
  readonly contextId: string
  /** Absolute sandbox path, normalised. */
  readonly path: string
  readonly policy: Policy
}

/**
 * The entries of a session's stored `params` (`PersistenceDataList` as
 * received at create). Items without a context id or path are skipped.
 *
 * @since 0.1.0
 * @category utils
 */
export const entriesOf: (params: Readonly<Record<string, unknown>>) => ReadonlyArray<SyncEntry> = SyncPolicy.entriesOf

/**
 * Where a session's file-transfer context appears in it (GetAndLoadInternalContext).
 *
 * @since 0.1.0
 * @category constants
 */
export const fileTransferPath = "/home/wuying/file_transfer"

/**
 * Names of contexts starting with this are the backend's own (one file-transfer
 * context per session); users cannot take them.
 *
 * @since 0.1.0
 * @category constants
 */
export const reservedPrefix = "file_transfer:"

/**
 * The name of a session's file-transfer context.
 *
 * @since 0.1.0
 * @category utils
 */
export const fileTransferName = (sessionId: string): string => `${reservedPrefix}${sessionId}`

/**
 * A SyncContext request: both `contextId` and `path` (any path in the
 * session's tree), or neither (every entry of the session).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncTarget {
  readonly contextId?: string | undefined
  readonly path?: string | undefined
  readonly mode: "upload" | "download"
}

/**
 * What the live sessions of an owner use.
 *
 * @since 0.1.0
 * @category models
 */
export interface Usage {
  /** Context id -> the live sessions that sync it. */
  readonly contexts: ReadonlyMap<string, ReadonlyArray<string>>
  readonly volumes: ReadonlySet<string>
  readonly networks: ReadonlySet<string>
}

/**
 * The automatic upload before a session's release failed: the session was kept
 * (code `ContextSync.Failed`, HTTP 409), so that nothing is lost.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContextSyncFailed
  extends Schema.TaggedError<ContextSyncFailed>("@effect-agentbay/backend/ContextSyncFailed")(
    "ContextSyncFailed",
    { sessionId: Schema.String, failed: Schema.Number }
  )
{
  override get message(): string {
    return `Session ${this.sessionId} was kept: ${this.failed} of its context uploads failed before the release ` +
      "(see GetContextInfo); retry the delete"
  }
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Bytes read or written at a time. Default 1 MiB. */
  readonly window?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Engine {
  /**
   * Runs one sync of `entry` for a session (on its files), recorded as a task:
   * `Running`, then `Success` or `Failed` with a message (sandbox paths only,
   * never a host path). Never fails: the final task is the outcome. Syncs of
   * one context run one at a time.
   */
  readonly run: (
    sessionId: string,
    files: SessionFiles,
    entry: SyncEntry,
    taskType: SyncTaskRow["taskType"]
  ) => Effect.Effect<SyncTaskRow>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Engine, never, BackendVault> =>
  Effect.gen(function*() {
    const vault = yield* BackendVault
    const copy: ContextSync.Copy = { vault, window: options.window ?? ContextSync.defaultWindow }
    const locked = KeyedLock.make()
    const run = (sessionId: string, files: SessionFiles, entry: SyncEntry, taskType: SyncTaskRow["taskType"]) =>
      locked(entry.contextId)(Effect.gen(function*() {
        const startTime = yield* Clock.currentTimeMillis
        const base = { sessionId, contextId: entry.contextId, path: entry.path, taskType, startTime }
        yield* vault.putTask({ ...base, status: "Running", finishTime: null, errorMessage: "" })
        const failed = (errorMessage: string) =>
          Effect.flatMap(Clock.currentTimeMillis, (finishTime) =>
            vault.putTask({ ...base, status: "Failed", finishTime, errorMessage }))
        const copying = taskType === "upload"
          ? ContextSync.upload(copy, files, entry, startTime)
          : ContextSync.download(copy, files, entry)
        // A task never stays Running: a defect fails it, and so does an interruption.
        const outcome = yield* copying.pipe(
          Effect.catchAllDefect(() =>
            Effect.fail(new ContextSync.SyncError(`${entry.path}: internal error`))
          ),
          Effect.onInterrupt(() => failed(`${entry.path}: interrupted`)),
          Effect.either
        )
        const finishTime = yield* Clock.currentTimeMillis
        const task: SyncTaskRow = outcome._tag === "Right"
          ? { ...base, status: "Success", finishTime, errorMessage: "" }
          : { ...base, status: "Failed", finishTime, errorMessage: outcome.left.message }
        yield* vault.putTask(task)
        yield* vault.updateContext(entry.contextId, { lastUsedAt: finishTime })
        return task
      })).pipe(
        Effect.withSpan("BackendSync.run", {
          attributes: {
            "agentbay.session_id": sessionId,
            "agentbay.context_id": entry.contextId,
            "agentbay.task": taskType
          }
        })
      )
    return { run }
  })

/**
 * What one recycle sweep did.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recycled {
  /** Lifetimes that ran out: their data was removed. */
  readonly removed: number
}

/**
 * One recycle sweep now: removes the stored data whose lifetime ran out and
 * drops expired URL tokens.
 *
 * @since 0.1.0
 * @category utils
 */
export const sweep: Effect.Effect<Recycled, never, BackendVault> = Effect.gen(function*() {
  const vault = yield* BackendVault
  const now = yield* Clock.currentTimeMillis
  const due = yield* vault.dueRecycles(now)
  let removed = 0
  for (const row of due) {
    const done =
      yield* (row.path === "" ? vault.files.clear(row.contextId) : vault.files.remove(row.contextId, row.path)).pipe(
        Effect.as(true),
        Effect.catchAll((e) =>
          Effect.as(
            Effect.logWarning(`agentbay backend: could not recycle data of context ${row.contextId}: ${e.reason}`),
            false
          )
        )
      )
    if (done) {
      yield* vault.deleteRecycle(row.contextId, row.path)
      removed++
    }
  }
  yield* vault.purgeTokens(now)
  return { removed }
}).pipe(Effect.withSpan("BackendSync.sweep"))
