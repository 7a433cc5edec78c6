// Leaks with persistence: scoped workflows that mount a context
// (`bay.session({ contextSync, release: { syncContext: true } })`: a download
// at create, an upload at the release), write files of random sizes into it,
// and may fail on purpose or be interrupted at a random point, under the same
// faults between the SDK and the local runtime (bubblewrap) as Leaks.test.ts.
// Afterwards, once `reap` has saved and deleted what releases left in place
// (a failed sync leaves its session, by design) and a sweep what a fault on a
// release's own calls leaked (each named in a warning): no live session, no sandbox
// process or tree, no staging file in any context, and every stored file is
// whole: its bytes are one of the versions a workflow wrote, never a prefix.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { captureWarnings, faultyHttp, localSdk, noOutcomes, runCounted } from "./faults.js"
import { eventually, figure, filesBelow, processesUnder, type Rng, rng, seedOf } from "./utils.js"

const workflowCount = 150
const contextCount = 4
const mount = "/home/wuying/ctx"

/** One workflow, decided before anything runs (so a seed names the same plans). */
interface Plan {
  readonly n: number
  readonly context: number
  /** Each write: a file name (few, so that workflows overwrite each other's) and a size. */
  readonly writes: ReadonlyArray<{ readonly file: string; readonly size: number }>
  readonly failAtEnd: boolean
  readonly interruptAfterMs: number | undefined
}

const plan = (r: Rng, n: number): Plan => ({
  n,
  context: r.int(contextCount),
  writes: Array.from(
    { length: r.between(1, 3) },
    () => ({ file: `f${r.int(3)}.txt`, size: r.between(10, 256 * 1024) })
  ),
  failAtEnd: r.chance(0.1),
  interruptAfterMs: r.chance(0.3) ? r.int(600) : undefined
})

/** Every version written, by `<contextId>/<file name>`. */
type Written = Map<string, ReadonlyArray<string>>

/**
 * Whether stored bytes are whole: one of the versions written, or a write cut
 * between its calls. (`writeFile` sends a file past `McpTool.chunkSize` bytes
 * as a write, then appends, as the official client does; a workflow cut
 * between them leaves that prefix in the sandbox, and the release saves what
 * the sandbox holds.) A torn upload would be any other prefix.
 */
const judge = (versions: ReadonlyArray<string>, bytes: string): "whole" | "cutWrite" | "broken" =>
  versions.includes(bytes)
    ? "whole"
    : bytes.length % McpTool.chunkSize === 0 && versions.some((v) => v.length > bytes.length && v.startsWith(bytes))
    ? "cutWrite"
    : "broken"

/** A version's bytes: a header naming it, filler, and an end mark (so that a prefix is never a version). */
const version = (p: Plan, i: number, size: number) => `wf=${p.n} write=${i}\n${"x".repeat(size)}\nEND\n`

const workflow = (bay: AgentBay.AgentBay.Service, p: Plan, contextId: string, written: Written) =>
  Effect.scoped(Effect.gen(function*() {
    const s = yield* bay.session({
      labels: { wf: String(p.n) },
      contextSync: [{ contextId, path: mount }],
      release: { syncContext: true }
    })
    for (const [i, w] of p.writes.entries()) {
      const bytes = version(p, i, w.size)
      // Noted before the write: a lost answer may still have written it.
      written.set(`${contextId}/${w.file}`, [...(written.get(`${contextId}/${w.file}`) ?? []), bytes])
      yield* s.filesystem.writeFile(`${mount}/${w.file}`, bytes)
    }
    if (p.failAtEnd) return yield* Effect.fail("the workflow gave up" as const)
  }))

describe("leaks with contexts", () => {
  it.live(
    `the local runtime (bubblewrap): ${workflowCount} scoped workflows syncing contexts under faults and interruptions leave no live session, no staging file and only whole files`,
    () => {
      const seed = seedOf("leaks/contexts")
      const r = rng(seed)
      const faults: Record<string, number> = {}
      const key = Redacted.make("akl-chaos-context-leaks-0123456789")
      const server = AgentBayLocal.layerServer({
        apiKeys: [key],
        isolation: "bubblewrap",
        transitionDelay: "50 millis"
      })
      const warnings = captureWarnings()
      const clean = localSdk(key, NodeHttpClient.layerUndici)
      return Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const contexts = yield* Effect.flatMap(
          AgentBay.AgentBay,
          (bay) =>
            Effect.forEach(
              Array.from({ length: contextCount }, (_, i) => i),
              (i) => Effect.map(bay.context.create(`chaos-leaks-${i}`), (c) => c.id)
            )
        ).pipe(Effect.provide(clean))
        const plans = Array.from({ length: workflowCount }, (_, n) => plan(r, n))
        const written: Written = new Map()
        const outcomes = noOutcomes()
        const started = Date.now()
        yield* Effect.flatMap(
          AgentBay.AgentBay,
          (bay) =>
            Effect.forEach(
              plans,
              (p) => runCounted(workflow(bay, p, contexts[p.context]!, written), p.interruptAfterMs, outcomes),
              {
                concurrency: 12,
                discard: true
              }
            )
        ).pipe(Effect.provide(localSdk(key, faultyHttp(r, faults))))
        const seconds = (Date.now() - started) / 1000

        // A client without faults reaps what releases left in place on purpose (their sync failed,
        // labelled). Every other session left live must be named in a release warning (a release makes
        // one attempt; a fault on its sync, label or delete leaks, loudly); a sweep then deletes those,
        // with their sync.
        const releaseWarnings = warnings.lines.filter((l) => l.includes("releasing session") || l.includes("could not"))
        const { live, reaped, silent, swept } = yield* Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          const reaped = Chunk.toArray(yield* Stream.runCollect(AgentBay.reap()))
          const left = Chunk.toArray(yield* Stream.runCollect(bay.list()))
          const silent = left.filter((s) => !releaseWarnings.some((l) => l.includes(s.id))).map((s) => s.id)
          yield* Effect.forEach(left, (s) => bay.delete(s.id, { syncContext: true }), { concurrency: 8, discard: true })
          const live = Chunk.toArray(yield* Stream.runCollect(bay.list()))
          return { live, reaped, silent, swept: left.length }
        }).pipe(Effect.provide(clean))
        yield* eventually(() => processesUnder(info.dataDir).length === 0, 5_000)
        const processes = processesUnder(info.dataDir)
        const trees = Fs.readdirSync(Path.join(info.dataDir, "sandboxes"))
        const staging: Array<string> = []
        const broken: Array<string> = []
        let stored = 0
        let cutWrites = 0
        for (const id of contexts) {
          const dir = Path.join(info.dataDir, "contexts", id)
          const stage = Path.join(dir, "staging")
          for (const f of Fs.existsSync(stage) ? Fs.readdirSync(stage) : []) staging.push(`${id}/staging/${f}`)
          const files = Fs.existsSync(Path.join(dir, "files")) ? filesBelow(Path.join(dir, "files")) : []
          for (const file of files) {
            stored++
            const bytes = Fs.readFileSync(file, "utf8")
            const verdict = judge(written.get(`${id}/${Path.basename(file)}`) ?? [], bytes)
            if (verdict === "cutWrite") cutWrites++
            if (verdict === "broken") {
              broken.push(
                `${Path.relative(info.dataDir, file)} (${bytes.length} bytes: ${bytes.slice(0, 24)}…${
                  JSON.stringify(bytes.slice(-8))
                })`
              )
            }
          }
        }
        figure("leaks/contexts", {
          workflows: plans.length,
          faults,
          outcomes,
          seconds,
          versionsWritten: [...written.values()].reduce((n, v) => n + v.length, 0),
          filesStored: stored,
          cutWrites,
          releaseWarnings: releaseWarnings.length,
          reaped: reaped.length,
          swept,
          live: live.length,
          processes: processes.length,
          trees: trees.length,
          staging: staging.length,
          broken: broken.length
        })
        assert.strictEqual(info.isolation.level, "bubblewrap")
        assert.deepStrictEqual(outcomes.defects, [], "no workflow ends in a defect")
        assert.isAbove(outcomes.interrupted, 0)
        assert.isAbove(stored, 0, "some uploads were stored")
        assert.deepStrictEqual(silent, [], "every session a release left live is named in a warning")
        assert.deepStrictEqual(live.map((s) => `${s.id} ${s.status}`), [], "no live session afterwards")
        assert.deepStrictEqual(processes.map((p) => p.pid), [], "no sandbox process afterwards")
        assert.deepStrictEqual(trees, [], "no sandbox tree afterwards")
        assert.deepStrictEqual(staging, [], "no staging file in any context")
        assert.deepStrictEqual(broken, [], "every stored file is one of the versions written")
      }).pipe(Effect.provide(server), Effect.provide(warnings.layer))
    },
    180_000
  )
})
