/**
 * A `BackendStore` in memory: the fake's store. Same semantics as the local
 * runtime's SQLite store (keyset paging by `seq`, AND label filters, the
 * compare-and-set of states), nothing kept after the layer is gone.
 *
 * @since 0.1.0
 */
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { BackendStore, maxCount, type SessionQuery, SessionRow } from "./BackendStore.js"

const sameState = (row: SessionRow, state: Lifecycle.State) =>
  row.status === state.status &&
  row.pendingStatus === (state.pending?.status ?? null) &&
  row.pendingAt === (state.pending?.at ?? null)

const matches = (row: SessionRow, q: SessionQuery) =>
  (q.owner === undefined || row.owner === q.owner) &&
  (q.status !== undefined ? row.status === q.status : !q.exclude.includes(row.status)) &&
  Object.entries(q.labels).every(([k, v]) => row.labels[k] === v)

/**
 * A fresh, empty store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BackendStore.Service> = Effect.sync(() => {
  // Rows in insertion (seq) order; a Map keeps it.
  const rows = new Map<string, SessionRow>()
  let seq = 0
  const replace = (row: SessionRow, fields: Partial<SessionRow>) => {
    rows.set(row.id, new SessionRow({ ...row, ...fields }))
  }
  const all = () => [...rows.values()]

  return BackendStore.of({
    insertSession: (s) =>
      Effect.sync(() => {
        seq += 1
        rows.set(
          s.id,
          new SessionRow({
            seq,
            id: s.id,
            owner: s.owner,
            status: s.state.status,
            pendingStatus: s.state.pending?.status ?? null,
            pendingAt: s.state.pending?.at ?? null,
            labels: s.labels,
            imageId: s.imageId,
            token: s.token,
            params: s.params,
            createdAt: s.createdAt,
            updatedAt: s.createdAt
          })
        )
      }),
    findSession: (id, owner) =>
      Effect.sync(() =>
        Option.filter(Option.fromNullable(rows.get(id)), (r) => owner === undefined || r.owner === owner)
      ),
    listSessions: (q) =>
      Effect.sync(() => {
        const matching = all().filter((r) => matches(r, q))
        return {
          rows: matching.filter((r) => r.seq > q.after).slice(0, q.limit),
          total: Math.min(matching.length, maxCount)
        }
      }),
    setState: (id, expected, next, now) =>
      Effect.sync(() => {
        const row = rows.get(id)
        if (row === undefined || !sameState(row, expected)) return false
        replace(row, {
          status: next.status,
          pendingStatus: next.pending?.status ?? null,
          pendingAt: next.pending?.at ?? null,
          updatedAt: now
        })
        return true
      }),
    setLabels: (id, labels, now) =>
      Effect.sync(() => {
        const row = rows.get(id)
        if (row !== undefined) replace(row, { labels, updatedAt: now })
      }),
    pending: (now) =>
      Effect.sync(() => all().filter((r) => r.pendingAt !== null && (now === undefined || r.pendingAt <= now))),
    sessionsExcept: (exclude) => Effect.sync(() => all().filter((r) => !exclude.includes(r.status))),
    purgeGone: (before) =>
      Effect.sync(() => {
        const gone = all().filter((r) => Lifecycle.isGone(r.status) && r.updatedAt < before)
        for (const r of gone) rows.delete(r.id)
        return gone.map((r) => r.id)
      }),
    expired: (now, ttlMillis) =>
      Effect.sync(() => all().filter((r) => !Lifecycle.isGone(r.status) && r.createdAt + ttlMillis <= now))
  })
})

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BackendStore> = Layer.effect(BackendStore, make)
