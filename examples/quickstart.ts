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

const width = 46

/** The text cut to the column's width (with an ellipsis), so every row stays in its table. */
const fit = (text: string) => text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`

/** Prints one row: step, what it returned, elapsed time. */
export const row = (name: string, result: string, millis: number) =>
  Console.log(`  ${name.padEnd(22)} ${fit(result)} ${millis.toFixed(0).padStart(6)} ms`)

/** Runs `self`, then prints its row. */
export const step = <A, E, R>(name: string, self: Effect.Effect<A, E, R>, show: (a: A) => string) =>
  Effect.timed(self).pipe(
    Effect.tap(([elapsed, a]) => row(name, show(a), Duration.toMillis(elapsed))),
    Effect.map(([, a]) => a)
  )

export const quickstart = Effect.gen(function*() {
  const bay = yield* AgentBay
  const run = `demo-${Date.now().toString(36)}`

  // A scoped session: deleted when this scope closes, whatever happens inside.
  let closing = 0
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
    // Added last, so it runs first when the scope closes: the close is timed from here.
    yield* Effect.addFinalizer(() => Effect.sync(() => (closing = performance.now())))
    return session
  })).pipe(
    Effect.tap(() => row("scope close (delete)", "deleted, and waited for until gone", performance.now() - closing)),
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
