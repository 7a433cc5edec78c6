// Listing over the in-memory backend: lazy token paging, page walking, filters,
// and input checks that fail before any request.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const listCalls = Effect.flatMap(AgentBayTest.Backend, (b) => b.callCount("listSession"))

// `n` sessions, created in order.
const createMany = (n: number, options?: AgentBay.CreateOptions) =>
  Effect.flatMap(AgentBay.AgentBay, (bay) => Effect.replicateEffect(bay.create(options), n))

describe("AgentBay.list", () => {
  it.effect("streams every session, one ListSession request per page", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const created = yield* createMany(25)
      const listed = yield* Stream.runCollect(bay.list({ pageSize: 10 }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(listed).map((s) => s.id), created.map((s) => s.id))
      assert.strictEqual(yield* listCalls, 3)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("pulls pages lazily: taking 5 items sends one request", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      yield* createMany(25)
      const firstFive = yield* Stream.runCollect(Stream.take(bay.list({ pageSize: 10 }), 5))
      assert.strictEqual(Chunk.size(firstFive), 5)
      assert.strictEqual(yield* listCalls, 1)
      // Nothing is sent until the stream runs.
      const stream = bay.list()
      assert.strictEqual(yield* listCalls, 1)
      assert.strictEqual(Chunk.size(yield* Stream.runCollect(stream)), 25)
      assert.strictEqual(yield* listCalls, 4) // default page size 10
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("filters by labels (AND) and by status; unfiltered lists leave deleted sessions out", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const blue = yield* createMany(3, { labels: { team: "blue", env: "dev" } })
      yield* createMany(2, { labels: { team: "blue", env: "prod" } })
      const red = yield* createMany(4, { labels: { team: "red" } })
      const ids = (options: AgentBay.ListOptions) =>
        Effect.map(
          Stream.runCollect(bay.list({ pageSize: 2, ...options })),
          (c) => Chunk.toReadonlyArray(c).map((s) => s.id)
        )
      assert.strictEqual((yield* ids({ labels: { team: "blue" } })).length, 5)
      assert.deepStrictEqual(yield* ids({ labels: { team: "blue", env: "dev" } }), blue.map((s) => s.id))
      assert.deepStrictEqual(yield* ids({ labels: { team: "green" } }), [])

      yield* bay.betaPauseAsync(blue[0]!)
      yield* bay.delete(red[0]!)
      yield* bay.delete(red[1]!)
      assert.deepStrictEqual(yield* ids({ status: "PAUSED" }), [blue[0]!.id])
      assert.deepStrictEqual(yield* ids({ status: "DELETED" }), [red[0]!.id, red[1]!.id])
      assert.deepStrictEqual(yield* ids({ status: "RUNNING", labels: { team: "red" } }), [red[2]!.id, red[3]!.id])
      assert.strictEqual((yield* ids({})).length, 7)
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: 0 }))))

  it.effect("a bad page size or label is a ValidationError before any request", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      for (const pageSize of [0, 101, 2.5]) {
        const error = yield* Effect.flip(Stream.runDrain(bay.list({ pageSize })))
        assert.deepStrictEqual(error._tag === "ValidationError" && [error.operation, error.field], ["list", "pageSize"])
      }
      const label = yield* Effect.flip(Stream.runDrain(bay.list({ labels: { team: " " } })))
      assert.strictEqual(label._tag, "ValidationError")
      assert.strictEqual(yield* listCalls, 0)
    }).pipe(Effect.provide(AgentBayTest.layer())))
})

describe("AgentBay.listPage", () => {
  it.effect("page N walks N-1 pages; the last page has no nextToken", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const created = yield* createMany(25)
      const last = yield* bay.listPage({ page: 3, limit: 10 })
      assert.deepStrictEqual(last.sessions.map((s) => s.id), created.slice(20).map((s) => s.id))
      assert.deepStrictEqual([last.page, last.nextToken, last.maxResults, last.totalCount], [3, undefined, 10, 25])
      assert.strictEqual(yield* listCalls, 3)

      const first = yield* bay.listPage({ limit: 10 })
      assert.strictEqual(first.sessions.length, 10)
      assert.isString(first.nextToken)
      const second = yield* bay.listPage({ limit: 10, nextToken: first.nextToken })
      assert.deepStrictEqual(second.sessions.map((s) => s.id), created.slice(10, 20).map((s) => s.id))
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a page past the end, or a bad page, is a ValidationError", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      yield* createMany(25)
      const past = yield* Effect.flip(bay.listPage({ page: 4, limit: 10 }))
      assert.deepStrictEqual(past._tag === "ValidationError" && past.field, "page")
      assert.strictEqual(yield* listCalls, 3) // walked pages 1-3 to find out
      for (const options of [{ page: 0 }, { limit: 0 }, { page: 2, nextToken: "x" }]) {
        assert.strictEqual((yield* Effect.flip(bay.listPage(options)))._tag, "ValidationError")
      }
      assert.strictEqual(yield* listCalls, 3)
    }).pipe(Effect.provide(AgentBayTest.layer())))
})

describe("AgentBay input checks", () => {
  it.effect("a blank session id is a ValidationError and nothing is sent", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      for (const id of ["", "   "]) {
        const errors = yield* Effect.all([
          Effect.flip(bay.get(id)),
          Effect.flip(bay.delete(id)),
          Effect.flip(bay.betaPauseAsync(id)),
          Effect.flip(bay.betaResumeAsync({ id }))
        ])
        for (const error of errors) {
          assert.deepStrictEqual(error._tag === "ValidationError" && error.field, "sessionId")
        }
      }
      assert.strictEqual(yield* backend.callCount(), 0)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("setLabels({}) and blank labels are ValidationErrors; valid labels replace", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create({ labels: { a: "1" } })
      const empty = yield* Effect.flip(s.setLabels({}))
      assert.deepStrictEqual(empty._tag === "ValidationError" && [empty.operation, empty.field], [
        "setLabels",
        "labels"
      ])
      assert.strictEqual((yield* Effect.flip(s.setLabels({ a: "" })))._tag, "ValidationError")
      assert.strictEqual((yield* Effect.flip(s.setLabels({ " ": "x" })))._tag, "ValidationError") // not sent as {}
      assert.strictEqual(yield* backend.callCount("setLabel"), 0)
      yield* s.setLabels({ b: "2" })
      assert.deepStrictEqual(yield* s.getLabels(), { b: "2" })
      const invalidCreate = yield* Effect.flip(bay.create({ labels: { "": "x" } }))
      assert.strictEqual(invalidCreate._tag, "ValidationError")
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 1)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a failing write is surfaced, not retried", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      yield* backend.failNext(
        "pauseSessionAsync",
        new TransportError({ action: "PauseSessionAsync", reason: "Network" })
      )
      const fiber = yield* Effect.fork(Effect.flip(bay.betaPauseAsync(s)))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.deepStrictEqual(error._tag === "TransportError" && [error.action, error.reason], [
        "PauseSessionAsync",
        "Network"
      ])
      assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 1)
      assert.strictEqual(yield* backend.callCount("getSession"), 1) // the state check only: no wait began
      assert.strictEqual((yield* bay.get(s)).status, "RUNNING")
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
