// Goal 3: create→usable and delete→gone on the local runtime with real sandboxes
// (bubblewrap when it works here, else plain processes; the table says which),
// sequential and with 16 concurrent callers. The server runs in a child process
// (as `agentbay-local serve`), the SDK here: create→usable is `bay.create()`
// returning (the server answers once the sandbox's init is up and the session
// is RUNNING); delete→gone is `bay.delete(id)` returning (DeleteSessionAsync,
// then polls until the session is gone). Sessions are created first, then
// deleted, so the deletes run with that many sessions live.
//
// Baseline, in the same run: a bare sandbox spawn (`bwrap --ro-bind / / true`,
// or `true` without bwrap), spawn to exit, sequential and 16 at once: the
// floor of any sandbox start on this machine and load. The SDK and the server
// record their spans during each phase (bench/spans.ts), so the p50 of each step
// (AgentBay.create, Sandbox.start, BackendSessions.transition, ...) shows where
// the time goes.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as Effect from "effect/Effect"

import * as Bench from "./Bench.js"
import * as LocalRig from "./LocalRig.js"
import * as Measure from "./Measure.js"
import type * as Report from "./Report.js"

export const CALLERS = 16
export const P50 = 15
export const P99 = 60

export const lifecycle = async (
  ctx: Report.Context,
  options: { readonly sequential: number; readonly concurrent: number }
) => {
  const rig = await LocalRig.start("auto", { stopTimeoutMs: 30_000, spans: true })
  try {
    const create = () => rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => Effect.map(bay.create(), (s) => s.id)))
    const del = (id: string) => rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.delete(id)))
    for (let i = 0; i < 3; i++) await del(await create()) // warm-up

    const phase = async (n: number, callers: number) => {
      const ids: Array<string> = []
      const created = await rig.spans(() => Measure.timed(n, callers, async (i) => (ids[i] = await create())))
      const deleted = await rig.spans(() => Measure.timed(n, callers, (i) => del(ids[i]!)))
      return {
        create: Measure.latency(created.result.ms),
        delete: Measure.latency(deleted.result.ms),
        spans: { create: { ...created.client, ...created.server }, delete: { ...deleted.client, ...deleted.server } }
      }
    }
    console.log(`\n=== 3. Create→usable and delete→gone, local runtime (${rig.isolation}), server in a child process`)
    console.log(`load average ${Bench.load()}`)
    const sequential = await phase(options.sequential, 1)
    const concurrent = await phase(options.concurrent, CALLERS)
    const spawn = () => Measure.spawnExit(Measure.bareSpawn.command, Measure.bareSpawn.args)
    const bareSeq = Measure.latency((await Measure.timed(options.sequential, 1, spawn)).ms)
    const bareConc = Measure.latency((await Measure.timed(options.concurrent, CALLERS, spawn)).ms)

    const row = (
      name: string,
      l: Measure.Latency
    ) => [name, String(l.n), Measure.fmt(l.p50), Measure.fmt(l.p99), Measure.fmt(l.max)]
    Measure.table(["ms", "n", "p50", "p99", "max"], [
      row("create→usable, sequential", sequential.create),
      row(`create→usable, ${CALLERS} callers`, concurrent.create),
      row("delete→gone, sequential", sequential.delete),
      row(`delete→gone, ${CALLERS} callers`, concurrent.delete),
      row(`baseline: ${Measure.bareSpawn.name}, sequential`, bareSeq),
      row(`baseline: ${Measure.bareSpawn.name}, ${CALLERS} at once`, bareConc)
    ])
    // Where the time goes, client and server (p50 of each span, ms).
    const names = [
      ...new Set([
        ...Object.keys(sequential.spans.create),
        ...Object.keys(sequential.spans.delete)
      ])
    ].filter((name) => !name.startsWith("http.")).sort()
    const p50 = (m: Record<string, Measure.Latency>, name: string) =>
      m[name] === undefined ? "" : Measure.fmt(m[name].p50)
    console.log("spans of the SDK (AgentBay.*, AgentBayClient.*) and of the server, p50 ms, in the phases above:")
    Measure.table(
      ["span", "create seq", `create ${CALLERS}`, "delete seq", `delete ${CALLERS}`],
      names.map((name) => [
        name,
        p50(sequential.spans.create, name),
        p50(concurrent.spans.create, name),
        p50(sequential.spans.delete, name),
        p50(concurrent.spans.delete, name)
      ])
    )
    ctx.report.section("lifecycle", {
      isolation: rig.isolation,
      callers: CALLERS,
      sequential,
      concurrent,
      baseline: { command: Measure.bareSpawn.name, sequential: bareSeq, concurrent: bareConc }
    })
    const goal = (what: string, l: Measure.Latency) =>
      ctx.report.goal({
        id: "3b",
        goal: `${what} (${rig.isolation})`,
        target: `p50 < ${P50} ms, p99 < ${P99} ms`,
        value: `p50 ${Measure.fmt(l.p50)} ms, p99 ${Measure.fmt(l.p99)} ms`,
        met: l.p50 < P50 && l.p99 < P99
      })
    goal("create→usable, sequential", sequential.create)
    goal(`create→usable, ${CALLERS} callers`, concurrent.create)
    goal("delete→gone, sequential", sequential.delete)
    goal(`delete→gone, ${CALLERS} callers`, concurrent.delete)
  } finally {
    await rig.close()
  }
}
