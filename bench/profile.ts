// A CPU profile of a piece of the bench (node:inspector, in this process or in
// a bench child: bench/localServer.ts profiles itself when asked) and
// where its time goes: self time by area (our packages by file, Effect and the
// platform by module, Node internals, GC), the hottest functions by self time,
// and our functions by inclusive time (each sample counted once per function on
// its stack), so that a missed goal comes with its top costs.
import * as Fs from "node:fs"
import * as Inspector from "node:inspector/promises"
import { findSourceMap } from "node:module"

import * as Bench from "./Bench.js"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
export interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export interface Cost {
  readonly name: string
  readonly ms: number
  readonly share: number
}

export interface Summary {
  readonly totalMs: number
  readonly byGroup: ReadonlyArray<Cost>
  readonly byArea: ReadonlyArray<Cost>
  readonly selfTop: ReadonlyArray<Cost>
  readonly oursInclusiveTop: ReadonlyArray<Cost>
}

/** Runs `work` under the CPU profiler (sampling every 100 µs). */
export const cpuProfile = async (work: () => Promise<void>): Promise<Profile> => {
  const session = new Inspector.Session()
  session.connect()
  try {
    await session.post("Profiler.enable")
    await session.post("Profiler.setSamplingInterval", { interval: 100 })
    await session.post("Profiler.start")
    await work()
    const { profile } = await session.post("Profiler.stop")
    return profile as unknown as Profile
  } finally {
    session.disconnect()
  }
}

/**
 * Runs `work` while a bench child (bench/localServer.ts) profiles itself; the
 * child's profile, or undefined if it did not arrive within 15 s.
 */
export const childProfile = async (
  child: Bench.Child,
  work: () => Promise<void>
): Promise<Profile | undefined> => {
  const file = Bench.answerFile("profile")
  child.send(`profile-start ${file}`)
  await new Promise((r) => setTimeout(r, 200))
  try {
    await work()
  } finally {
    child.send("profile-stop")
  }
  return (await Bench.waitForFile(file)) as Profile | undefined
}

const ours = /\/packages\/([^/]+)\/src\/(.+)$/

/**
 * Where a frame's code lives: `core/internal/rpc.ts`, `effect/internal/fiberRuntime`,
 * `(node)`, `(native all)`, `(gc)`.
 */
export const area = (frame: CallFrame): string => {
  const url = frame.url
  if (url === "") {
    if (frame.functionName === "(garbage collector)") return "(gc)"
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") return frame.functionName
    return `(native ${frame.functionName || "?"})`
  }
  const own = url.match(ours)
  if (own) return `${own[1]}/${own[2]}`
  if (url.startsWith("node:")) return "(node)"
  const bench = url.match(/\/bench\/([^/]+)$/)
  if (bench) return `bench/${bench[1]}`
  const i = url.lastIndexOf("/node_modules/")
  if (i >= 0) {
    const rest = url.slice(i + "/node_modules/".length).split("/")
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!
    const file = rest.slice(rest[0]!.startsWith("@") ? 2 : 1).join("/")
      .replace(/^dist\/(esm|cjs)\//, "").replace(/\.(js|mjs|cjs)$/, "")
    return pkg === "effect" || pkg.startsWith("@effect/") ? `${pkg}/${file}` : pkg
  }
  return url.replace(/^file:\/\//, "")
}

/** A coarser grouping of `area`, for the headline of a profile. */
export const group = (a: string): string => {
  if (a === "(gc)") return "garbage collection"
  if (/^effect\/(Schema|ParseResult|SchemaAST)$/.test(a)) return "Schema encode/decode (effect/Schema, ParseResult)"
  if (a === "effect/internal/tracer") return "spans (effect/internal/tracer)"
  if (a.startsWith("effect/")) return "Effect runtime (fibers, refs, context, streams, ...)"
  if (
    /^\(native (all|get|run|iterate|prepare|exec)\)$/.test(a) || a.startsWith("@effect/sql") || a === "better-sqlite3"
  ) {
    return "SQLite (better-sqlite3 statements, @effect/sql client)"
  }
  if (a.startsWith("(native ")) return "native (sockets, timers, ...)"
  if (a.startsWith("bench/")) return "the bench itself"
  if (a.startsWith("@effect/platform") || a === "find-my-way-ts") {
    return "@effect/platform HTTP (router, request, response, body)"
  }
  if (a === "(node)") return "Node internals (web Request/Response/Headers, AbortSignal, ...)"
  const own = a.match(/^(core|backend|testing|local|platform-node)\//)
  if (own) return `ours: ${own[1]}`
  return "other"
}

const sources = new Map<string, ReadonlyArray<string>>()
const sourceLines = (url: string): ReadonlyArray<string> => {
  let lines = sources.get(url)
  if (lines === undefined) {
    try {
      lines = Fs.readFileSync(new URL(url), "utf8").split("\n")
    } catch {
      lines = []
    }
    sources.set(url, lines)
  }
  return lines
}

// tsx compiles our TypeScript (to one line per file): its source maps give the
// line in our source, and the line's text names an anonymous function.
const located = new Map<string, string>()
const fnKey = (frame: CallFrame) => {
  const raw = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`
  const known = located.get(raw)
  if (known !== undefined) return known
  let where = `${area(frame)}:${frame.lineNumber + 1}`
  let name = frame.functionName || "(anonymous)"
  if (ours.test(frame.url)) {
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber)
    if (entry !== undefined && "originalLine" in entry) {
      where = `${area(frame)}:${entry.originalLine + 1}`
      const text = sourceLines(frame.url)[entry.originalLine]?.trim() ?? ""
      if (frame.functionName === "") name = `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``
    }
  }
  const key = `${where} ${name}`
  located.set(raw, key)
  return key
}

const top = (m: Map<string, number>, total: number, n: number): ReadonlyArray<Cost> =>
  [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({
    name,
    ms: us / 1000,
    share: total === 0 ? 0 : us / total
  }))

export const summarize = (profile: Profile, n = 12): Summary => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id)
  const areas = new Map<string, number>()
  const groups = new Map<string, number>()
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  const elapsed = profile.timeDeltas.reduce((a, b) => a + b, 0)
  const perSample = profile.samples.length === 0 ? 0 : elapsed / profile.samples.length
  for (let i = 0; i < profile.samples.length; i++) {
    // Samples count alike: on a loaded machine the sampler itself is starved at
    // times, and weighting by the gap to the next sample would give a whole gap
    // to whichever frame happened to be sampled before it.
    const us = perSample
    const node = byId.get(profile.samples[i]!)
    if (node === undefined || node.callFrame.functionName === "(idle)") continue
    total += us
    const a = area(node.callFrame)
    areas.set(a, (areas.get(a) ?? 0) + us)
    groups.set(group(a), (groups.get(group(a)) ?? 0) + us)
    const key = fnKey(node.callFrame)
    self.set(key, (self.get(key) ?? 0) + us)
    const seen = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame
      if (!ours.test(frame.url)) continue
      const k = fnKey(frame)
      if (seen.has(k)) continue
      seen.add(k)
      inclusive.set(k, (inclusive.get(k) ?? 0) + us)
    }
  }
  return {
    totalMs: total / 1000,
    byGroup: top(groups, total, n),
    byArea: top(areas, total, n),
    selfTop: top(self, total, n),
    oursInclusiveTop: top(inclusive, total, n)
  }
}

export const print = (title: string, s: Summary): void => {
  const pct = (c: Cost) => `${(c.share * 100).toFixed(1).padStart(5)} %`
  console.log(`\n${title}: ${s.totalMs.toFixed(0)} ms of CPU samples`)
  console.log("  self time by kind:")
  for (const c of s.byGroup) console.log(`    ${pct(c)}  ${c.name}`)
  console.log("  self time by area:")
  for (const c of s.byArea) console.log(`    ${pct(c)}  ${c.name}`)
  console.log("  hottest functions (self):")
  for (const c of s.selfTop) console.log(`    ${pct(c)}  ${c.name}`)
  console.log("  our functions (inclusive: the time spent in them and what they call):")
  for (const c of s.oursInclusiveTop) console.log(`    ${pct(c)}  ${c.name}`)
}
