// Goal 5: lifecycle operations per second through the full `AgentBay` service
// on the fake (`AgentBayTest.layer()`: the real client over the in-memory HTTP
// transport to the shared backend), in this process. One cycle is five
// operations: create, get, betaPauseAsync, betaResumeAsync, delete (settling at
// once, the fake's default), in one Effect program.
//
// - A fresh fake per round of 200 cycles (1,000 operations), as a test suite
//   uses it (each test its own fake): the figure judged against the goal.
// - One long-lived fake, batch after batch within a time budget: whether the
//   rate holds as the fake accumulates sessions and recorded calls.
// - What a test pays to build its own fake (a fresh layer and one create).
// - When the rate misses the goal (or BENCH_PROFILE=1): CPU profiles of a fresh
//   fake's cycles and of the long-lived fake's last batch, with the top costs.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"

import * as Bench from "./Bench.js"
import * as Measure from "./Measure.js"
import * as Profile from "./profile.js"
import type * as Report from "./Report.js"

export const TARGET = 20_000
const OPS_PER_CYCLE = 5

const cycles = (n: number) =>
  Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    for (let i = 0; i < n; i++) {
      const s = yield* bay.create()
      yield* bay.get(s.id)
      yield* bay.betaPauseAsync(s.id)
      yield* bay.betaResumeAsync(s.id)
      yield* bay.delete(s.id)
    }
  })

type Fake = ManagedRuntime.ManagedRuntime<AgentBay.Services | AgentBayTest.Backend, never>

const opsPerSecond = async (runtime: Fake, n: number) => {
  const t0 = performance.now()
  await runtime.runPromise(cycles(n))
  return (n * OPS_PER_CYCLE) / ((performance.now() - t0) / 1000)
}

export const fake = async (
  ctx: Report.Context,
  options: {
    readonly cycles: number
    readonly rounds: number
    readonly longBatch: number
    readonly longBudgetMs: number
    readonly fresh: number
    readonly profileCycles: number
    readonly profile: boolean
  }
) => {
  // Fresh fakes: the goal's figure.
  const freshRounds: Array<number> = []
  for (let r = 0; r < options.rounds; r++) {
    const runtime: Fake = ManagedRuntime.make(AgentBayTest.layer())
    await runtime.runPromise(cycles(10)) // builds the layer, warms the path
    freshRounds.push(await opsPerSecond(runtime, options.cycles))
    await runtime.dispose()
  }
  const rate = Bench.median(freshRounds)

  // One long-lived fake.
  const long: Fake = ManagedRuntime.make(AgentBayTest.layer())
  try {
    const batches: Array<{ readonly cyclesBefore: number; readonly opsPerSecond: number }> = []
    const end = Date.now() + options.longBudgetMs
    let done = 0
    while (batches.length < 2 || (Date.now() < end && batches.length < 50)) {
      batches.push({ cyclesBefore: done, opsPerSecond: await opsPerSecond(long, options.longBatch) })
      done += options.longBatch
    }
    const requests = await long.runPromise(Effect.flatMap(AgentBayTest.Backend, (b) => b.callCount()))

    // A test's own fake: build the layer, create one session, close.
    const fresh = await Measure.timed(
      options.fresh,
      1,
      () =>
        Effect.runPromise(
          Effect.provide(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()), AgentBayTest.layer())
        )
    )

    console.log(`\n=== 5. The fake (AgentBayTest.layer()): cycles of create, get, pause, resume, delete`)
    console.log(`load average ${Bench.load()}`)
    const first = batches[0]!
    const last = batches[batches.length - 1]!
    Measure.table(["", "value"], [
      [
        `operations per second, fresh fake, ${options.cycles * OPS_PER_CYCLE} ops (median of ${options.rounds})`,
        Measure.fmt(rate, 0)
      ],
      ["  per round", freshRounds.map((x) => Measure.fmt(x, 0)).join(" ")],
      ["  µs per operation", Measure.fmt(1e6 / rate, 1)],
      [
        `one long-lived fake, batches of ${options.longBatch * OPS_PER_CYCLE} ops: first batch ops/s`,
        Measure.fmt(first.opsPerSecond, 0)
      ],
      [
        `  last batch (after ${last.cyclesBefore * OPS_PER_CYCLE} ops, ${requests} requests recorded)`,
        Measure.fmt(last.opsPerSecond, 0)
      ],
      ["wire requests per operation", Measure.fmt(requests / (done * OPS_PER_CYCLE), 2)],
      ["fresh fake + one create, ms (p50)", Measure.fmt(Measure.percentile(fresh.ms, 50), 2)]
    ])

    let profiles: Record<string, Profile.Summary> | undefined
    if (options.profile || rate < TARGET) {
      const runtime: Fake = ManagedRuntime.make(AgentBayTest.layer())
      await runtime.runPromise(cycles(10))
      const freshProfile = Profile.summarize(
        await Profile.cpuProfile(async () => {
          await runtime.runPromise(cycles(options.profileCycles))
        })
      )
      await runtime.dispose()
      Profile.print(`CPU profile, fresh fake, ${options.profileCycles} cycles`, freshProfile)
      const longProfile = Profile.summarize(
        await Profile.cpuProfile(async () => {
          await long.runPromise(cycles(options.profileCycles))
        })
      )
      Profile.print(
        `CPU profile, the long-lived fake (${requests} requests recorded), ${options.profileCycles} cycles`,
        longProfile
      )
      profiles = { fresh: freshProfile, longLived: longProfile }
    }
    ctx.report.section("fake", {
      opsPerCycle: OPS_PER_CYCLE,
      fresh: { opsPerRound: options.cycles * OPS_PER_CYCLE, opsPerSecond: rate, rounds: freshRounds },
      longLived: { opsPerBatch: options.longBatch * OPS_PER_CYCLE, batches, requestsRecorded: requests },
      requestsPerOp: requests / (done * OPS_PER_CYCLE),
      freshFakeMs: Measure.latency(fresh.ms),
      profiles
    })
    ctx.report.goal({
      id: "5",
      goal: "fake: lifecycle operations per second (fresh fake)",
      target: `>= ${TARGET.toLocaleString("en-US")}`,
      value: `${Measure.fmt(rate, 0)} ops/s (${Measure.fmt(1e6 / rate, 0)} µs each); long-lived fake: ` +
        `${Measure.fmt(first.opsPerSecond, 0)} → ${Measure.fmt(last.opsPerSecond, 0)} ops/s`,
      met: rate >= TARGET
    })
  } finally {
    await long.dispose()
  }
}
