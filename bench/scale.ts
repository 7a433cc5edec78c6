// Goal 4: many live sessions on one local runtime (real sandboxes: bubblewrap
// when it works here), the server in a child process of its own (so its memory
// is the runtime's alone). Sessions are created 8 at a time up to each
// checkpoint (50, 100, 200, 500); at each, after a short idle pause:
//
// - memory: the server process's RSS, and its descendants' (the sandboxes'
//   processes) RSS summed and PSS summed (PSS splits shared pages among the
//   processes sharing them, so it is what the sandboxes really add), from /proc;
// - list latency: the whole list through the Stream (`bay.list({ pageSize: 100 })`)
//   and one page (`bay.listPage({ limit: 100 })`), median of 5.
//
// RSS per idle session is the slope between the first and last checkpoints (so
// the server's start-up and warm-up memory is not spread over the sessions):
// server RSS + sandboxes' RSS (the conservative figure, judged against the goal)
// and server RSS + sandboxes' PSS. Then 20 deletes at full occupancy.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

import * as Bench from "./Bench.js"
import * as LocalRig from "./LocalRig.js"
import * as Measure from "./Measure.js"
import type * as Report from "./Report.js"

export const TARGET_MIB = 4

const time = async (f: () => Promise<unknown>) => {
  const t0 = performance.now()
  await f()
  return performance.now() - t0
}

export const scale = async (
  ctx: Report.Context,
  options: { readonly checkpoints: ReadonlyArray<number>; readonly deletes: number }
) => {
  const rig = await LocalRig.start("auto", { stopTimeoutMs: 60_000 })
  try {
    const bay = (f: (bay: AgentBay.AgentBay.Service) => Effect.Effect<unknown, unknown>) =>
      rig.run(Effect.flatMap(AgentBay.AgentBay, f))
    const listAll = () =>
      rig.run(
        Effect.flatMap(AgentBay.AgentBay, (b) =>
          Stream.runCollect(b.list({ pageSize: 100 })).pipe(Effect.map(Chunk.size)))
      )
    for (let i = 0; i < 3; i++) {
      const id = await rig.run(Effect.flatMap(AgentBay.AgentBay, (b) => Effect.map(b.create(), (s) => s.id)))
      await bay((b) => b.delete(id))
      await listAll()
    }
    const ids: Array<string> = []
    const points: Array<{
      sessions: number
      createP50Ms: number
      serverRssKiB: number
      sandboxRssKiB: number
      sandboxPssKiB: number
      processes: number
      listAllMs: number
      listPageMs: number
    }> = []
    console.log(`\n=== 4. Scale: live sessions on one local runtime (${rig.isolation}), server in a child process`)
    console.log(`load average ${Bench.load()}`)
    for (const target of options.checkpoints) {
      const from = ids.length
      const created = await Measure.timed(target - from, 8, async (i) => {
        ids[from + i] = await rig.run(Effect.flatMap(AgentBay.AgentBay, (b) => Effect.map(b.create(), (s) => s.id)))
      })
      await new Promise((r) => setTimeout(r, 300))
      const mem = Measure.treeMemory(rig.server.pid)
      const counted = await listAll()
      if (counted !== target) throw new Error(`list found ${counted} sessions, expected ${target}`)
      const listAllMs: Array<number> = []
      const listPageMs: Array<number> = []
      for (let k = 0; k < 5; k++) {
        listAllMs.push(await time(listAll))
        listPageMs.push(await time(() => bay((b) => b.listPage({ limit: 100 }))))
      }
      points.push({
        sessions: target,
        createP50Ms: Measure.percentile(created.ms, 50),
        serverRssKiB: mem.rssKiB,
        sandboxRssKiB: mem.childrenRssKiB,
        sandboxPssKiB: mem.childrenPssKiB,
        processes: mem.children,
        listAllMs: Bench.median(listAllMs),
        listPageMs: Bench.median(listPageMs)
      })
    }
    const mib = (k: number) => Measure.fmt(k / 1024, 1)
    Measure.table(
      [
        "live sessions",
        "create p50 ms",
        "server RSS MiB",
        "sandboxes RSS MiB",
        "sandboxes PSS MiB",
        "processes",
        "list all ms",
        "list page ms"
      ],
      points.map((p) => [
        String(p.sessions),
        Measure.fmt(p.createP50Ms),
        mib(p.serverRssKiB),
        mib(p.sandboxRssKiB),
        mib(p.sandboxPssKiB),
        String(p.processes),
        Measure.fmt(p.listAllMs),
        Measure.fmt(p.listPageMs)
      ])
    )
    const first = points[0]!
    const last = points[points.length - 1]!
    const span = last.sessions - first.sessions
    const slope = (f: (p: typeof first) => number) => span > 0 ? (f(last) - f(first)) / span : Number.NaN
    const perSession = {
      serverKiB: slope((p) => p.serverRssKiB),
      sandboxRssKiB: slope((p) => p.sandboxRssKiB),
      sandboxPssKiB: slope((p) => p.sandboxPssKiB),
      totalRssKiB: slope((p) => p.serverRssKiB + p.sandboxRssKiB),
      totalPssKiB: slope((p) => p.serverRssKiB + p.sandboxPssKiB)
    }
    console.log(
      `per idle session (slope ${first.sessions}→${last.sessions}): server ${
        Measure.fmt(perSession.serverKiB, 0)
      } KiB + sandbox RSS ` +
        `${Measure.fmt(perSession.sandboxRssKiB, 0)} KiB (PSS ${Measure.fmt(perSession.sandboxPssKiB, 0)} KiB) = ` +
        `${mib(perSession.totalRssKiB)} MiB (with PSS: ${mib(perSession.totalPssKiB)} MiB)`
    )
    const deleted = await Measure.timed(Math.min(options.deletes, ids.length), 1, (i) => bay((b) => b.delete(ids[i]!)))
    const del = Measure.latency(deleted.ms)
    console.log(
      `delete→gone with ${last.sessions} live: p50 ${Measure.fmt(del.p50)} ms, max ${
        Measure.fmt(del.max)
      } ms (n=${del.n})`
    )

    ctx.report.section("scale", { isolation: rig.isolation, points, perSessionKiB: perSession, deleteAtFull: del })
    ctx.report.goal({
      id: "4",
      goal: `${last.sessions} live sessions on one local runtime (${rig.isolation})`,
      target: `${last.sessions} live`,
      value: `${last.sessions} live, list all ${Measure.fmt(last.listAllMs)} ms`,
      met: true
    })
    ctx.report.goal({
      id: "4",
      goal: "RSS per idle session (server + sandbox processes)",
      target: `< ${TARGET_MIB} MiB`,
      value: `${mib(perSession.totalRssKiB)} MiB RSS (${mib(perSession.totalPssKiB)} MiB counting PSS)`,
      met: perSession.totalRssKiB < TARGET_MIB * 1024
    })
  } finally {
    await rig.close()
  }
}
