// Helpers of the throughput, latency and memory sections of `pnpm bench`:
// percentiles, concurrent callers, a process tree's memory from /proc, bare
// process spawns (the sandbox baseline) and a small table printer.
import { execFileSync, spawn } from "node:child_process"
import * as Fs from "node:fs"

import * as Effect from "effect/Effect"

/** The `p`-th percentile (nearest rank) of `xs`; NaN when empty. */
export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  if (xs.length === 0) return Number.NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export interface Latency {
  readonly n: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}

export const latency = (xs: ReadonlyArray<number>): Latency => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p99: percentile(xs, 99),
  max: xs.length === 0 ? Number.NaN : Math.max(...xs)
})

/**
 * Runs `op(i)` for i in 0..n-1 with `concurrency` callers pulling from one
 * counter; returns each call's latency in ms (in call order) and the wall time.
 */
export const timed = async (
  n: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>
): Promise<{ readonly ms: ReadonlyArray<number>; readonly wallMs: number }> => {
  const ms = new Array<number>(n)
  let next = 0
  const start = performance.now()
  const caller = async () => {
    while (next < n) {
      const i = next++
      const t0 = performance.now()
      await op(i)
      ms[i] = performance.now() - t0
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, caller))
  return { ms, wallMs: performance.now() - start }
}

/** `callers` async loops calling `call` for `windowMs`; completed calls per second. */
export const rate = async (callers: number, windowMs: number, call: () => Promise<unknown>): Promise<number> => {
  let count = 0
  const start = performance.now()
  const end = start + windowMs
  const caller = async () => {
    while (performance.now() < end) {
      await call()
      count++
    }
  }
  await Promise.all(Array.from({ length: callers }, caller))
  return count / ((performance.now() - start) / 1000)
}

/** Interleaved windows of `rate` per contender, after a warm-up; the median rate of each. */
export const rates = async (
  contenders: ReadonlyArray<{ readonly name: string; readonly rate: (windowMs: number) => Promise<number> }>,
  options: { readonly windowMs: number; readonly rounds: number }
): Promise<
  ReadonlyArray<{ readonly name: string; readonly perSecond: number; readonly rounds: ReadonlyArray<number> }>
> => {
  for (const c of contenders) await c.rate(Math.min(300, options.windowMs))
  const rounds = contenders.map(() => [] as Array<number>)
  for (let r = 0; r < options.rounds; r++) {
    for (const [i, c] of contenders.entries()) rounds[i]!.push(await c.rate(options.windowMs))
  }
  return contenders.map((c, i) => ({ name: c.name, perSecond: percentile(rounds[i]!, 50), rounds: rounds[i]! }))
}

const readProc = (path: string): string | undefined => {
  try {
    return Fs.readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

const kib = (text: string | undefined, field: string): number => {
  const m = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))
  return m === undefined || m === null ? 0 : Number(m[1])
}

/** Every descendant of `root` (not `root` itself), from /proc; empty where /proc is missing. */
export const descendants = (root: number): ReadonlyArray<number> => {
  let names: Array<string>
  try {
    names = Fs.readdirSync("/proc")
  } catch {
    return []
  }
  const children = new Map<number, Array<number>>()
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const stat = readProc(`/proc/${name}/stat`)
    if (stat === undefined) continue
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
    const list = children.get(ppid)
    if (list) list.push(Number(name))
    else children.set(ppid, [Number(name)])
  }
  const out: Array<number> = []
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(root)
  return out
}

export interface TreeMemory {
  /** The process itself. */
  readonly rssKiB: number
  /** Its descendants (the sandboxes' processes): their RSS summed, and their PSS (shared pages split). */
  readonly childrenRssKiB: number
  readonly childrenPssKiB: number
  readonly children: number
}

/** Memory of a process and its descendants, from /proc (zeros elsewhere). */
export const treeMemory = (pid: number): TreeMemory => {
  const kids = descendants(pid)
  let rss = 0
  let pss = 0
  for (const k of kids) {
    rss += kib(readProc(`/proc/${k}/status`), "VmRSS")
    pss += kib(readProc(`/proc/${k}/smaps_rollup`), "Pss")
  }
  return {
    rssKiB: kib(readProc(`/proc/${pid}/status`), "VmRSS"),
    childrenRssKiB: rss,
    childrenPssKiB: pss,
    children: kids.length
  }
}

/** The bwrap on PATH and its version, or undefined. */
export const bwrap: { readonly path: string; readonly version: string } | undefined = (() => {
  try {
    const path = execFileSync("sh", ["-c", "command -v bwrap"], { encoding: "utf8" }).trim()
    if (path === "") return undefined
    return { path, version: execFileSync(path, ["--version"], { encoding: "utf8" }).trim() }
  } catch {
    return undefined
  }
})()

/** The sandbox baseline: `bwrap --ro-bind / / true`, or `true` without bwrap. */
export const bareSpawn = bwrap === undefined
  ? { name: "spawn(\"true\")", command: "true", args: [] as ReadonlyArray<string> }
  : { name: "bwrap --ro-bind / / true", command: bwrap.path, args: ["--ro-bind", "/", "/", "true"] }

/** Spawns `command` and resolves when it exits (failing on a non-zero exit). */
export const spawnExit = (command: string, args: ReadonlyArray<string>): Promise<void> =>
  new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: "ignore" })
    proc.once("error", reject)
    proc.once("exit", (code) => code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`)))
  })

/** Prints rows as a left-aligned first column and right-aligned others. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): void => {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)))
  for (const r of all) {
    console.log(r.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join("  "))
  }
}

export const fmt = (x: number, digits = 1): string => Number.isFinite(x) ? x.toFixed(digits) : "n/a"

/**
 * `callers` fibers in one Effect program, each running `call` until `windowMs`
 * has passed: the calls per second of them all together.
 */
export const fiberRate = <E, R>(call: Effect.Effect<unknown, E, R>, callers: number, windowMs: number) =>
  Effect.gen(function*() {
    let count = 0
    const start = performance.now()
    const end = start + windowMs
    const caller = Effect.whileLoop({
      while: () => performance.now() < end,
      body: () => call,
      step: () => {
        count++
      }
    })
    yield* Effect.all(Array.from({ length: callers }, () => caller), { concurrency: "unbounded", discard: true })
    return count / ((performance.now() - start) / 1000)
  })
