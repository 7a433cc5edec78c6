// Leaks: scoped workflows (AgentBay.session / sessions, then random steps:
// labels, gets, pause and resume, files, lists, sleeps) under injected faults
// (transport errors, 503 envelopes, timeouts, slow calls, slow transitions) and
// random interruptions, against the fake (1,000 workflows) and against the
// local runtime with real bubblewrap sandboxes (1,000 as well: each create and
// delete starts and kills a sandbox). Afterwards no session is live, and on the local
// runtime no sandbox process or tree is left. No workflow may end in a defect.
//
// Faults never hit the release's DeleteSessionAsync before it is sent: the
// release makes one delete attempt (by design, house style §9), so such a fault
// leaks the session; a separate test shows that such a leak is never silent
// (the warning names the session) and that a sweep removes it.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { ApiError, TransportError } from "@effect-agentbay/core/AgentBayError"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { captureWarnings, fastWaits, faultyHttp, localSdk, noOutcomes, runCounted } from "./faults.js"
import { eventually, figure, processesUnder, type Rng, rng, root, seedOf, stopChild } from "./utils.js"

// ---------------------------------------------------------------------------
// Workflows
// ---------------------------------------------------------------------------

type Step = "labels" | "getLabels" | "get" | "pauseResume" | "files" | "list" | "sleep"
const steps: ReadonlyArray<Step> = ["labels", "getLabels", "get", "pauseResume", "files", "list", "sleep"]

/** One workflow, decided before anything runs (so a seed names the same plans). */
interface Plan {
  readonly n: number
  /** 1: `session()`; more: `sessions(count)`. */
  readonly count: number
  readonly steps: ReadonlyArray<Step>
  readonly sleepMs: number
  /** The workflow fails on purpose at its end (its scope closes with a failure). */
  readonly failAtEnd: boolean
  /** Interrupted this long after it starts, or runs to its end. */
  readonly interruptAfterMs: number | undefined
}

const plan = (r: Rng, n: number): Plan => ({
  n,
  count: r.chance(0.1) ? r.between(2, 3) : 1,
  steps: Array.from({ length: r.between(1, 4) }, () => r.pick(steps)),
  sleepMs: r.int(30),
  failAtEnd: r.chance(0.1),
  interruptAfterMs: r.chance(0.3) ? r.int(150) : undefined
})

const workflow = (bay: AgentBay.AgentBay.Service, p: Plan) =>
  Effect.scoped(Effect.gen(function*() {
    const labels = { wf: String(p.n) }
    const all = p.count === 1
      ? [yield* bay.session({ labels })]
      : yield* bay.sessions(Array.from({ length: p.count }, () => ({ labels })), { concurrency: 2 })
    const s = all[0]!
    for (const [i, step] of p.steps.entries()) {
      switch (step) {
        case "labels":
          yield* s.setLabels({ wf: String(p.n), step: String(i) })
          break
        case "getLabels":
          yield* s.getLabels()
          break
        case "get":
          yield* bay.get(s.id)
          break
        case "pauseResume":
          yield* bay.betaPauseAsync(s)
          yield* bay.betaResumeAsync(s)
          break
        case "files":
          yield* s.filesystem.writeFile("/home/wuying/wf.txt", `workflow ${p.n}`)
          yield* s.filesystem.readFile("/home/wuying/wf.txt")
          break
        case "list":
          yield* Stream.runCollect(bay.list({ labels: { wf: String(p.n) } }))
          break
        case "sleep":
          yield* Effect.sleep(`${p.sleepMs} millis`)
          break
      }
    }
    if (p.failAtEnd) return yield* Effect.fail("the workflow gave up" as const)
  }))

/**
 * Runs every plan, `concurrency` at a time, interrupting those planned to be;
 * `before` runs as each one starts (the fake's faults are queued there).
 */
const runAll = (
  bay: AgentBay.AgentBay.Service,
  plans: ReadonlyArray<Plan>,
  concurrency: number,
  before: Effect.Effect<void> = Effect.void
) =>
  Effect.gen(function*() {
    const outcomes = noOutcomes()
    yield* Effect.forEach(
      plans,
      (p) => Effect.zipRight(before, runCounted(workflow(bay, p), p.interruptAfterMs, outcomes)),
      { concurrency, discard: true }
    )
    return outcomes
  })

// ---------------------------------------------------------------------------
// Faults on the fake
// ---------------------------------------------------------------------------

type FakeMethod = AgentBayTest.Method

const faultable: ReadonlyArray<FakeMethod> = [
  "createMcpSession",
  "getSession",
  "getSessionDetail",
  "setLabel",
  "getLabel",
  "pauseSessionAsync",
  "resumeSessionAsync",
  "listSession",
  "callMcpTool"
]

/** Queues a few faults and delays before a workflow starts; they hit whichever calls come next. */
const injectFake = (
  backend: AgentBayTest.Backend["Type"],
  r: Rng,
  methods: ReadonlyArray<FakeMethod>,
  counts: Record<string, number>
) =>
  Effect.gen(function*() {
    // About one workflow in three meets a fault or a delay, one in ten two of them.
    for (let i = r.chance(0.3) ? (r.chance(0.3) ? 2 : 1) : 0; i > 0; i--) {
      const method = r.pick(methods)
      const action = method[0]!.toUpperCase() + method.slice(1)
      const kind = r.pick(["transport", "timeout", "503", "slow"] as const)
      counts[kind] = (counts[kind] ?? 0) + 1
      if (kind === "slow") {
        yield* backend.delayNext(method, `${r.between(5, 60)} millis`)
        continue
      }
      const error = kind === "503"
        ? new ApiError({ action, code: "ServiceUnavailable", description: "chaos: injected 503", status: 503 })
        : new TransportError({ action, reason: kind === "timeout" ? "Timeout" : "Network", cause: "chaos: injected" })
      yield* backend.failNext(method, error as never)
    }
    if (r.chance(0.05)) {
      counts.transitionDelay = (counts.transitionDelay ?? 0) + 1
      yield* backend.setTransitionDelay(`${r.between(0, 80)} millis`)
    }
  })

const fakeLayer = (warnings: Layer.Layer<never>) =>
  AgentBayTest.layer({ transitionDelay: "20 millis" }).pipe(
    Layer.provide(AgentBay.layerWaits(fastWaits)),
    Layer.provide(warnings)
  )

describe("leaks", () => {
  it.live(
    "the fake: 1,000 scoped workflows under faults and interruptions leave no live session",
    () =>
      Effect.gen(function*() {
        const seed = seedOf("leaks/fake")
        const r = rng(seed)
        const bay = yield* AgentBay.AgentBay
        const backend = yield* AgentBayTest.Backend
        const plans = Array.from({ length: 1_000 }, (_, n) => plan(r, n))
        const faults: Record<string, number> = {}
        const started = Date.now()
        const outcomes = yield* runAll(bay, plans, 50, injectFake(backend, r, faultable, faults))
        // Transitions started by the last releases settle within the largest delay.
        yield* Effect.sleep("200 millis")
        const live = yield* backend.liveSessions
        const created = (yield* backend.sessions).length
        figure("leaks/fake", {
          workflows: plans.length,
          sessionsCreated: created,
          calls: yield* backend.callCount(),
          faults,
          outcomes,
          seconds: (Date.now() - started) / 1000,
          live: live.length
        })
        assert.deepStrictEqual(outcomes.defects, [], "no workflow ends in a defect")
        assert.isAbove(outcomes.interrupted, 0)
        assert.isAbove(Object.values(outcomes.failed).reduce((a, b) => a + b, 0), 0)
        assert.isAbove(created, 500)
        assert.deepStrictEqual(live.map((s) => `${s.id} ${s.status}`), [], "no live session afterwards")
      }).pipe(Effect.provide(fakeLayer(captureWarnings().layer))),
    120_000
  )

  it.live(
    "the fake, with faults on the release's delete too: every leak is named in a warning, and a sweep removes it",
    () => {
      const warnings = captureWarnings()
      return Effect.gen(function*() {
        const seed = seedOf("leaks/fake-delete-faults")
        const r = rng(seed)
        const bay = yield* AgentBay.AgentBay
        const backend = yield* AgentBayTest.Backend
        const plans = Array.from({ length: 300 }, (_, n) => plan(r, n))
        const faults: Record<string, number> = {}
        const methods: ReadonlyArray<FakeMethod> = [...faultable, "deleteSessionAsync", "deleteSessionAsync"]
        const outcomes = yield* runAll(bay, plans, 50, injectFake(backend, r, methods, faults))
        yield* Effect.sleep("200 millis")
        const live = yield* backend.liveSessions
        const named = warnings.lines.filter((l) => l.includes("could not delete session"))
        const silent = live.filter((s) => !named.some((l) => l.includes(s.id)))
        figure("leaks/fake-delete-faults", {
          workflows: plans.length,
          faults,
          leaked: live.length,
          warnings: named.length
        })
        assert.deepStrictEqual(outcomes.defects, [])
        assert.deepStrictEqual(silent.map((s) => s.id), [], "every leaked session is named in a release warning")
        // The sweep: list what is left and delete it.
        // (faults still queued fail some calls of the sweep: it retries)
        const left = Chunk.toArray(yield* Stream.runCollect(bay.list()).pipe(Effect.retry({ times: 50 })))
        yield* Effect.forEach(left, (s) => Effect.retry(bay.delete(s.id), { times: 50 }), {
          concurrency: 8,
          discard: true
        })
        yield* Effect.sleep("200 millis")
        assert.deepStrictEqual((yield* backend.liveSessions).map((s) => s.id), [])
      }).pipe(Effect.provide(fakeLayer(warnings.layer)))
    },
    120_000
  )

  it.live(
    "the local runtime (bubblewrap): 1,000 scoped workflows under faults and interruptions leave no live session, process or tree",
    () => {
      const seed = seedOf("leaks/local")
      const r = rng(seed)
      const faults: Record<string, number> = {}
      const key = Redacted.make("akl-chaos-leaks-0123456789")
      const chaos = faultyHttp(r, faults)
      const server = AgentBayLocal.layerServer({
        apiKeys: [key],
        isolation: "bubblewrap",
        transitionDelay: "50 millis"
      })
      const sdk = (http: Layer.Layer<HttpClient.HttpClient>) => localSdk(key, http)
      return Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const plans = Array.from({ length: 1_000 }, (_, n) => plan(r, n))
        const started = Date.now()
        const outcomes = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => runAll(bay, plans, 16)).pipe(
          Effect.provide(sdk(chaos))
        )
        const seconds = (Date.now() - started) / 1000
        // A client without faults sees what is left.
        const live = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCollect(bay.list())).pipe(
          Effect.map(Chunk.toArray),
          Effect.provide(sdk(NodeHttpClient.layerUndici))
        )
        const sandboxes = Path.join(info.dataDir, "sandboxes")
        // Sandboxes are killed and removed before DeleteSessionAsync answers; allow the exits a moment.
        yield* eventually(() => processesUnder(info.dataDir).length === 0, 5_000)
        const processes = processesUnder(info.dataDir)
        const trees = Fs.readdirSync(sandboxes)
        figure("leaks/local", {
          workflows: plans.length,
          faults,
          outcomes,
          seconds,
          live: live.length,
          processes: processes.length,
          trees: trees.length
        })
        assert.strictEqual(info.isolation.level, "bubblewrap")
        assert.deepStrictEqual(outcomes.defects, [], "no workflow ends in a defect")
        assert.isAbove(outcomes.interrupted, 0)
        assert.deepStrictEqual(live.map((s) => `${s.id} ${s.status}`), [], "no live session afterwards")
        assert.deepStrictEqual(processes.map((p) => p.pid), [], "no sandbox process afterwards")
        assert.deepStrictEqual(trees, [], "no sandbox tree afterwards")
      }).pipe(Effect.provide(server), Effect.provide(captureWarnings().layer))
    },
    300_000
  )

  it.live(
    "reap: the sessions of a SIGKILLed client (short ttl) are found and deleted by another process after their expiry",
    () => {
      const key = Redacted.make("akl-chaos-reap-0123456789")
      const server = AgentBayLocal.layerServer({ apiKeys: [key], isolation: "bubblewrap" })
      const sdk = localSdk(key, NodeHttpClient.layerUndici)
      const count = 4
      const ttlSeconds = 3
      return Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const bay = yield* AgentBay.AgentBay
        // A session of this process, stamped with the default lifetime (1 hour): never reaped here.
        const mine = yield* bay.create({ labels: { origin: "this-process" } })
        // The client: creates its sessions, prints their ids, and is killed before any release.
        const child = spawn(process.execPath, [
          "--import",
          "tsx",
          Path.join(root, "packages/local/chaos/reapChild.ts"),
          info.endpoint,
          Redacted.value(key),
          String(count),
          `${ttlSeconds} seconds`
        ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
        yield* Effect.addFinalizer(() => stopChild(child, "SIGKILL"))
        const created = yield* Effect.async<ReadonlyArray<string>, Error>((resume) => {
          let output = ""
          const timer = setTimeout(() => resume(Effect.fail(new Error(`no ids within 30 s: ${output}`))), 30_000)
          const read = (chunk: Buffer) => {
            output += chunk.toString("utf8")
            const line = output.split("\n").find((l) => l.startsWith("{\"created\""))
            if (line !== undefined) {
              clearTimeout(timer)
              resume(Effect.succeed(JSON.parse(line).created))
            }
          }
          child.stdout!.on("data", read)
          child.stderr!.on("data", read)
          child.once("exit", (code) => {
            clearTimeout(timer)
            resume(Effect.fail(new Error(`the client exited with ${code}: ${output}`)))
          })
        })
        const killedAt = Date.now()
        const killed = yield* stopChild(child, "SIGKILL")
        assert.strictEqual(killed.signal, "SIGKILL")
        assert.strictEqual(created.length, count)
        const liveIds = Effect.map(Stream.runCollect(bay.list()), (c) => Chunk.toArray(c).map((s) => s.id))
        assert.includeMembers(yield* liveIds, [...created], "the killed client's sessions outlive it")
        // Before the expiry: nothing to reap.
        const early = Chunk.toArray(yield* Stream.runCollect(AgentBay.reap()))
        assert.deepStrictEqual(early.filter((r) => created.includes(r.id)), [], "nothing is reaped before its expiry")
        // After it: exactly the killed client's sessions, as expired.
        yield* Effect.sleep(`${Math.max(0, ttlSeconds * 1000 + 1_500 - (Date.now() - killedAt))} millis`)
        const reaped = Chunk.toArray(yield* Stream.runCollect(AgentBay.reap()))
        figure("leaks/reap", { created: created.length, reaped: reaped.length, reasons: reaped.map((r) => r.reason) })
        assert.sameMembers(reaped.map((r) => r.id), [...created], "reap deletes exactly the expired sessions")
        assert.isTrue(reaped.every((r) => r.reason === "expired"))
        const left = yield* liveIds
        assert.deepStrictEqual(left, [mine.id], "only this process's session is left")
        assert.deepStrictEqual(
          Fs.readdirSync(Path.join(info.dataDir, "sandboxes")),
          [mine.id],
          "and only its sandbox tree"
        )
      }).pipe(Effect.provide(sdk), Effect.provide(server), Effect.scoped, Effect.provide(captureWarnings().layer))
    },
    90_000
  )
})
