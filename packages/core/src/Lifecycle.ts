/**
 * The session lifecycle rules, written once: the fake backend, the local runtime
 * and the client-side checks all ask this module which transitions are legal
 * and how a pending transition settles over time (spec: semantics.md §1.2).
 *
 * ```
 * RUNNING ─pause→ PAUSING ─→ PAUSED ─resume→ RESUMING ─→ RUNNING
 * RUNNING | PAUSED | PAUSING | RESUMING ─delete→ DELETING ─→ DELETED (FINISH in GetSessionDetail)
 * ```
 *
 * @since 0.1.0
 */
import type { SessionStatus } from "./SessionStatus.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = "pause" | "resume" | "delete"

/**
 * @since 0.1.0
 * @category models
 */
export interface Transition {
  /** States the operation starts from. */
  readonly from: ReadonlyArray<SessionStatus>
  /** The intermediate state, visible as soon as the request is accepted. */
  readonly via: SessionStatus
  /** The state it settles in. */
  readonly to: SessionStatus
  /** States in which a server accepts the request as a no-op (already there or on the way). */
  readonly noop: ReadonlyArray<SessionStatus>
}

/**
 * Delete is accepted from every live state, transitional ones included, so that
 * releasing a session can never be refused, and deleting a deleted session is a
 * no-op (idempotent) (the cloud's rule for deleting a
 * PAUSED or PAUSING session is open; this is our choice). Pause and resume only
 * start from their stable source state.
 *
 * @since 0.1.0
 * @category constants
 */
export const transitions: Readonly<Record<Operation, Transition>> = {
  pause: { from: ["RUNNING"], via: "PAUSING", to: "PAUSED", noop: ["PAUSING", "PAUSED"] },
  resume: { from: ["PAUSED"], via: "RESUMING", to: "RUNNING", noop: ["RESUMING", "RUNNING"] },
  delete: {
    from: ["RUNNING", "PAUSED", "PAUSING", "RESUMING"],
    via: "DELETING",
    to: "DELETED",
    noop: ["DELETING", "DELETED", "FINISH"]
  }
}

/**
 * What a backend does with a request in a given state: start the transition,
 * accept it as a no-op, or reject it.
 *
 * @since 0.1.0
 * @category rules
 */
export const decide = (operation: Operation, status: SessionStatus): "start" | "noop" | "reject" => {
  const t = transitions[operation]
  return t.from.includes(status) ? "start" : t.noop.includes(status) ? "noop" : "reject"
}

/**
 * The client-side rule: an operation may be submitted only from its source state
 * (pausing a session that is not RUNNING is `InvalidState`, with nothing sent).
 *
 * @since 0.1.0
 * @category rules
 */
export const canStart = (operation: Operation, status: SessionStatus): boolean =>
  transitions[operation].from.includes(status)

/**
 * A session that no longer exists: deleted, or reported finished.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isGone = (status: SessionStatus): boolean => status === "DELETED" || status === "FINISH"

/**
 * States that change by themselves after a while.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransitional = (status: SessionStatus): boolean =>
  status === "PAUSING" || status === "RESUMING" || status === "DELETING"

/**
 * GetSessionDetail reports a deleted session as `FINISH`, the only terminal
 * status the official SDK's delete accepts; GetSession and list use `DELETED`.
 *
 * @since 0.1.0
 * @category rules
 */
export const detailStatus = (status: SessionStatus): SessionStatus => status === "DELETED" ? "FINISH" : status

/**
 * A stored state: the current status and, while a transition is in flight, the
 * status it settles in and when (epoch milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  readonly status: SessionStatus
  readonly pending?: { readonly status: SessionStatus; readonly at: number } | undefined
}

/**
 * Starts `operation` at `now`: the intermediate status now, the target at `now + delay`.
 *
 * @since 0.1.0
 * @category rules
 */
export const begin = (operation: Operation, now: number, delayMillis: number): State => {
  const t = transitions[operation]
  return delayMillis <= 0 ? { status: t.to } : { status: t.via, pending: { status: t.to, at: now + delayMillis } }
}

/**
 * The state as seen at `now`: a pending transition whose time has come is settled.
 *
 * @since 0.1.0
 * @category rules
 */
export const settle = (state: State, now: number): State =>
  state.pending !== undefined && now >= state.pending.at ? { status: state.pending.status } : state

/**
 * Settles every in-flight transition at once: what a backend does when it starts
 * again after a stop, so that no session stays stuck in an intermediate state.
 *
 * @since 0.1.0
 * @category rules
 */
export const settleNow = (state: State): State => state.pending !== undefined ? { status: state.pending.status } : state
