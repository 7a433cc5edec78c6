// The fake backend itself, seen through the AgentBayClient it provides: the
// lifecycle, error mapping, listing and the Backend handle.
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { AgentBayClient } from "@effect-agentbay/core/AgentBayClient"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"

// These tests watch the intermediate states: transitions last 3 s on the TestClock.
const timed = { transitionDelay: "3 seconds" } as const

const status = (id: string) => Effect.flatMap(AgentBayClient, (c) => Effect.map(c.getSession(id), (s) => s.status))
const detail = (id: string) =>
  Effect.flatMap(AgentBayClient, (c) => Effect.map(c.getSessionDetail(id), (s) => s.status))

describe("AgentBayTest lifecycle", () => {
  it.effect("pause and resume pass through PAUSING and RESUMING, settling on the clock", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const { id } = yield* client.createMcpSession({})
      assert.strictEqual(yield* status(id), "RUNNING")
      yield* client.pauseSessionAsync(id)
      assert.strictEqual(yield* status(id), "PAUSING")
      yield* TestClock.adjust("2999 millis")
      assert.strictEqual(yield* status(id), "PAUSING")
      yield* TestClock.adjust("1 milli")
      assert.strictEqual(yield* status(id), "PAUSED")
      yield* client.resumeSessionAsync(id)
      assert.strictEqual(yield* status(id), "RESUMING")
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(yield* status(id), "RUNNING")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("delete: DELETING, then DELETED for GetSession and FINISH for GetSessionDetail", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const { id } = yield* client.createMcpSession({})
      yield* client.deleteSessionAsync(id)
      assert.strictEqual(yield* status(id), "DELETING")
      assert.strictEqual(yield* detail(id), "DELETING")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* status(id), "DELETED")
      assert.strictEqual(yield* detail(id), "FINISH")
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "1 second" }))))

  it.effect("pause of PAUSING/PAUSED and resume of RUNNING/RESUMING are no-ops, as on the local server", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const { id } = yield* client.createMcpSession({})
      yield* client.resumeSessionAsync(id)
      assert.strictEqual(yield* status(id), "RUNNING")
      yield* client.pauseSessionAsync(id)
      yield* TestClock.adjust("2 seconds")
      yield* client.pauseSessionAsync(id) // while PAUSING: the pending pause keeps its time
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* status(id), "PAUSED")
      yield* client.pauseSessionAsync(id)
      assert.strictEqual(yield* status(id), "PAUSED")
      yield* client.resumeSessionAsync(id)
      yield* client.resumeSessionAsync(id)
      assert.strictEqual(yield* status(id), "RESUMING")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("illegal transitions are InvalidState and unknown ids NotFound, as the real client maps them", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const { id } = yield* client.createMcpSession({})
      yield* client.deleteSessionAsync(id)
      const pause = yield* Effect.flip(client.pauseSessionAsync(id))
      assert.strictEqual(pause._tag, "InvalidState")
      assert.deepStrictEqual(pause._tag === "InvalidState" && [pause.id, pause.operation], [id, "pause"])
      yield* TestClock.adjust("3 seconds")
      // Deleting a deleted session is a no-op (Lifecycle: delete is idempotent); resuming it is not.
      yield* client.deleteSessionAsync(id)
      assert.strictEqual((yield* client.getSessionDetail(id)).status, "FINISH")
      assert.strictEqual((yield* Effect.flip(client.resumeSessionAsync(id)))._tag, "InvalidState")
      for (
        const call of [
          client.getSession("nope"),
          client.getSessionDetail("nope"),
          client.pauseSessionAsync("nope"),
          client.deleteSessionAsync("nope"),
          client.getLabel("nope"),
          client.getLink("nope"),
          client.syncContext({ sessionId: "nope" })
        ]
      ) {
        const error = yield* Effect.flip(call)
        assert.deepStrictEqual(error._tag === "NotFound" && [error.resource, error.id], ["Session", "nope"])
      }
      // The wire schemas reject what the real client would reject, before anything happens.
      assert.strictEqual((yield* Effect.flip(client.getSession(" ")))._tag, "ValidationError")
      assert.strictEqual((yield* Effect.flip(client.getLink(id, { port: 80 })))._tag, "ValidationError")
      assert.strictEqual((yield* Effect.flip(client.listSession({ maxResults: 0 })))._tag, "ValidationError")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("a zero delay settles at once; setTransitionDelay applies to later transitions", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const { id } = yield* client.createMcpSession({})
      yield* client.pauseSessionAsync(id)
      assert.strictEqual(yield* status(id), "PAUSED")
      yield* backend.setTransitionDelay("1 minute")
      yield* client.resumeSessionAsync(id)
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(yield* status(id), "RESUMING")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* status(id), "RUNNING")
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: 0 }))))
})

describe("AgentBayTest sessions and labels", () => {
  it.effect("ListSession: AND label filter, exact status filter, deleted only when asked, opaque tokens", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const a = yield* client.createMcpSession({ labels: { team: "x", env: "dev" } })
      yield* client.createMcpSession({ labels: { team: "x", env: "prod" } })
      const c = yield* client.createMcpSession({ labels: { team: "y" } })
      yield* client.deleteSessionAsync(c.id)
      const ids = (p: Parameters<typeof client.listSession>[0]) =>
        Effect.map(client.listSession(p), (page) => page.sessions.map((s) => s.id))
      assert.strictEqual((yield* ids({})).length, 3) // DELETING is still live
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual((yield* ids({})).length, 2)
      assert.deepStrictEqual(yield* ids({ labels: { team: "x", env: "dev" } }), [a.id])
      assert.deepStrictEqual(yield* ids({ labels: { team: "y" } }), [])
      assert.deepStrictEqual(yield* ids({ status: "DELETED" }), [c.id])
      assert.deepStrictEqual(yield* ids({ status: "DELETED", labels: { team: "y" } }), [c.id])

      const first = yield* client.listSession({ maxResults: 1 })
      assert.deepStrictEqual([first.sessions.length, first.maxResults, first.totalCount], [1, 1, 2])
      assert.isString(first.nextToken)
      const second = yield* client.listSession({ maxResults: 1, nextToken: first.nextToken })
      assert.strictEqual(second.nextToken, undefined)
      assert.notStrictEqual(second.sessions[0]!.id, first.sessions[0]!.id)
      const bad = yield* Effect.flip(client.listSession({ nextToken: "garbage!" }))
      assert.deepStrictEqual(bad._tag === "ApiError" && bad.code, "InvalidParameter")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("paging neither skips nor repeats sessions when sessions are deleted or created meanwhile", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const created = yield* Effect.replicateEffect(client.createMcpSession({}), 6)
      const first = yield* client.listSession({ maxResults: 3 })
      for (const s of first.sessions) yield* client.deleteSessionAsync(s.id)
      yield* client.createMcpSession({})
      const second = yield* client.listSession({ maxResults: 3, nextToken: first.nextToken })
      assert.deepStrictEqual(second.sessions.map((s) => s.id), created.slice(3).map((s) => s.id))
      assert.isString(second.nextToken) // the session created meanwhile comes next
      const third = yield* client.listSession({ maxResults: 3, nextToken: second.nextToken })
      assert.deepStrictEqual([third.sessions.length, third.nextToken], [1, undefined])
    }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: 0 }))))

  it.effect("setLabel replaces, getLabel reads; resource, link and context calls answer", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const { id } = yield* client.createMcpSession({ labels: { a: "1", b: "2" }, imageId: "code_latest" })
      yield* client.setLabel(id, { c: "3" })
      assert.deepStrictEqual(yield* client.getLabel(id), { c: "3" })
      assert.strictEqual((yield* client.getMcpResource(id)).sessionId, id)
      // The backend's link: on the backend's own host, naming the session and the forwarded port.
      assert.strictEqual(yield* client.getLink(id, { port: 30100 }), `http://agentbay.test/link/${id}/port/30100`)
      assert.strictEqual((yield* client.getSessionDetail(id)).imageId, "code_latest")
      yield* client.syncContext({ sessionId: id })
      assert.deepStrictEqual(yield* client.getContextInfo({ sessionId: id }), [])
      const task = { contextId: "ctx-1", path: "/data", status: "Running", taskType: "upload" }
      yield* backend.setContextTasks(id, [task, { ...task, contextId: "ctx-2" }])
      assert.deepStrictEqual(yield* client.getContextInfo({ sessionId: id, contextId: "ctx-1", path: "/data" }), [task])
      assert.strictEqual((yield* client.getContextInfo({ sessionId: id })).length, 2)
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))
})

describe("AgentBayTest Backend", () => {
  it.effect("failNext fails the next N calls of one method, then lets calls through", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const { id } = yield* client.createMcpSession({})
      const down = new TransportError({ action: "GetSession", reason: "Network" })
      yield* backend.failNext("getSession", down, { times: 2 })
      assert.strictEqual(yield* Effect.flip(client.getSession(id)), down)
      assert.strictEqual(yield* detail(id), "RUNNING") // other methods are not affected
      assert.strictEqual(yield* Effect.flip(client.getSession(id)), down)
      assert.strictEqual(yield* status(id), "RUNNING")
      // A faulted write changes nothing.
      yield* backend.failNext(
        "pauseSessionAsync",
        new TransportError({ action: "PauseSessionAsync", reason: "Timeout" })
      )
      assert.strictEqual((yield* Effect.flip(client.pauseSessionAsync(id)))._tag, "TransportError")
      assert.strictEqual(yield* status(id), "RUNNING")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("delayNext holds calls on the clock", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      yield* backend.delayNext("createMcpSession", "5 seconds")
      const slow = yield* Effect.fork(client.createMcpSession({}))
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual((yield* backend.sessions).length, 0)
      yield* TestClock.adjust("1 second")
      const created = yield* Fiber.join(slow)
      assert.strictEqual((yield* backend.sessions)[0]!.createdAt, 5000)
      yield* client.getSession(created.id) // not delayed
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("calls records every call with its time and arguments; sessions and liveSessions", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const a = yield* client.createMcpSession({ labels: { k: "v" } })
      const b = yield* client.createMcpSession({})
      yield* TestClock.adjust("1 second")
      yield* client.deleteSessionAsync(a.id)
      yield* Effect.flip(client.getSession("nope"))
      assert.strictEqual(yield* backend.callCount(), 4)
      assert.strictEqual(yield* backend.callCount("createMcpSession"), 2)
      assert.deepStrictEqual(yield* backend.calls("deleteSessionAsync"), [
        { method: "deleteSessionAsync", at: 1000, args: [a.id] }
      ])
      assert.deepStrictEqual((yield* backend.liveSessions).map((s) => s.id), [a.id, b.id]) // a is DELETING
      yield* TestClock.adjust("3 seconds")
      assert.deepStrictEqual((yield* backend.liveSessions).map((s) => s.id), [b.id])
      const all = yield* backend.sessions
      assert.deepStrictEqual(all.map((s) => [s.status, s.labels]), [["DELETED", { k: "v" }], ["RUNNING", {}]])
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("setStatus stages states the lifecycle never produces", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const backend = yield* AgentBayTest.Backend
      const { id } = yield* client.createMcpSession({})
      yield* client.pauseSessionAsync(id)
      yield* backend.setStatus(id, "ERROR")
      yield* TestClock.adjust("10 seconds") // the pending pause was dropped
      assert.strictEqual(yield* status(id), "ERROR")
      assert.strictEqual((yield* Effect.flip(client.resumeSessionAsync(id)))._tag, "InvalidState")
    }).pipe(Effect.provide(AgentBayTest.layer(timed))))

  it.effect("each layer is a fresh backend", () =>
    Effect.gen(function*() {
      const count = Effect.flatMap(AgentBayTest.Backend, (b) => Effect.map(b.sessions, (ss) => ss.length))
      const create = Effect.flatMap(AgentBayClient, (c) => c.createMcpSession({}))
      const first = yield* Effect.zipRight(create, count).pipe(Effect.provide(AgentBayTest.layer(timed)))
      const second = yield* count.pipe(Effect.provide(AgentBayTest.layer(timed)))
      assert.deepStrictEqual([first, second], [1, 0])
    }))
})

describe("AgentBayTest defaults: no clock to move", () => {
  // Written as a user's first test would be: no TestClock, no fork. Transitions
  // settle at once by default, so none of these waits on the clock.
  it.effect("a scoped session, pause, resume and delete just work", () =>
    Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const id = yield* Effect.scoped(Effect.gen(function*() {
        const bay = yield* AgentBay
        const session = yield* bay.session({ labels: { test: "first" } })
        assert.strictEqual((yield* bay.betaPauseAsync(session)).status, "PAUSED")
        assert.strictEqual((yield* bay.betaResumeAsync(session)).status, "RUNNING")
        return session.id
      }))
      assert.deepStrictEqual(yield* backend.liveSessions, [])
      const bay = yield* AgentBay
      const s = yield* bay.create()
      yield* bay.delete(s)
      assert.deepStrictEqual((yield* backend.sessions).map((x) => [x.id === id || x.id === s.id, x.status]), [
        [true, "DELETED"],
        [true, "DELETED"]
      ])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
