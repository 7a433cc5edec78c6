/**
 * Where the backend keeps sessions: the interface both stores implement, the
 * local runtime's SQLite (`LocalStore`) and the fake's memory (`MemoryStore`).
 * Store failures are defects: nobody can repair a broken store from a request.
 *
 * @since 0.1.0
 */
import type * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import { SessionStatus } from "@effect-agentbay/core/Session"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"

const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/**
 * A session as stored. `labels` and `params` are JSON text in the table.
 * `params` keeps every other CreateMcpSession field (policy, network, volume,
 * contexts, extra configs, ...) as received, for features that need them later.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionRow extends Schema.Class<SessionRow>("@effect-agentbay/backend/SessionRow")({
  seq: Schema.Number,
  id: Schema.String,
  /** SHA-256 (hex) of the API key that created the session. */
  owner: Schema.String,
  status: SessionStatus,
  pendingStatus: Schema.NullOr(SessionStatus),
  pendingAt: Schema.NullOr(Schema.Number),
  labels: Schema.parseJson(StringMap),
  imageId: Schema.String,
  token: Schema.String,
  params: Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
}) {}

/**
 * What `insertSession` needs; `seq` and `updatedAt` are the store's.
 *
 * @since 0.1.0
 * @category models
 */
export type NewSession =
  & Omit<typeof SessionRow.Type, "seq" | "updatedAt" | "status" | "pendingStatus" | "pendingAt">
  & { readonly state: Lifecycle.State }

/**
 * One page query. `after` is the last `seq` already seen (keyset paging).
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionQuery {
  /** Only this owner's sessions; absent means every owner (CLI). */
  readonly owner?: string | undefined
  /** AND filter: every pair must be present with that exact value. */
  readonly labels: Readonly<Record<string, string>>
  readonly status?: SessionStatus | undefined
  /** Statuses left out when no `status` is asked for. */
  readonly exclude: ReadonlyArray<SessionStatus>
  readonly after: number
  readonly limit: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SessionPage {
  readonly rows: ReadonlyArray<SessionRow>
  /** Matches across all pages, counted up to `maxCount` (a larger result reports `maxCount`). */
  readonly total: number
}

/**
 * The most matches a list counts (its `total`): past it a list answers
 * `maxCount`, so that a count never costs more than this many index steps.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxCount = 10_000

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendStore
  extends Context.Tag("@effect-agentbay/backend/BackendStore")<BackendStore, BackendStore.Service>()
{}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendStore {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly insertSession: (session: NewSession) => Effect.Effect<void>
    /** By id; with `owner`, only when that owner's. */
    readonly findSession: (id: string, owner?: string) => Effect.Effect<Option.Option<SessionRow>>
    readonly listSessions: (query: SessionQuery) => Effect.Effect<SessionPage>
    /**
     * Compare-and-set: writes `next` only if the row still holds `expected`.
     * Returns whether it did, so concurrent settles never overwrite a newer state.
     */
    readonly setState: (
      id: string,
      expected: Lifecycle.State,
      next: Lifecycle.State,
      now: number
    ) => Effect.Effect<boolean>
    readonly setLabels: (id: string, labels: Readonly<Record<string, string>>, now: number) => Effect.Effect<void>
    /** Sessions with a pending transition due at `now` (or any pending one, without `now`). */
    readonly pending: (now?: number) => Effect.Effect<ReadonlyArray<SessionRow>>
    /** Every session whose status is not among `exclude`, oldest first. */
    readonly sessionsExcept: (exclude: ReadonlyArray<SessionStatus>) => Effect.Effect<ReadonlyArray<SessionRow>>
    /**
     * Deletes the records of gone sessions (DELETED or FINISH) last updated
     * before `before` (epoch millis); returns their ids.
     */
    readonly purgeGone: (before: number) => Effect.Effect<ReadonlyArray<string>>
    /** Live sessions (not DELETED or FINISH) created at least `ttlMillis` before `now`, oldest first. */
    readonly expired: (now: number, ttlMillis: number) => Effect.Effect<ReadonlyArray<SessionRow>>
  }
}
