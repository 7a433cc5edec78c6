// The start-up reconciliation and the sweep of BackendSessions, apart from its
// requests. Internal: the public surface is BackendSessions.ts.
import type { InvalidState, NotFound } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { SessionStatus } from "@effect-agentbay/core/Session"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { BackendSandbox, SandboxError } from "../BackendSandbox.js"
import type * as BackendSessions from "../BackendSessions.js"
import type * as BackendStore from "../BackendStore.js"
import type { ContextSyncFailed } from "../BackendSync.js"
import type { BackendVault } from "../BackendVault.js"
import { startOptions } from "./sessionPersistence.js"
import { stateOf } from "./sessionState.js"

export const finiteMillis = (d: Duration.DurationInput | undefined): number | undefined => {
  if (d === undefined) return undefined
  const decoded = Duration.decode(d)
  return Duration.isFinite(decoded) ? Duration.toMillis(decoded) : undefined
}

export const reconcile = (
  store: BackendStore.BackendStore.Service,
  sandbox: BackendSandbox.Service,
  goneStatuses: ReadonlyArray<SessionStatus>
): Effect.Effect<BackendSessions.Reconciled> =>
  Effect.gen(function*() {
    let settled = 0
    let failed = 0
    const destroyIds: Array<string> = []
    for (const row of yield* store.pending()) {
      const next = Lifecycle.settleNow(stateOf(row))
      if (yield* store.setState(row.id, stateOf(row), next, yield* Clock.currentTimeMillis)) settled++
      if (Lifecycle.isGone(next.status)) destroyIds.push(row.id)
    }
    const report = (operation: string, id: string) => (e: SandboxError) =>
      Effect.zipRight(
        Effect.logWarning(`agentbay backend: could not ${operation} the sandbox of session ${id}: ${e.reason}`),
        Effect.sync(() => {
          failed++
        })
      )
    const live = yield* store.sessionsExcept(goneStatuses)
    let started = 0
    let paused = 0
    yield* Effect.forEach(live, (row) =>
      Effect.gen(function*() {
        // The same volume as at create.
        yield* sandbox.start(row.id, startOptions(row.params))
        started++
        if (row.status === "PAUSED") {
          yield* sandbox.pause(row.id)
          paused++
        }
      }).pipe(Effect.catchAll(report("restart", row.id))), { concurrency: 4, discard: true })
    yield* Effect.forEach(destroyIds, (id) => sandbox.destroy(id), { concurrency: 4, discard: true })
    return { settled, started, paused, destroyed: destroyIds.length, failed }
  }).pipe(Effect.withSpan("BackendSessions.reconcile"))

type Transition = (
  owner: string,
  id: string,
  operation: Lifecycle.Operation
) => Effect.Effect<"start" | "noop", NotFound | InvalidState | SandboxError | ContextSyncFailed>

export const sweep = (
  store: BackendStore.BackendStore.Service,
  vault: BackendVault.Service,
  transition: Transition,
  options: BackendSessions.Options
): Effect.Effect<BackendSessions.Swept> => {
  const ttl = finiteMillis(options.sessionTtl)
  const retention = finiteMillis(options.retention)
  const batch = options.sweepBatch ?? 50
  return Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    let expired = 0
    let failed = 0
    if (ttl !== undefined) {
      const due = (yield* store.expired(now, ttl)).slice(0, batch)
      // A delete refused because a context upload failed is retried next round.
      yield* Effect.forEach(due, (row) =>
        transition(row.owner, row.id, "delete").pipe(
          Effect.andThen((outcome) => {
            if (outcome === "start") expired++
          }),
          Effect.catchAll((e) =>
            Effect.zipRight(
              Effect.logWarning(`agentbay backend: could not expire session ${row.id}: ${e.message}`),
              Effect.sync(() => void failed++)
            )
          )
        ), { discard: true })
    }
    const purgedIds = retention === undefined ? [] : yield* store.purgeGone(now - retention)
    if (purgedIds.length > 0) yield* vault.dropTasks(purgedIds)
    return { expired, purged: purgedIds.length, failed }
  }).pipe(Effect.withSpan("BackendSessions.sweep"))
}

// Runs the sweep at once and then every `sweepInterval` on the Clock, for the
// life of the layer. A failing sweep is logged and the next one runs anyway.
export const sweeping = (sessions: BackendSessions.BackendSessions.Service, options: BackendSessions.Options) =>
  sessions.sweep.pipe(
    Effect.tap((r) =>
      r.expired + r.purged + r.failed === 0
        ? Effect.void
        : Effect.logInfo(
          `agentbay backend: sweep expired ${r.expired} session(s), purged ${r.purged} record(s), ${r.failed} failed`
        )
    ),
    Effect.catchAllCause((cause) => Effect.logWarning("agentbay backend: sweep failed", cause)),
    Effect.repeat(Schedule.spaced(options.sweepInterval ?? Duration.minutes(1))),
    Effect.interruptible,
    Effect.forkScoped
  )
