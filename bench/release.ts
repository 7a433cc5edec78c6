// The release part of `pnpm bench`: how long closing a scope of 10 sessions
// takes on the embedded local runtime (AgentBayLocal.layer(), in this process),
// with the SDK's default options, and the same with the cloud's default waits
// (delete polled every 1 s, against a server that keeps DELETING for `cloudDelete`,
// as a cloud delete takes time). The baseline of each section is one delete,
// measured in the same run; the target is "close(10) under 1 s" locally and
// "close(10) ≈ one delete" for `bay.sessions` with cloud waits.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import type * as Scope from "effect/Scope"

import type * as Report from "./Report.js"

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// Creates 10 sessions in a scope (not timed), then times only the scope's close.
const closeTime = (
  acquire: (bay: AgentBay.AgentBay.Service) => Effect.Effect<unknown, unknown, Scope.Scope>
) =>
  Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    let closedAt = 0
    const start = yield* Effect.scoped(Effect.gen(function*() {
      yield* acquire(bay)
      // The last finalizer added runs first: its time is when the close began.
      yield* Effect.addFinalizer(() => Effect.sync(() => (closedAt = performance.now())))
      return 0
    }))
    return start + performance.now() - closedAt
  })

const forEachSessions = (bay: AgentBay.AgentBay.Service) =>
  Effect.forEach(Array.from({ length: 10 }), () => bay.session(), { concurrency: 5 })
const sessions10 = (bay: AgentBay.AgentBay.Service) => bay.sessions(10)
const oneDelete = Effect.gen(function*() {
  const bay = yield* AgentBay.AgentBay
  const s = yield* bay.create()
  const start = performance.now()
  yield* bay.delete(s)
  return performance.now() - start
})

const section = async (
  title: string,
  layer: ReturnType<typeof AgentBayLocal.layer>,
  rounds: number
) => {
  const runtime = ManagedRuntime.make(layer)
  try {
    const rows: Array<[string, Array<number>]> = [
      ["one delete (baseline)", []],
      ["close scope: Effect.forEach(10, bay.session, { concurrency: 5 })", []],
      ["close scope: bay.sessions(10)", []]
    ]
    for (let r = 0; r < rounds; r++) {
      rows[0]![1].push(await runtime.runPromise(oneDelete))
      rows[1]![1].push(await runtime.runPromise(closeTime(forEachSessions)))
      rows[2]![1].push(await runtime.runPromise(closeTime(sessions10)))
    }
    const base = median(rows[0]![1])
    console.log(`\n${title} (${rounds} rounds, median ms)`)
    for (const [name, xs] of rows) {
      const m = median(xs)
      console.log(`  ${name.padEnd(66)} ${m.toFixed(1).padStart(8)} ms  ${(m / base).toFixed(2).padStart(6)}x`)
    }
    return { base, forEach: median(rows[1]![1]), sessions: median(rows[2]![1]) }
  } finally {
    await runtime.dispose()
  }
}

export const release = async (
  ctx: Report.Context | undefined,
  options: { readonly rounds: number; readonly cloudDelete: Duration.DurationInput }
) => {
  const local = await section(
    "Closing a scope of 10 sessions, embedded local runtime, default options",
    AgentBayLocal.layer(),
    options.rounds
  )
  const cloud = await section(
    `Same, cloud default waits (delete polled every 1 s; the server keeps DELETING for ${String(options.cloudDelete)})`,
    AgentBayLocal.layer({ waits: AgentBay.cloudWaits, deleteDelay: options.cloudDelete }),
    Math.min(options.rounds, 2)
  )
  const ok = (b: boolean) => b ? "met" : "NOT met"
  console.log(
    `local: close(10) ${local.forEach.toFixed(0)} ms with Effect.forEach, ${
      local.sessions.toFixed(0)
    } ms with bay.sessions: target < 1000 ms ${ok(Math.max(local.forEach, local.sessions) < 1000)}`
  )
  console.log(
    `cloud waits: bay.sessions close(10) = ${
      (cloud.sessions / cloud.base).toFixed(2)
    }x one delete (target about 1x; Effect.forEach's sequential finalizers: ${
      (cloud.forEach / cloud.base).toFixed(1)
    }x)`
  )
  ctx?.report.section("release", {
    rounds: options.rounds,
    cloudDelete: String(options.cloudDelete),
    localMs: local,
    cloudMs: cloud
  })
  ctx?.report.goal({
    id: "R",
    goal: "close a scope of 10 sessions, local runtime",
    target: "< 1000 ms",
    value: `${local.forEach.toFixed(0)} ms (Effect.forEach), ${local.sessions.toFixed(0)} ms (bay.sessions)`,
    met: Math.max(local.forEach, local.sessions) < 1000
  })
  ctx?.report.goal({
    id: "R",
    goal: "bay.sessions(10) close / one delete, cloud waits",
    target: "about 1x",
    value: `${(cloud.sessions / cloud.base).toFixed(2)}x`,
    met: "reported"
  })
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await release(undefined, {
    rounds: Number(process.env.BENCH_ROUNDS ?? 3),
    cloudDelete: (process.env.BENCH_CLOUD_DELETE ?? "1 second") as Duration.DurationInput
  })
}
