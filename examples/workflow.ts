/**
 * A small workflow written the way an application would write it, against the
 * `AgentBay` service only. It never says which backend it talks to: production
 * provides the real layer, tests provide `AgentBayTest.layer()` (see
 * `testing-your-workflow.test.ts` next to this file).
 *
 * @since 0.1.0
 */
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type { Labels } from "@effect-agentbay/core/Session"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * What `runJob` reports.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobReport {
  readonly sessionId: string
  /** The labels the session carried at the end of the job. */
  readonly labels: Labels
  /** The status after waking the session up: `RUNNING`. */
  readonly status: string
}

/**
 * Runs one job in a fresh session: marks it as started, parks it (pause) while
 * the job waits for something, wakes it (resume) and reports. The session lives
 * in the job's scope, so it is deleted when the job ends: on success, on
 * failure, and when the job is interrupted (a timeout, a cancelled request).
 *
 * @since 0.1.0
 * @category workflows
 */
export const runJob = (labels: Labels) =>
  Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    const session = yield* bay.session({ labels })
    yield* session.setLabels({ ...labels, stage: "started" })
    yield* bay.betaPauseAsync(session)
    const awake = yield* bay.betaResumeAsync(session)
    const report: JobReport = { sessionId: session.id, labels: yield* session.getLabels(), status: awake.status }
    return report
  }).pipe(Effect.scoped, Effect.withSpan("runJob"))

/**
 * Deletes every session that carries `labels` (say, the leftovers of a crashed
 * run), four at a time, and returns how many it deleted.
 *
 * @since 0.1.0
 * @category workflows
 */
export const reapJobs = (labels: Labels) =>
  Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    // Collect first, then delete: deleting while paging could make a backend
    // whose page tokens are offsets skip sessions.
    const sessions = yield* Stream.runCollect(bay.list({ labels }))
    yield* Effect.forEach(sessions, (session) => bay.delete(session), { concurrency: 4, discard: true })
    return Chunk.size(sessions)
  }).pipe(Effect.withSpan("reapJobs"))
