// Crash durability: the CLI server as a child process (real bubblewrap
// sandboxes) under load (8 workers creating sessions, changing labels,
// pausing, resuming, deleting), SIGKILLed at a random moment, restarted on the
// same data dir; twice. After each restart: every session and label whose
// request was acknowledged (HTTP 200 received) before the kill is there with
// those values (a request cut by the kill may have taken effect or not, and
// nothing else); nothing half-written is visible (every live session has its
// sandbox tree, every tree belongs to a live session, and no session appears
// that no request created); no sandbox process of the killed server survives
// the restart.
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as http from "node:http"
import * as Path from "node:path"
import {
  type Answer,
  type ChildServer,
  descendants,
  eventually,
  figure,
  form,
  formType,
  jsonOf,
  type Proc,
  processesUnder,
  processTable,
  type Rng,
  rng,
  seedOf,
  send,
  serveChild,
  stillAlive,
  stopChild,
  tempDir
} from "./utils.js"

const key = "akl-chaos-crash-0123456789abcdef"
const serverArgs = ["--api-key", key, "--isolation", "bubblewrap", "--transition-delay", "150"]
const workers = 8
const rounds = 2

type Status = "RUNNING" | "PAUSED" | "GONE"
type Labels = Readonly<Record<string, string>>

interface State {
  readonly status: Status
  readonly labels: Labels
}

/** What the client knows of one session: its acknowledged state, and the state a request cut by the kill would give. */
interface Known {
  readonly id: string
  readonly worker: number
  confirmed: State
  /** Set while a request is out; left set when the kill cut it (then either state is right). */
  inflight: State | undefined
}

/** A create whose answer the kill cut: the session may exist (with exactly these labels) or not. */
interface CutCreate {
  readonly tag: string
  readonly labels: Labels
}

interface Model {
  readonly sessions: Map<string, Known>
  readonly cutCreates: Array<CutCreate>
  acknowledged: number
  requests: number
}

const ok = (answer: Answer) => answer._tag === "Response" && answer.status === 200 && jsonOf(answer)?.Success === true

const post = (agent: http.Agent, server: ChildServer, action: string, fields: Record<string, string>) =>
  send(agent, server.port, {
    path: `/?Action=${action}`,
    headers: formType,
    body: form({ Authorization: `Bearer ${key}`, ...fields })
  }, 15_000)

/**
 * One worker: random operations on its own sessions until `stop()`, or until a
 * request goes unanswered (the kill). A request is acknowledged by its 200.
 */
const worker = (w: number, r: Rng, model: Model, server: ChildServer, agent: http.Agent, stop: () => boolean) =>
  Effect.gen(function*() {
    let counter = 0
    while (!stop()) {
      const mine = [...model.sessions.values()].filter((k) => k.worker === w && k.confirmed.status !== "GONE")
      const choice = mine.length < 3 || r.chance(0.25)
        ? "create"
        : r.pick(["labels", "labels", "pause", "resume", "delete"] as const)
      counter++
      model.requests++
      if (choice === "create") {
        const tag = `w${w}-${counter}-${r.int(1e9)}`
        const labels = { worker: String(w), tag, v: "0" }
        const cut: CutCreate = { tag, labels }
        model.cutCreates.push(cut)
        const answer = yield* post(agent, server, "CreateMcpSession", { Labels: JSON.stringify(labels) })
        // Cut by the kill: stays in cutCreates, and this worker is done (no request of it may follow).
        if (answer._tag !== "Response") return
        model.cutCreates.splice(model.cutCreates.indexOf(cut), 1)
        if (ok(answer)) {
          const id = jsonOf(answer).Data.SessionId as string
          model.sessions.set(id, { id, worker: w, confirmed: { status: "RUNNING", labels }, inflight: undefined })
          model.acknowledged++
        }
        continue
      }
      const k = r.pick(mine)
      let action: string
      let fields: Record<string, string> = { SessionId: k.id }
      let next: State
      switch (choice) {
        case "labels": {
          const labels = { ...k.confirmed.labels, v: String(counter), [`k${r.int(4)}`]: `value-${counter}` }
          action = "SetLabel"
          fields = { ...fields, Labels: JSON.stringify(labels) }
          next = { ...k.confirmed, labels }
          break
        }
        case "pause":
          action = "PauseSessionAsync"
          next = { ...k.confirmed, status: "PAUSED" }
          break
        case "resume":
          action = "ResumeSessionAsync"
          next = { ...k.confirmed, status: "RUNNING" }
          break
        case "delete":
          action = "DeleteSessionAsync"
          next = { ...k.confirmed, status: "GONE" }
          break
      }
      k.inflight = next
      const answer = yield* post(agent, server, action, fields)
      if (answer._tag !== "Response") return // cut by the kill: either state; the worker is done
      if (ok(answer)) {
        k.confirmed = next
        model.acknowledged++
      }
      k.inflight = undefined
    }
  })

const statusOf = (wire: string): Status | "OTHER" =>
  wire === "RUNNING"
    ? "RUNNING"
    : wire === "PAUSED"
    ? "PAUSED"
    : wire === "DELETED" || wire === "FINISH"
    ? "GONE"
    : "OTHER"

const sameLabels = (a: Labels, b: Labels) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort())

/** Checks the restarted server against the model; returns the problems found, and settles the model on what is there. */
const verify = (model: Model, server: ChildServer, agent: http.Agent, dataDir: string) =>
  Effect.gen(function*() {
    const problems: Array<string> = []
    // Every live session, page by page.
    const live = new Map<string, Labels>()
    let token = ""
    for (let page = 0; page < 100; page++) {
      const answer = yield* post(agent, server, "ListSession", {
        MaxResults: "100",
        ...(token ? { NextToken: token } : {})
      })
      assert.isTrue(
        ok(answer),
        `ListSession after the restart: ${answer._tag === "Response" ? answer.text : answer._tag}`
      )
      const body = jsonOf(answer)
      for (const item of body.Data as Array<{ SessionId: string }>) live.set(item.SessionId, {})
      token = body.NextToken ?? ""
      if (token === "") break
    }
    for (const id of live.keys()) {
      const labels = yield* post(agent, server, "GetLabel", { SessionId: id })
      live.set(id, ok(labels) ? JSON.parse(jsonOf(labels).Data.Labels ?? "{}") : {})
    }
    // Acknowledged sessions: there, with an allowed status and labels.
    for (const k of model.sessions.values()) {
      if (k.confirmed.status === "GONE" && k.inflight === undefined) {
        if (live.has(k.id)) problems.push(`${k.id}: deleted (acknowledged) but live`)
        continue
      }
      const allowed = k.inflight === undefined ? [k.confirmed] : [k.confirmed, k.inflight]
      const got = yield* post(agent, server, "GetSession", { SessionId: k.id })
      if (!ok(got)) {
        problems.push(
          `${k.id}: acknowledged, GetSession answers ${got._tag === "Response" ? got.text.slice(0, 120) : got._tag}`
        )
        continue
      }
      const status = statusOf(jsonOf(got).Data.Status)
      const labels = live.get(k.id)
      const match = allowed.find((s) =>
        s.status === status && (status === "GONE" || (labels !== undefined && sameLabels(labels, s.labels)))
      )
      if (match === undefined) {
        problems.push(
          `${k.id}: is ${jsonOf(got).Data.Status} ${JSON.stringify(labels)}, expected one of ${JSON.stringify(allowed)}`
        )
        continue
      }
      k.confirmed = match
      k.inflight = undefined
    }
    // Sessions nobody acknowledged: only those of a create the kill cut, with its labels.
    for (const [id, labels] of live) {
      if (model.sessions.has(id)) continue
      const cut = model.cutCreates.find((c) => c.tag === labels.tag)
      if (cut === undefined || !sameLabels(labels, cut.labels)) {
        problems.push(`${id}: live, but no request created it (${JSON.stringify(labels)})`)
        continue
      }
      model.sessions.set(id, {
        id,
        worker: Number(labels.worker),
        confirmed: { status: "RUNNING", labels },
        inflight: undefined
      })
    }
    model.cutCreates.length = 0
    // Trees: one per live session, none else.
    const sandboxes = Path.join(dataDir, "sandboxes")
    const trees = Fs.existsSync(sandboxes) ? Fs.readdirSync(sandboxes) : []
    for (const tree of trees) {
      if (live.has(tree)) continue
      // Which write the kill cut: a create (sandbox made, no record) or a delete (record DELETED, tree kept).
      const record = yield* post(agent, server, "GetSession", { SessionId: tree })
      const what = ok(record) ? `its record is ${jsonOf(record).Data.Status}` : "no record of it"
      problems.push(`sandboxes/${tree}: a tree without a live session (${what})`)
    }
    for (const id of live.keys()) {
      if (!Fs.existsSync(Path.join(sandboxes, id, "home")) || !Fs.existsSync(Path.join(sandboxes, id, "tmp"))) {
        problems.push(`${id}: a live session without its tree`)
      }
    }
    return { problems, live: live.size, trees: trees.length }
  })

it.live(
  "SIGKILL under load, restart on the same data dir: acknowledged state is there, nothing half-written, no stray sandbox",
  () =>
    Effect.gen(function*() {
      const seed = seedOf("crash")
      const r = rng(seed)
      const dataDir = yield* tempDir("agentbay-chaos-crash-")
      const model: Model = { sessions: new Map(), cutCreates: [], acknowledged: 0, requests: 0 }
      let server = yield* serveChild(dataDir, serverArgs)
      const problems: Array<string> = []
      const stats: Array<Record<string, unknown>> = []
      for (let round = 1; round <= rounds; round++) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: workers })
        let stopped = false
        const load = yield* Effect.fork(Effect.forEach(
          Array.from({ length: workers }, (_, w) => w),
          (w) => worker(w, rng(seed + round * 100 + w), model, server, agent, () => stopped),
          { concurrency: "unbounded", discard: true }
        ))
        const loadMs = r.between(1_500, 4_000)
        yield* Effect.sleep(`${loadMs} millis`)
        // The kill: what the server runs is noted just before, what works in the data dir just after.
        const before = descendants(server.child.pid!)
        const acknowledgedAtKill = model.acknowledged
        server.child.kill("SIGKILL")
        const table = processTable()
        const bwraps = processesUnder(dataDir)
        const suspects: Array<Proc> = [...before, ...bwraps, ...bwraps.flatMap((p) => descendants(p.pid, table))]
        yield* stopChild(server.child, "SIGKILL")
        stopped = true
        yield* Effect.fromFiber(load)
        agent.destroy()
        // Restart on the same data dir.
        server = yield* serveChild(dataDir, serverArgs)
        const gone = yield* eventually(() => suspects.every((p) => !stillAlive(p)), 5_000)
        const survivors = suspects.filter(stillAlive)
        const ownNow = new Set([server.child.pid!, ...descendants(server.child.pid!).map((p) => p.pid)])
        const foreign = processesUnder(dataDir).filter((p) => !ownNow.has(p.pid))
        const check = new http.Agent({ keepAlive: true, maxSockets: 4 })
        const result = yield* verify(model, server, check, dataDir)
        check.destroy()
        const names = (ps: ReadonlyArray<Proc>) => ps.map((p) => `${p.pid} (${p.name})`).join(", ")
        if (!gone) problems.push(`round ${round}: processes of the killed server still run: ${names(survivors)}`)
        if (foreign.length > 0) {
          problems.push(`round ${round}: processes under the data dir not of the new server: ${names(foreign)}`)
        }
        for (const p of result.problems) problems.push(`round ${round}: ${p}`)
        stats.push({
          round,
          loadMs,
          requests: model.requests,
          acknowledged: acknowledgedAtKill,
          live: result.live,
          trees: result.trees,
          processesAtKill: before.length,
          survivors: survivors.length
        })
      }
      figure("crash", { rounds: stats, problems: problems.length })
      assert.isAbove(model.acknowledged, 20, "the load got work done")
      assert.deepStrictEqual(problems, [], "after each restart the data dir holds exactly what was acknowledged")
    }).pipe(Effect.scoped),
  120_000
)
