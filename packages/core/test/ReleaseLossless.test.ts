// A scoped session's release never loses data: with `syncContext`, a failed
// sync leaves the session in place (no DeleteSessionAsync), labelled with the
// release-failed mark merged into its labels, and logged; `reap` deletes it
// later only after a successful sync. And a create whose initial context
// download fails (or times out) deletes the new session before failing.
// Against a small scripted session server in memory.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type * as WireContext from "@effect-agentbay/core/WireContext"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

import * as Server from "./scriptedServer.js"

interface Row {
  labels: Record<string, string>
  deleted: boolean
}

// Sessions with labels; the sync tasks GetContextInfo reports are `tasks` (mutable).
const sessionServer = () => {
  const rows = new Map<string, Row>()
  const state = { tasks: [] as Array<WireContext.ContextTask>, created: 0 }
  const handler: Server.Handler = (s) => {
    const id = s.fields.get("SessionId") ?? ""
    const row = rows.get(id)
    switch (s.action) {
      case "CreateMcpSession": {
        const sessionId = `s-${++state.created}`
        rows.set(sessionId, { labels: JSON.parse(s.fields.get("Labels") ?? "{}"), deleted: false })
        return Server.ok({ SessionId: sessionId, ResourceUrl: "http://r", Success: true })
      }
      case "GetLabel":
        return row
          ? Server.ok({ Labels: JSON.stringify(row.labels) })
          : Server.apiError(400, "InvalidMcpSession.NotFound")
      case "SetLabel":
        if (!row) return Server.apiError(400, "InvalidMcpSession.NotFound")
        row.labels = JSON.parse(s.fields.get("Labels")!)
        return Server.ok()
      case "SyncContext":
        return Server.ok()
      case "GetContextInfo":
        return Server.tasks(state.tasks)
      case "DeleteSessionAsync":
        if (row) row.deleted = true
        return Server.ok()
      case "GetSessionDetail":
        return Server.ok({ Status: row === undefined || row.deleted ? "FINISH" : "RUNNING" })
      case "ListSession": {
        const want: Record<string, string> = JSON.parse(s.fields.get("Labels") ?? "{}")
        const live = [...rows].filter(([, r]) =>
          !r.deleted && Object.entries(want).every(([k, v]) => r.labels[k] === v)
        )
        return Server.ok(live.map(([sessionId]) => ({ SessionId: sessionId, SessionStatus: "RUNNING" })))
      }
      default:
        return Server.apiError(400, "InvalidAction.NotFound")
    }
  }
  const { client, sent } = Server.scripted(handler)
  return { client, sent, rows, state }
}

const task = (taskType: string, status: string, errorMessage = ""): WireContext.ContextTask => ({
  contextId: "ctx-1",
  path: "/home/wuying/data",
  taskType,
  status,
  errorMessage
})

// Runs `use` over the server with owner stamps on; returns the warnings logged.
const run = <A, E>(server: ReturnType<typeof sessionServer>, use: Effect.Effect<A, E, AgentBay.AgentBay>) =>
  Effect.gen(function*() {
    const warnings: Array<string> = []
    const logger = Logger.make(({ cause, logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(`${String(message)} ${Cause.pretty(cause)}`)
    })
    const layer = Server.layer(server.client, { stamp: true }).pipe(
      Layer.provide(AgentBay.layerWaits({ contextSync: { interval: "1 second", timeout: "5 seconds" } })),
      Layer.merge(Logger.replace(Logger.defaultLogger, logger))
    )
    const result = yield* Effect.either(Effect.provide(use, layer))
    return { result, warnings }
  })

const bay = AgentBay.AgentBay
const K = AgentBay.releaseFailedLabel

describe("lossless release", () => {
  it.effect("a failed sync at release leaves the session, labels it (labels merged) and logs why", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("upload", "Failed", "upload quota exceeded")]
      const { result, warnings } = yield* run(
        server,
        Effect.scoped(Effect.flatMap(bay, (b) => b.session({ labels: { team: "qa" }, release: { syncContext: true } })))
      )
      assert.isTrue(result._tag === "Right")
      assert.isFalse(server.sent.some((s) => s.action === "DeleteSessionAsync"), "no delete was sent")
      const row = server.rows.get("s-1")!
      assert.isFalse(row.deleted)
      assert.strictEqual(row.labels[K.key], K.value)
      assert.strictEqual(row.labels.team, "qa", "the user's labels are kept")
      assert.strictEqual(row.labels[AgentBay.stampKeys.managedBy], "effect-agentbay", "the stamps are kept")
      const actions = Server.actions(server.sent)
      assert.deepStrictEqual(actions.slice(actions.indexOf("SyncContext")), [
        "SyncContext",
        "GetContextInfo",
        "GetLabel",
        "SetLabel"
      ])
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "s-1")
      assert.include(warnings[0], "context sync")
      assert.include(warnings[0], "upload quota exceeded", "the cause names the failed task")
    }))

  it.effect("a sync that times out at release also keeps the session", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("upload", "Running")]
      const fiber = yield* Effect.fork(run(
        server,
        Effect.scoped(
          Effect.flatMap(bay, (b) => b.session({ release: { syncContext: true, syncTimeout: "3 seconds" } }))
        )
      ))
      yield* TestClock.adjust("4 seconds")
      const { result } = yield* Fiber.join(fiber)
      assert.isTrue(result._tag === "Right")
      assert.isFalse(server.sent.some((s) => s.action === "DeleteSessionAsync"))
      assert.strictEqual(server.rows.get("s-1")!.labels[K.key], K.value)
    }))

  it.effect("a successful sync at release deletes; an earlier failed download task does not count against it", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("download", "Failed", "old"), task("upload", "Success")]
      yield* run(server, Effect.scoped(Effect.flatMap(bay, (b) => b.session({ release: { syncContext: true } }))))
      assert.isTrue(server.rows.get("s-1")!.deleted)
      const actions = Server.actions(server.sent)
      assert.isBelow(actions.indexOf("SyncContext"), actions.indexOf("DeleteSessionAsync"))
      assert.isUndefined(server.rows.get("s-1")!.labels[K.key])
    }))

  it.effect("the release's options are checked before anything is created", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      const { result } = yield* run(
        server,
        Effect.scoped(Effect.flatMap(bay, (b) => b.session({ release: { syncContext: true, syncTimeout: -1 } })))
      )
      assert.deepInclude(result._tag === "Left" ? result.left : {}, { _tag: "ValidationError", field: "sync.timeout" })
      assert.strictEqual(server.sent.length, 0)
    }))

  it.effect("a kept session gives its maxSessions permit back", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("upload", "Failed")]
      const layer = Server.layer(server.client, { stamp: true }).pipe(
        Layer.provide(AgentBay.layerOwnership({ maxSessions: 1 }))
      )
      yield* Effect.provide(
        Effect.flatMap(bay, (b) =>
          Effect.zipRight(
            Effect.scoped(b.session({ release: { syncContext: true } })),
            b.create() // would wait forever if the kept session still held the only permit
          )),
        layer
      )
      assert.strictEqual(server.state.created, 2)
    }))
})

describe("reap finishes what a release left", () => {
  const leave = (server: ReturnType<typeof sessionServer>) =>
    Effect.gen(function*() {
      server.state.tasks = [task("upload", "Failed")]
      yield* run(server, Effect.scoped(Effect.flatMap(bay, (b) => b.session({ release: { syncContext: true } }))))
      assert.strictEqual(server.rows.get("s-1")!.labels[K.key], K.value)
    })
  const reapAll = Effect.map(Stream.runCollect(AgentBay.reap()), Chunk.toReadonlyArray)

  it.effect("once a sync succeeds: synced, then deleted, reported with the reason (not yet expired)", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      yield* leave(server)
      server.state.tasks = [task("upload", "Success")]
      const before = server.sent.length
      const { result } = yield* run(server, reapAll)
      if (result._tag === "Left") return assert.fail(String(result.left))
      assert.strictEqual(result.right.length, 1)
      assert.deepInclude(result.right[0], { id: "s-1", reason: "releaseFailed", releaseFailure: "context-sync" })
      assert.isTrue(server.rows.get("s-1")!.deleted)
      const actions = Server.actions(server.sent.slice(before))
      assert.isBelow(actions.indexOf("SyncContext"), actions.indexOf("DeleteSessionAsync"))
    }))

  it.effect("while the sync still fails: not deleted, not reported, logged for a later reap", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      yield* leave(server)
      const { result, warnings } = yield* run(server, reapAll)
      assert.deepStrictEqual(result._tag === "Right" ? result.right : undefined, [])
      assert.isFalse(server.rows.get("s-1")!.deleted)
      assert.isFalse(server.sent.some((s) => s.action === "DeleteSessionAsync"))
      assert.isTrue(warnings.some((w) => w.includes("s-1") && w.includes("later reap")))
    }))
})

describe("create with contextSync: a failed initial download leaks nothing", () => {
  const contextSync = [{ contextId: "ctx-1", path: "/home/wuying/data" }]

  it.effect("a Failed download task: the new session is deleted, then ContextSyncError", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("download", "Failed", "no such context data")]
      const { result } = yield* run(server, Effect.flatMap(bay, (b) => b.create({ contextSync })))
      assert.deepInclude(result._tag === "Left" ? result.left : {}, { _tag: "ContextSyncError", sessionId: "s-1" })
      assert.isTrue(server.rows.get("s-1")!.deleted)
    }))

  it.effect("a download that never finishes: WaitTimeout, and the session is deleted", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("download", "Running")]
      const fiber = yield* Effect.fork(
        run(server, Effect.flatMap(bay, (b) => b.create({ contextSync, contextSyncTimeout: "3 seconds" })))
      )
      yield* TestClock.adjust("4 seconds")
      const { result } = yield* Fiber.join(fiber)
      assert.deepInclude(result._tag === "Left" ? result.left : {}, { _tag: "WaitTimeout", id: "s-1" })
      assert.isTrue(server.rows.get("s-1")!.deleted)
    }))

  it.effect("the same in a scoped session, whose acquire runs uninterruptibly: the wait still times out", () =>
    Effect.gen(function*() {
      const server = sessionServer()
      server.state.tasks = [task("download", "Running")]
      const fiber = yield* Effect.fork(
        run(
          server,
          Effect.scoped(Effect.flatMap(bay, (b) => b.session({ contextSync, contextSyncTimeout: "3 seconds" })))
        )
      )
      yield* TestClock.adjust("4 seconds")
      const { result } = yield* Fiber.join(fiber)
      assert.deepInclude(result._tag === "Left" ? result.left : {}, { _tag: "WaitTimeout", id: "s-1" })
      assert.isTrue(server.rows.get("s-1")!.deleted)
    }))
})
