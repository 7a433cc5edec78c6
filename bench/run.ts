// `pnpm bench` (and `pnpm bench:smoke`): the SDK, the local runtime and the fake
// against baselines measured in the same run; every figure is a ratio to its
// baseline or an absolute figure next to one. See BENCHMARKS.md for what each
// section runs and why.
//
//   1  perCall.ts     per-call overhead vs raw node:http keep-alive (trivial server)
//   2  concurrent.ts  16 concurrent callers vs raw node:http
//   3  local.ts       the local server: per call, and GetSession throughput vs a trivial Node server
//   3  lifecycle.ts   create→usable, delete→gone (bubblewrap), sequential and 16 callers
//   7  tools.ts       5 MiB files vs a raw copy; executeCommand("true") vs a bare sandbox spawn
//   4  scale.ts       50..500 live sessions: RSS per session, list latency
//   5  fake.ts        the fake's operations per second (+ a CPU profile when it misses)
//   6  listStream.ts  10,000 sessions through bay.list's Stream: requests, heap
//   R  release.ts     closing a scope of 10 sessions
//
// Output: the sections' tables, then the goals' table, on stdout; the results as
// JSON in bench/results/<YYYY-MM-DD>.json (a smoke run: in the temp dir). The
// exit code is non-zero only when a section crashed, never for a missed goal.
//
// Arguments and environment: --smoke (or BENCH_SMOKE=1) runs every section with
// tiny counts, in well under a minute; BENCH_ONLY=perCall,fake runs only those
// sections; BENCH_N (calls per round of section 1, default 1000), BENCH_ROUNDS
// (default 9), BENCH_COMPARE=1 (section 1 also compares HTTP clients),
// BENCH_PROFILE=1 (profile the fake even when it meets its goal), BENCH_LOCAL=0
// and BENCH_RELEASE=0 (skip those sections, as before).
import * as Bench from "./Bench.js"
import { concurrent } from "./concurrent.js"
import { fake } from "./fake.js"
import { lifecycle } from "./lifecycle.js"
import { listStream } from "./listStream.js"
import { local } from "./local.js"
import { perCall, TARGET } from "./perCall.js"
import { release } from "./release.js"
import * as Report from "./Report.js"
import { scale } from "./scale.js"
import { tools } from "./tools.js"

const smoke = process.argv.includes("--smoke") || process.env.BENCH_SMOKE === "1"
const N = Number(process.env.BENCH_N ?? (smoke ? 50 : 1000))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (smoke ? 2 : 9))
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter((s) => s !== "")
const skip = new Set([
  ...(process.env.BENCH_LOCAL === "0" ? ["local"] : []),
  ...(process.env.BENCH_RELEASE === "0" ? ["release"] : [])
])
// A last resort if the machine is far too slow: the children exit with our stdin pipes.
setTimeout(() => {
  console.error(`bench: still running after ${smoke ? 120 : 420} s, giving up`)
  process.exit(1)
}, (smoke ? 120 : 420) * 1000).unref()

const report = new Report.Report(smoke ? "smoke" : "full")
const ctx: Report.Context = { smoke, report }
const m = report.machine
console.log(
  `pnpm bench${smoke ? " (smoke: tiny counts)" : ""}: Node ${m.node}, ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, ` +
    `bwrap ${
      m.bwrap.present ? "present" : "absent"
    }, load average ${Bench.load()}, ${report.processesStart} processes running`
)

const sections: ReadonlyArray<readonly [string, () => Promise<void>]> = [
  [
    "perCall",
    () =>
      perCall(ctx, {
        n: N,
        rounds: ROUNDS,
        compare: process.env.BENCH_COMPARE === "1",
        budgetMs: smoke ? 5_000 : 35_000
      })
  ],
  ["concurrent", () => concurrent(ctx, smoke ? { windowMs: 150, rounds: 1 } : { windowMs: 1_500, rounds: 4 })],
  ["local", () =>
    local(ctx, {
      n: Math.max(smoke ? 20 : 100, Math.floor(N / 4)),
      rounds: Math.min(ROUNDS, 5),
      budgetMs: smoke ? 3_000 : 10_000,
      target: TARGET,
      ...(smoke ? { windowMs: 150, rateRounds: 1 } : { windowMs: 1_500, rateRounds: 4 })
    })],
  ["lifecycle", () => lifecycle(ctx, smoke ? { sequential: 5, concurrent: 16 } : { sequential: 100, concurrent: 160 })],
  ["tools", () => tools(ctx, smoke ? { mib: 0.25, rounds: 1, commands: 3 } : { mib: 5, rounds: 3, commands: 30 })],
  [
    "scale",
    () => scale(ctx, smoke ? { checkpoints: [2, 5], deletes: 2 } : { checkpoints: [50, 100, 200, 500], deletes: 20 })
  ],
  ["fake", () =>
    fake(ctx, {
      ...(smoke
        ? { cycles: 20, rounds: 2, longBatch: 20, longBudgetMs: 500, fresh: 3, profileCycles: 10 }
        : { cycles: 200, rounds: 3, longBatch: 400, longBudgetMs: 10_000, fresh: 20, profileCycles: 100 }),
      profile: process.env.BENCH_PROFILE === "1" || smoke
    })],
  ["listStream", () => listStream(ctx, { sessions: smoke ? 300 : 10_000 })],
  [
    "release",
    () => release(ctx, { rounds: Math.min(ROUNDS, smoke ? 1 : 3), cloudDelete: smoke ? "0 millis" : "1 second" })
  ]
]

for (const [name, run] of sections) {
  if ((only !== undefined && !only.includes(name)) || skip.has(name)) continue
  const t0 = Date.now()
  try {
    await run()
  } catch (error) {
    report.error(name, error)
    console.log(`\nsection ${name} CRASHED:`, error)
  }
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)`)
}

report.print()
console.log(`results: ${report.write()}`)
process.exit(report.errors.length === 0 ? 0 : 1)
