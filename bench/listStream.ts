// Goal 6: listing 10,000 sessions through the Stream, `bay.list({ pageSize: 100 })`,
// on the fake (AgentBayTest.layer(): the real client and service over the
// in-memory transport, so every page is a real ListSession request, counted by
// the fake's Backend). The sessions are created first, through bay.create.
//
// Memory, with the 10,000 stored sessions as the baseline (heap after a full GC
// just before the stream starts): the peak heap while streaming (sampled every
// 100 items, garbage included) and the live heap (after a full GC, at ten points
// along the stream). For scale, in the same run: the same stream cut at the
// first 1,000 items (constant memory means about the same growth), and
// `Stream.runCollect` of all 10,000, which holds every session at once.
import * as v8 from "node:v8"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"

import * as Bench from "./Bench.js"
import * as Measure from "./Measure.js"
import type * as Report from "./Report.js"

const PAGE = 100
const heap = () => v8.getHeapStatistics().used_heap_size

export const listStream = async (ctx: Report.Context, options: { readonly sessions: number }) => {
  const runtime = ManagedRuntime.make(AgentBayTest.layer())
  try {
    // Created in chunks of a tenth, each timed: the rate as the fake fills up.
    const chunk = Math.ceil(options.sessions / 10)
    const chunkRates: Array<number> = []
    const t0 = performance.now()
    for (let made = 0; made < options.sessions; made += chunk) {
      const n = Math.min(chunk, options.sessions - made)
      const t = performance.now()
      await runtime.runPromise(Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        for (let i = 0; i < n; i++) yield* bay.create()
      }))
      chunkRates.push(n / ((performance.now() - t) / 1000))
    }
    const createMs = performance.now() - t0
    const requests = () => runtime.runPromise(Effect.flatMap(AgentBayTest.Backend, (b) => b.callCount("listSession")))

    // Streams `take` items (all when undefined), sampling the heap.
    const measure = async (take: number | undefined) => {
      const expected = take ?? options.sessions
      const gcEvery = Math.max(PAGE, Math.floor(expected / 10))
      Bench.gc()
      const base = heap()
      let peak = base
      let live = base
      const before = await requests()
      const stream = Effect.flatMap(AgentBay.AgentBay, (bay) => {
        const all = bay.list({ pageSize: PAGE })
        return Stream.runFold(take === undefined ? all : Stream.take(all, take), 0, (n) => {
          n++
          if (n % PAGE === 0) peak = Math.max(peak, heap())
          if (n % gcEvery === 0) {
            Bench.gc()
            live = Math.max(live, heap())
          }
          return n
        })
      })
      const count = await runtime.runPromise(stream)
      if (count !== expected) throw new Error(`the stream gave ${count} sessions, expected ${expected}`)
      return {
        items: count,
        requests: (await requests()) - before,
        peakKiB: (peak - base) / 1024,
        liveKiB: (live - base) / 1024
      }
    }
    // Timed alone first: the memory passes below pay for their full GCs.
    const t1 = performance.now()
    const timedCount = await runtime.runPromise(
      Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCount(bay.list({ pageSize: PAGE })))
    )
    const listMs = performance.now() - t1
    if (timedCount !== options.sessions) {
      throw new Error(`the stream gave ${timedCount} sessions, expected ${options.sessions}`)
    }
    const all = await measure(undefined)
    const first = await measure(Math.min(1000, options.sessions))
    Bench.gc()
    const base = heap()
    const collected = await runtime.runPromise(
      Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCollect(bay.list({ pageSize: PAGE })))
    )
    Bench.gc()
    const collectKiB = (heap() - base) / 1024
    if (Chunk.size(collected) !== options.sessions) throw new Error("runCollect: wrong count")

    console.log(`\n=== 6. Listing ${options.sessions} sessions through the Stream (pageSize ${PAGE}), on the fake`)
    console.log(
      `created through bay.create in ${Measure.fmt(createMs / 1000, 2)} s: ${
        Measure.fmt(chunkRates[0]!, 0)
      } creates/s for ` +
        `the first ${chunk}, ${
          Measure.fmt(chunkRates[chunkRates.length - 1]!, 0)
        } for the last; load average ${Bench.load()}`
    )
    const mib = (k: number) => `${k < 0 ? "-" : ""}${Measure.fmt(Math.abs(k) / 1024, 2)}`
    console.log(
      `streamed in ${Measure.fmt(listMs, 0)} ms (${
        Measure.fmt(listMs / Math.ceil(options.sessions / PAGE), 1)
      } ms per page)`
    )
    Measure.table(["", "items", "requests", "peak heap +MiB", "live heap +MiB"], [
      ["bay.list(...) streamed", String(all.items), String(all.requests), mib(all.peakKiB), mib(all.liveKiB)],
      [
        `the same, first ${first.items} items`,
        String(first.items),
        String(first.requests),
        mib(first.peakKiB),
        mib(first.liveKiB)
      ],
      ["Stream.runCollect (holds them all)", String(options.sessions), "", "", mib(collectKiB)]
    ])
    const expectedRequests = Math.ceil(options.sessions / PAGE)
    // Constant memory: the whole listing holds about what its first tenth holds (1 MiB of slack for noise).
    const constant = all.liveKiB <= Math.max(first.liveKiB, 0) + 1024
    ctx.report.section("listStream", {
      sessions: options.sessions,
      pageSize: PAGE,
      createSeconds: createMs / 1000,
      createsPerSecondByTenth: chunkRates,
      listMs,
      streamed: all,
      first1000: first,
      runCollectLiveKiB: collectKiB
    })
    ctx.report.goal({
      id: "6",
      goal: `list ${options.sessions} via the Stream: requests, peak heap`,
      target: `${expectedRequests} requests, constant memory`,
      value:
        `${all.requests} requests, ${Measure.fmt(listMs, 0)} ms, peak +${mib(all.peakKiB)} MiB, live +${
          mib(all.liveKiB)
        } MiB ` +
        `(first ${first.items}: +${mib(first.liveKiB)}; runCollect: +${mib(collectKiB)})`,
      met: all.requests <= expectedRequests + 1 && constant
    })
  } finally {
    await runtime.dispose()
  }
}
