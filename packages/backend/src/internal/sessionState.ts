// The lifecycle state of the stored sessions: a row's state, the compare-and-set
// write of a new one, and reads that settle a due transition first. Internal: the
// public surface is BackendSessions.ts.
import { InvalidState, NotFound } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { BackendActivity } from "../BackendActivity.js"
import * as BackendStore from "../BackendStore.js"

export const stateOf = (row: BackendStore.SessionRow): Lifecycle.State =>
  row.pendingStatus !== null && row.pendingAt !== null
    ? { status: row.status, pending: { status: row.pendingStatus, at: row.pendingAt } }
    : { status: row.status }

const withState = (row: BackendStore.SessionRow, state: Lifecycle.State, now: number) =>
  new BackendStore.SessionRow({
    ...row,
    status: state.status,
    pendingStatus: state.pending?.status ?? null,
    pendingAt: state.pending?.at ?? null,
    updatedAt: now
  })

const sameState = (a: Lifecycle.State, b: Lifecycle.State) =>
  a.status === b.status && a.pending?.status === b.pending?.status && a.pending?.at === b.pending?.at

// Compare-and-set races (a concurrent settle) are retried this many times.
export const attempts = 3

export const make = (
  store: BackendStore.BackendStore.Service,
  // The dashboard's record of transitions (BackendActivity), where the runtime has one.
  activity: Option.Option<BackendActivity.Service>
) => {
  // A status entered: a settled transition at the time it was due, anything else now.
  const recordStatus = (row: BackendStore.SessionRow, next: Lifecycle.State, now: number) =>
    Option.isNone(activity) || next.status === row.status
      ? Effect.void
      : activity.value.status(
        row.id,
        next.status,
        row.pendingStatus === next.status ? Math.min(row.pendingAt ?? now, now) : now
      )

  // Writes `next` if the row still holds what we read; says whether it did.
  const write = (row: BackendStore.SessionRow, next: Lifecycle.State, now: number) =>
    Effect.flatMap(
      store.setState(row.id, stateOf(row), next, now),
      (ok) =>
        ok
          ? Effect.as(recordStatus(row, next, now), Option.some(withState(row, next, now)))
          : Effect.succeed(Option.none())
    )

  const settle = (
    row: BackendStore.SessionRow,
    now: number,
    left = attempts
  ): Effect.Effect<BackendStore.SessionRow> =>
    Effect.gen(function*() {
      const next = Lifecycle.settle(stateOf(row), now)
      if (sameState(next, stateOf(row))) return row
      const written = yield* write(row, next, now)
      if (Option.isSome(written) || left <= 1) return Option.getOrElse(written, () => row)
      const fresh = yield* store.findSession(row.id)
      return Option.isSome(fresh) ? yield* settle(fresh.value, now, left - 1) : row
    })

  const get = (owner: string, id: string) =>
    Effect.gen(function*() {
      const found = yield* store.findSession(id, owner)
      if (Option.isNone(found)) return yield* new NotFound({ resource: "Session", id })
      return yield* settle(found.value, yield* Clock.currentTimeMillis)
    })

  const getLive = (owner: string, id: string, operation: string) =>
    Effect.flatMap(get(owner, id), (row) =>
      Lifecycle.isGone(row.status)
        ? Effect.fail(new InvalidState({ resource: "Session", id, operation, status: row.status }))
        : Effect.succeed(row))

  // Settles every transition that is due now (before a list).
  const settleDue = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    yield* Effect.forEach(yield* store.pending(now), (row) => settle(row, now), { discard: true })
  })

  return { write, get, getLive, settleDue } as const
}
