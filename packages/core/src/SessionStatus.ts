/**
 * The status vocabulary of sessions, on its own so that errors, the wire
 * declarations and the lifecycle rules can name a status without depending on
 * the session model (spec: semantics.md §1.1).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Every status the API is known to report. `FINISH` is what GetSessionDetail
 * reports once a session is gone; `DELETED` is what GetSession and list filters
 * use. `UNKNOWN`, `ERROR` and `FAILED` exist in the official SDKs; whether the
 * cloud sends the last two is an open question (spec: semantics.md §1.1).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SessionStatus = Schema.Literal(
  "RUNNING",
  "PAUSING",
  "PAUSED",
  "RESUMING",
  "DELETING",
  "DELETED",
  "FINISH",
  "UNKNOWN",
  "ERROR",
  "FAILED"
)

/**
 * @since 0.1.0
 * @category models
 */
export type SessionStatus = typeof SessionStatus.Type

/**
 * The statuses a list can be filtered by (the official SDK accepts these six).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ListStatus = Schema.Literal("RUNNING", "PAUSING", "PAUSED", "RESUMING", "DELETING", "DELETED")

/**
 * @since 0.1.0
 * @category models
 */
export type ListStatus = typeof ListStatus.Type
