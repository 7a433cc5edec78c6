/**
 * Quickstart: one session's whole life, written against the `AgentBay` service
 * only, so the same program runs on the embedded local runtime, the in-memory
 * fake or the AgentBay cloud (see demo.ts for the three layers).
 */
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import * as Chunk from "effect/Chunk"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** Runs `self`, then prints one line: step, what it returned, elapsed time. */
const step = <A, E, R>(name: string, self: Effect.Effect<A, E, R>, show: (a: A) => string) =>
  Effect.timed(self).pipe(
    Effect.tap(([elapsed, a]) =>
      Console.log(`  ${name.padEnd(22)} ${show(a).padEnd(46)} ${Duration.toMillis(elapsed).toFixed(0).padStart(6)} ms`)
    ),
    Effect.map(([, a]) => a)
  )

export const quickstart = Effect.gen(function*() {
  const bay = yield* AgentBay
  const run = `demo-${Date.now().toString(36)}`

  // A scoped session: deleted when this scope closes, whatever happens inside.
  yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* step(
      "create (scoped)",
      bay.session({ labels: { project: "quickstart", run } }),
      (s) => `${s.id} ${s.status}`
    )
    yield* step("get", bay.get(session), (s) => `status ${s.status}`)
    yield* step(
      "list by label",
      Stream.runCollect(bay.list({ labels: { run } })),
      (all) => `${Chunk.size(all)} session(s) with run=${run}`
    )
    yield* step("setLabels", session.setLabels({ project: "quickstart", run, stage: "labelled" }), () => "replaced")
    yield* step("getLabels", session.getLabels(), (labels) => JSON.stringify(labels))
    yield* step("betaPauseAsync", bay.betaPauseAsync(session, { interval: "100 millis" }), (s) => `status ${s.status}`)
    yield* step(
      "betaResumeAsync",
      bay.betaResumeAsync(session, { interval: "100 millis" }),
      (s) => `status ${s.status}`
    )
    yield* step("getStatus", session.getStatus(), (d) => `status ${d.status}`)
    yield* Console.log("  (scope closes: the session is deleted and waited for)")
    return session
  })).pipe(
    Effect.flatMap((session) =>
      step(
        "after release",
        bay.get(session).pipe(
          Effect.map((s) => `status ${s.status}`),
          Effect.catchTag("NotFound", () => Effect.succeed("gone"))
        ),
        (s) => s
      )
    )
  )
})
