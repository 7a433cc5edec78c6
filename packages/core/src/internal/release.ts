// The release of a scoped session (AgentBay.session), which never loses data:
// with `syncContext`, the upload first and the delete only once it succeeded;
// a failed upload leaves the session in place, marked for `reap`. And the
// fiber the acquire and release run in. Internal: the public surface is
// AgentBay.ts (`SessionOptions.release`, `reap`, `releaseFailedLabel`).
import type * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

import type * as AgentBay from "../AgentBay.js"
import type { AgentBayClient } from "../AgentBayClient.js"
import * as Observe from "./agentBayMetrics.js"
import * as Reap from "./reap.js"

/**
 * Runs `self` in a fiber of its own, interruptible, and awaits it. For the
 * acquire and release of a scoped session (and a failed create's cleanup),
 * which run uninterruptibly: there a wait's timeout could never stop its
 * polling (a timeout interrupts the loop). The fiber is a daemon, not a child:
 * an interruption of the caller is passed on to its children at once, but
 * never reaches this one, so it runs to its end as the uninterruptible code would.
 */
export const ownFiber = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.forkDaemon(Effect.interruptible(self)), Fiber.join)

/** What a release uses of the AgentBay service being built. */
export interface Deps<E1 extends { readonly _tag: string }, E2> {
  readonly client: AgentBayClient.Service
  readonly limit: Reap.Limit
  /** Upload every context of the session and wait for it. */
  readonly syncBeforeDelete: (id: string, options: AgentBay.DeleteOptions) => Effect.Effect<void, E1>
  readonly del: (id: string, options: AgentBay.DeleteOptions) => Effect.Effect<void, E2>
}

/**
 * The release: with `syncContext`, the upload first, and the delete only if it
 * succeeded (a session already gone needs neither). It never fails: what goes
 * wrong is counted and logged.
 */
export const make = <E1 extends { readonly _tag: string }, E2>(deps: Deps<E1, E2>) => {
  // Leaves a session whose release could not save its contexts: counted and
  // logged as not deleted, its permit given back, and marked with the
  // release-failed label (merged into its labels); `reap` deletes it once a sync succeeds.
  const keep = (id: string, cause: Cause.Cause<unknown>) =>
    Effect.gen(function*() {
      yield* Observe.leaked(
        `AgentBay: context sync before releasing session ${id} failed; the session is left in place so that its ` +
          `data is not lost, labelled ${Reap.releaseFailed.key}=${Reap.releaseFailed.contextSync} ` +
          "(AgentBay.reap deletes it once a sync succeeds)",
        cause
      )
      yield* deps.limit.release(id)
      yield* Reap.markReleaseFailed(deps.client, id)
    }).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning(
          `AgentBay: could not label session ${id} ${Reap.releaseFailed.key}; it is left unlabelled`,
          cause
        )
      )
    )

  return (id: string, options: AgentBay.DeleteOptions): Effect.Effect<void> =>
    Effect.gen(function*() {
      if (options.syncContext) {
        const saved = yield* deps.syncBeforeDelete(id, options).pipe(
          Effect.as(true),
          Effect.catchIf((e) => e._tag === "NotFound", () => Effect.succeed(true)),
          Effect.catchAllCause((cause) => Effect.as(keep(id, cause), false))
        )
        if (!saved) return
      }
      yield* deps.del(id, { ...options, syncContext: false })
    }).pipe(
      Effect.catchAllCause((cause) => Observe.leaked(`AgentBay: could not delete session ${id}`, cause)),
      Effect.withSpan("AgentBay.release", { attributes: { "agentbay.session_id": id } }),
      ownFiber
    )
}
