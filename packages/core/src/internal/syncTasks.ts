// Waiting for context sync tasks (GetContextInfo records), written once for
// the waits of create and delete (internal/agentBay.ts) and of the file
// transfers (internal/fileTransfer.ts): where a task stands, the poll until the
// tasks that matter are done, and the ContextSyncError of the failed ones.
// Internal: not exported from the package.
import * as Effect from "effect/Effect"

import { ContextSyncError, type WaitTimeout } from "../AgentBayError.js"
import type { ContextTask } from "../WireContext.js"
import { pollUntil, type Wait } from "./poll.js"

/** Where a task stands. */
export type Outcome = "success" | "failed" | "running"

/** The create and delete waits' rule (semantics.md §4.5): exactly `Success` or `Failed`, else running. */
export const strict = (task: ContextTask): Outcome =>
  task.status === "Success" ? "success" : task.status === "Failed" ? "failed" : "running"

const successes = new Set(["success", "successful", "ok", "finished", "done", "completed", "complete"])

/**
 * The file-transfer wait's rule (semantics.md §4.5): a non-empty
 * `errorMessage` or `Failed` (any case) is a failure; `Success` and its
 * variants (any case) a success; anything else runs.
 */
export const tolerant = (task: ContextTask): Outcome => {
  const status = task.status.toLowerCase()
  return task.errorMessage || status === "failed" ? "failed" : successes.has(status) ? "success" : "running"
}

/** The failed tasks of a sync, as the error the waits fail with. */
export const syncError = (sessionId: string, operation: string, failed: ReadonlyArray<ContextTask>) =>
  new ContextSyncError({
    sessionId,
    operation,
    tasks: failed.map((t) => ({
      contextId: t.contextId,
      path: t.path,
      taskType: t.taskType,
      status: t.status,
      errorMessage: t.errorMessage || undefined
    }))
  })

/**
 * Polls `tasks` (at once, then by `wait`) until every `relevant` task is done
 * by `outcome` (none at all counts as done), and returns the last answer; any
 * relevant task failed fails the wait with `ContextSyncError`.
 */
export const awaitTasks = <E, R>(tasks: Effect.Effect<ReadonlyArray<ContextTask>, E, R>, options: {
  readonly span: string
  readonly sessionId: string
  readonly target: string
  readonly operation: string
  readonly wait: Wait
  readonly relevant: (task: ContextTask) => boolean
  readonly outcome: (task: ContextTask) => Outcome
}): Effect.Effect<ReadonlyArray<ContextTask>, E | WaitTimeout | ContextSyncError, R> =>
  Effect.flatMap(
    pollUntil(tasks, {
      span: options.span,
      id: options.sessionId,
      target: options.target,
      done: (ts) => ts.every((t) => !options.relevant(t) || options.outcome(t) !== "running"),
      wait: options.wait
    }),
    (ts) => {
      const failed = ts.filter((t) => options.relevant(t) && options.outcome(t) === "failed")
      return failed.length > 0
        ? Effect.fail(syncError(options.sessionId, options.operation, failed))
        : Effect.succeed(ts)
    }
  )
