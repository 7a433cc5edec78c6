// Leak prevention over the fake: owner stamps on created sessions (and the
// opt-out), the reserved prefix, reap of expired stamped sessions on the
// TestClock, and maxSessions making the (n+1)th create wait for a delete.
// Reaping what another (dead) client left is on the local runtime:
// packages/local/test/Lifetime.test.ts.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { ApiError, ValidationError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const K = AgentBay.stampKeys

const fake = (ownership: AgentBay.OwnershipOptions = {}) =>
  AgentBayTest.layer().pipe(Layer.provide(AgentBay.layerOwnership(ownership)))

const stampsOf = (labels: Readonly<Record<string, string>>) =>
  Option.getOrThrowWith(AgentBay.stampsOf(labels), () => new Error(`no stamps in ${JSON.stringify(labels)}`))

const reapAll = (options?: AgentBay.ReapOptions) =>
  Effect.map(Stream.runCollect(AgentBay.reap(options)), (c) => Chunk.toReadonlyArray(c))

// The labels of a session created now by the AgentBay in context.
const labelsOfNew = (options?: AgentBay.CreateOptions) =>
  Effect.flatMap(AgentBay.AgentBay, (bay) => Effect.flatMap(bay.create(options), (s) => s.getLabels()))

const boom = (action: string) => new ApiError({ action, code: "Boom", description: "injected" })

const liveIds = Effect.flatMap(AgentBayTest.Backend, (b) => Effect.map(b.liveSessions, (ss) => ss.map((s) => s.id)))

// Lets forked fibers run as far as they can without the clock.
const settle = Effect.repeatN(Effect.yieldNow(), 100)

describe("owner stamps", () => {
  it.effect("every created session carries managed-by, client, run, created and expires (created + 1 hour)", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("5 seconds")
      const bay = yield* AgentBay.AgentBay
      const a = yield* bay.create({ labels: { team: "qa" } })
      const b = yield* bay.create()
      const labels = yield* a.getLabels()
      assert.deepStrictEqual(labels, {
        team: "qa",
        [K.managedBy]: "effect-agentbay",
        [K.client]: labels[K.client]!,
        [K.run]: AgentBay.processRunId,
        [K.created]: "1970-01-01T00:00:05.000Z",
        [K.expires]: "1970-01-01T01:00:05.000Z"
      })
      assert.match(labels[K.client]!, /^[0-9a-f]{16}$/)
      assert.deepStrictEqual(AgentBay.withoutStamps(labels), { team: "qa" })
      // What create returns shows what was sent.
      assert.deepStrictEqual(a.labels, labels)
      const sa = stampsOf(labels)
      const sb = stampsOf(yield* b.getLabels())
      assert.strictEqual(sb.client, sa.client) // one client id per service
      assert.deepStrictEqual([sa.createdAt, sa.expiresAt], [5_000, 3_605_000])
      // Another build of the layer is another client.
      const other = yield* labelsOfNew().pipe(Effect.provide(fake()))
      assert.notStrictEqual(other[K.client], sa.client)
      assert.strictEqual(other[K.run], AgentBay.processRunId)
    }).pipe(Effect.provide(fake())))

  it.effect("the layer's sessionTtl and runId, and create({ ttl }) per session", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const byLayer = stampsOf(yield* labelsOfNew())
      assert.deepStrictEqual([byLayer.run, byLayer.expiresAt], ["ci-42", 10 * 60_000])
      const own = stampsOf(yield* labelsOfNew({ ttl: "90 seconds" }))
      assert.strictEqual(own.expiresAt, 90_000)
      for (const ttl of ["0 seconds", "-1 seconds", "forever", "4000000 days"] as const) {
        const e = yield* Effect.flip(bay.create({ ttl: ttl as never }))
        assert.deepStrictEqual([e._tag, e._tag === "ValidationError" && e.field], ["ValidationError", "ttl"])
      }
    }).pipe(Effect.provide(fake({ sessionTtl: "10 minutes", runId: "ci-42" }))))

  it.effect("stamp: false sends the caller's labels only; a ttl then is a ValidationError", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create({ labels: { team: "qa" } })
      assert.deepStrictEqual(yield* s.getLabels(), { team: "qa" })
      assert.deepStrictEqual((yield* backend.calls("createMcpSession"))[0]!.args, [{ labels: { team: "qa" } }])
      assert.deepStrictEqual(yield* labelsOfNew(), {})
      const e = yield* Effect.flip(bay.create({ ttl: "1 hour" }))
      assert.instanceOf(e, ValidationError)
      assert.deepStrictEqual([e.operation, e.field], ["create", "ttl"])
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 2)
    }).pipe(Effect.provide(fake({ stamp: false }))))

  it.effect("a reserved-prefix label (any case) is a ValidationError, nothing sent; stamps count toward 64", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      for (const key of [K.expires, "agentbay.sdk/mine", "AgentBay.SDK/Client"]) {
        const e = yield* Effect.flip(bay.create({ labels: { [key]: "x" } }))
        assert.deepStrictEqual([e._tag, e._tag === "ValidationError" && e.field], ["ValidationError", "labels"])
        assert.include(e.message, "reserved")
      }
      // Not even with stamping off: the prefix stays the SDK's.
      const off = yield* Effect.flip(
        labelsOfNew({ labels: { [K.run]: "x" } }).pipe(Effect.provide(fake({ stamp: false })))
      )
      assert.strictEqual(off._tag, "ValidationError")
      const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))
      const tooMany = yield* Effect.flip(bay.create({ labels: many(60) }))
      assert.include(tooMany.message, "at most 59")
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 0)
      assert.strictEqual(Object.keys(yield* labelsOfNew({ labels: many(59) })).length, 64)
    }).pipe(Effect.provide(fake())))

  it.effect("layerOwnership and AgentBay.layer check their settings", () =>
    Effect.gen(function*() {
      const bad = [{ maxSessions: 0 }, { maxSessions: 1.5 }, { sessionTtl: "0 millis" }, { runId: " " }] as const
      for (const options of bad) {
        const e = yield* Effect.flip(Effect.scoped(Layer.build(AgentBay.layerOwnership(options))))
        assert.strictEqual(e.operation, "AgentBay.layerOwnership")
        assert.strictEqual(e.field, Object.keys(options)[0])
      }
      // AgentBay.layer applies its ownership fields over those in effect.
      const merged = yield* Effect.flatMap(AgentBay.OwnershipDefaults, Effect.succeed).pipe(
        Effect.provide(AgentBay.layerOwnership({ maxSessions: 3 })),
        Effect.provide(AgentBay.layerOwnership({ stamp: false, runId: "r" }))
      )
      assert.deepStrictEqual([merged.stamp, merged.runId, merged.maxSessions], [false, "r", 3])
      const e = yield* Effect.flip(
        Effect.scoped(Layer.build(
          AgentBay.layer({ apiKey: Redacted.make("k"), endpoint: "http://127.0.0.1:1", maxSessions: -1 }).pipe(
            Layer.provide(Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.dieMessage("no request"))))
          )
        ))
      )
      assert.deepStrictEqual([e._tag, e._tag === "ValidationError" && e.field], ["ValidationError", "maxSessions"])
    }))
})

describe("AgentBay.reap", () => {
  it.effect("deletes only the stamped sessions whose expiry has passed; olderThan reaps by creation time", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const client = yield* AgentBayClient.AgentBayClient
      const short = yield* bay.create({ ttl: "10 minutes" })
      const long = yield* bay.create({ ttl: "2 hours", labels: { job: "long" } })
      const unstamped = yield* client.createMcpSession({ labels: { job: "raw" } })
      // Stamps that do not parse are no stamps.
      const forged = yield* bay.create({ ttl: "1 minute" })
      yield* forged.setLabels({ [K.managedBy]: "effect-agentbay", [K.client]: "c", [K.run]: "r", [K.expires]: "soon" })

      assert.deepStrictEqual(yield* reapAll(), []) // nothing expired yet
      yield* TestClock.adjust("30 minutes")
      const first = yield* reapAll()
      assert.deepStrictEqual(first.map((r) => [r.id, r.reason]), [[short.id, "expired"]])
      assert.strictEqual(first[0]!.stamps.expiresAt, 10 * 60_000)
      assert.sameMembers(yield* liveIds, [long.id, unstamped.id, forged.id])
      assert.strictEqual((yield* bay.get(short.id)).status, "DELETED")

      // Not expired, but created more than 20 minutes ago.
      const second = yield* reapAll({ olderThan: "20 minutes" })
      assert.deepStrictEqual(second.map((r) => [r.id, r.reason]), [[long.id, "olderThan"]])
      yield* TestClock.adjust("10 hours")
      assert.deepStrictEqual(yield* reapAll({ olderThan: "0 millis" }), [])
      assert.sameMembers(yield* liveIds, [unstamped.id, forged.id])
    }).pipe(Effect.provide(fake())))

  it.effect("labels narrow the reap (e.g. one run); a failed delete is left for the next reap", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const mine = yield* Effect.forEach([1, 2, 3], () => bay.create({ ttl: "1 minute" }))
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual(yield* reapAll({ labels: { [K.run]: "another-run" } }), [])
      yield* backend.failNext("deleteSessionAsync", boom("DeleteSessionAsync"))
      const reaped = yield* reapAll({ labels: { [K.run]: AgentBay.processRunId }, concurrency: 1 })
      assert.strictEqual(reaped.length, 2)
      assert.strictEqual((yield* liveIds).length, 1)
      const again = yield* reapAll()
      assert.sameMembers([...reaped, ...again].map((r) => r.id), mine.map((s) => s.id))
      assert.deepStrictEqual(yield* liveIds, [])
      const e = yield* Effect.flip(reapAll({ concurrency: 0 }))
      assert.deepStrictEqual([e._tag, e._tag === "ValidationError" && e.field], ["ValidationError", "concurrency"])
    }).pipe(Effect.provide(fake())))
})

describe("maxSessions", () => {
  // Holds a scoped session until `close` is completed; `acquired` says when it has one.
  const holder = (bay: AgentBay.AgentBay.Service) =>
    Effect.gen(function*() {
      const acquired = yield* Deferred.make<string>()
      const close = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const s = yield* bay.session()
        yield* Deferred.succeed(acquired, s.id)
        yield* Deferred.await(close)
      })))
      return { acquired, close, fiber }
    })

  it.effect("the (n+1)th session() waits until a scope closes, then gets its permit", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const [a, b, c] = yield* Effect.all([holder(bay), holder(bay), holder(bay)])
      yield* Deferred.await(a!.acquired)
      yield* Deferred.await(b!.acquired)
      yield* settle
      yield* TestClock.adjust("1 hour") // time alone frees nothing
      assert.isFalse(yield* Deferred.isDone(c!.acquired))
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 2)
      yield* Deferred.succeed(a!.close, undefined)
      yield* Fiber.join(a!.fiber)
      const third = yield* Deferred.await(c!.acquired)
      assert.sameMembers(yield* liveIds, [yield* Deferred.await(b!.acquired), third])
      // More than the cap at once could never be granted.
      const e = yield* Effect.flip(Effect.scoped(bay.sessions(3)))
      assert.deepStrictEqual([e._tag, e._tag === "ValidationError" && e.field], ["ValidationError", "count"])
      yield* Effect.forEach([b!, c!], (h) => Effect.zipRight(Deferred.succeed(h.close, undefined), Fiber.join(h.fiber)))
      assert.deepStrictEqual(yield* liveIds, [])
    }).pipe(Effect.provide(fake({ maxSessions: 2 }))))

  it.effect("delete, reap and a failed create give the permit back; a waiting create can be interrupted", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      // A failed create gives its permit back at once.
      yield* backend.failNext("createMcpSession", boom("CreateMcpSession"))
      assert.strictEqual((yield* Effect.flip(bay.create()))._tag, "ApiError")
      const first = yield* bay.create({ ttl: "1 minute" })

      // delete frees it.
      const waiting = yield* Effect.fork(bay.create({ ttl: "1 minute" }))
      yield* settle
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* bay.delete(first)
      const second = yield* Fiber.join(waiting)

      // An interrupted wait takes nothing.
      const interrupted = yield* Effect.fork(bay.create())
      yield* settle
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(interrupted)))

      // reap frees it, once the session has expired.
      const third = yield* Effect.fork(bay.create())
      yield* settle
      yield* TestClock.adjust("2 minutes")
      assert.deepStrictEqual((yield* reapAll()).map((r) => r.id), [second.id])
      const last = yield* Fiber.join(third)
      assert.deepStrictEqual(yield* liveIds, [last.id])
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 4)
    }).pipe(Effect.provide(fake({ maxSessions: 1 }))))
})
