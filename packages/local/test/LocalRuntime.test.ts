// The runtime without HTTP: actions on an in-memory store, a Sandbox double and
// the TestClock (transitions settle when the clock says so).
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendSessions from "@effect-agentbay/backend/BackendSessions"
import * as MemoryVault from "@effect-agentbay/backend/MemoryVault"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as LocalAuth from "../src/LocalAuth.js"
import * as LocalStore from "../src/LocalStore.js"
import { sandboxDouble } from "./utils.js"

const keyA = "akl-test-key-a"
const keyB = "akl-test-key-b"

const runtimeLayer = (sandbox: ReturnType<typeof sandboxDouble>, filename = ":memory:") =>
  BackendRuntime.layer.pipe(
    Layer.provide(Layer.mergeAll(
      LocalAuth.layer({ apiKeys: [Redacted.make(keyA), Redacted.make(keyB)] }),
      BackendSessions.layer({ transitionDelay: "300 millis", deleteDelay: "300 millis" })
    )),
    Layer.provideMerge(
      Layer.mergeAll(LocalStore.layer({ filename }), MemoryVault.layer, sandbox.layer, NodeContext.layer)
    )
  )

const call = (action: string, fields: Record<string, string> = {}, key = keyA) =>
  Effect.flatMap(
    BackendRuntime.BackendRuntime,
    (rt) => rt.handle({ Action: action, Authorization: `Bearer ${key}`, ...fields }, { host: "local.test:1" })
  )

const create = (fields: Record<string, string> = {}, key = keyA) =>
  Effect.map(call("CreateMcpSession", fields, key), (r) => {
    assert.strictEqual(r.status, 200)
    return (r.body.Data as { SessionId: string }).SessionId
  })

const status = (id: string, key = keyA) =>
  Effect.map(call("GetSession", { SessionId: id }, key), (r) => (r.body.Data as { Status: string }).Status)

const errorKeys = ["RequestId", "Success", "Code", "Message", "HttpStatusCode"]

const expectError = (reply: BackendRuntime.Reply, httpStatus: number, code: string) => {
  assert.strictEqual(reply.status, httpStatus)
  assert.deepStrictEqual(Object.keys(reply.body), errorKeys)
  assert.strictEqual(reply.body.Success, false)
  assert.strictEqual(reply.body.Code, code)
  assert.strictEqual(reply.body.HttpStatusCode, httpStatus)
}

describe("BackendRuntime over the SQLite store", () => {
  it.effect("create starts a sandbox and records labels, image and the other fields", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      // The context, network and volume named must exist and be the caller's.
      const dataOf = (r: BackendRuntime.Reply) => r.body.Data as Record<string, string>
      const c1 = dataOf(yield* call("GetContext", { Name: "c1", AllowCreate: "true" })).Id!
      const net = dataOf(yield* call("CreateNetwork")).NetworkId!
      const vol = dataOf(yield* call("GetVolume", { VolumeName: "v1", ImageId: "code_latest", AllowCreate: "true" }))
        .VolumeId!
      const created = yield* call("CreateMcpSession", {
        ImageId: "code_latest",
        Labels: JSON.stringify({ team: "qa" }),
        McpPolicyId: "p-1",
        NetworkId: net,
        VolumeId: vol,
        EnableRecord: "false",
        PersistenceDataList: JSON.stringify([{
          ContextId: c1,
          Path: "/home/wuying/data",
          Policy: "{\"bwList\":null}"
        }]),
        SdkStats: JSON.stringify({ source: "sdk" })
      })
      assert.strictEqual(created.status, 200)
      assert.deepStrictEqual(Object.keys(created.body), [...errorKeys, "Data"])
      const data = created.body.Data as Record<string, unknown>
      const id = data.SessionId as string
      assert.deepStrictEqual(Object.keys(data).sort(), [
        "AppInstanceId",
        "HttpPort",
        "NetworkInterfaceIp",
        "ResourceId",
        "ResourceUrl",
        "SessionId",
        "Success",
        "Token",
        "ToolList",
        "VpcResource"
      ])
      // ToolList is JSON text naming every tool (and its server), so the official client knows the tools.
      const toolNames = (JSON.parse(data.ToolList as string) as Array<{ name: string; server: string }>).map((t) =>
        t.name
      )
      assert.includeMembers(toolNames, ["shell", "run_code", "read_file", "write_file", "get_metrics"])
      assert.strictEqual(data.ResourceUrl, `http://local.test:1/resource/${id}`)
      assert.deepStrictEqual(sandbox.calls, [`start:${id}`])

      const detail = yield* call("GetSessionDetail", { SessionId: id })
      assert.deepStrictEqual(detail.body.Data, {
        Status: "RUNNING",
        ImageId: "code_latest",
        RegionId: "local",
        AppInstanceId: `ai-${id}`
      })
      const labels = yield* call("GetLabel", { SessionId: id })
      assert.deepStrictEqual(labels.body.Data, { Labels: "{\"team\":\"qa\"}" })
      const row = yield* Effect.flatMap(LocalStore.LocalStore, (s) => s.findSession(id))
      assert.isTrue(row._tag === "Some")
      if (row._tag === "Some") {
        const persistence = [{ ContextId: c1, Path: "/home/wuying/data", Policy: { bwList: null } }]
        assert.deepStrictEqual(row.value.params.PersistenceDataList, persistence)
        assert.strictEqual(row.value.params.VolumeId, vol)
        assert.strictEqual(row.value.params.EnableRecord, false)
        assert.strictEqual(row.value.owner, LocalAuth.hash(keyA))
      }
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.effect("pause shows PAUSING at once and PAUSED after the delay; the sandbox freezes on acceptance", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const id = yield* create()
      const paused = yield* call("PauseSessionAsync", { SessionId: id })
      assert.strictEqual(paused.status, 200)
      assert.deepStrictEqual(Object.keys(paused.body), errorKeys) // no Data
      assert.deepStrictEqual(sandbox.of(id), [`start:${id}`, `pause:${id}`])
      assert.strictEqual(yield* status(id), "PAUSING")
      yield* TestClock.adjust("299 millis")
      assert.strictEqual(yield* status(id), "PAUSING")
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* status(id), "PAUSED")

      yield* call("ResumeSessionAsync", { SessionId: id })
      assert.strictEqual(yield* status(id), "RESUMING")
      assert.deepStrictEqual(sandbox.of(id).at(-1), `resume:${id}`)
      yield* TestClock.adjust("300 millis")
      assert.strictEqual(yield* status(id), "RUNNING")
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.effect("no-op and rejected transitions follow Lifecycle.decide", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const id = yield* create()
      // resume of a RUNNING session: accepted, nothing happens
      assert.strictEqual((yield* call("ResumeSessionAsync", { SessionId: id })).status, 200)
      yield* call("PauseSessionAsync", { SessionId: id })
      // pause of a PAUSING session: accepted, the sandbox is not paused twice
      assert.strictEqual((yield* call("PauseSessionAsync", { SessionId: id })).status, 200)
      assert.deepStrictEqual(sandbox.of(id), [`start:${id}`, `pause:${id}`])
      // resume while PAUSING: rejected, naming the status
      const early = yield* call("ResumeSessionAsync", { SessionId: id })
      expectError(early, 400, "InvalidSession.Status")
      assert.include(early.body.Message, "PAUSING")

      yield* call("DeleteSessionAsync", { SessionId: id })
      assert.strictEqual(yield* status(id), "DELETING")
      assert.deepStrictEqual(sandbox.of(id).at(-1), `destroy:${id}`)
      const pauseDeleting = yield* call("PauseSessionAsync", { SessionId: id })
      expectError(pauseDeleting, 400, "InvalidSession.Status")
      assert.include(pauseDeleting.body.Message, "DELETING")
      assert.strictEqual((yield* call("DeleteSessionAsync", { SessionId: id })).status, 200) // no-op

      yield* TestClock.adjust("300 millis")
      assert.strictEqual(yield* status(id), "DELETED")
      const detail = yield* call("GetSessionDetail", { SessionId: id })
      assert.strictEqual((detail.body.Data as { Status: string }).Status, "FINISH")
      assert.strictEqual((yield* call("DeleteSessionAsync", { SessionId: id })).status, 200) // no-op: already gone
      const resumeGone = yield* call("ResumeSessionAsync", { SessionId: id })
      expectError(resumeGone, 400, "InvalidSession.Status")
      assert.include(resumeGone.body.Message, "DELETED")
      expectError(yield* call("SetLabel", { SessionId: id, Labels: "{\"a\":\"b\"}" }), 400, "InvalidSession.Status")
      expectError(yield* call("GetLink", { SessionId: id }), 400, "InvalidSession.Status")
      assert.strictEqual(sandbox.of(id).filter((c) => c.startsWith("destroy")).length, 1)
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.effect("ReleaseMcpSession deletes at once", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const id = yield* create()
      assert.strictEqual((yield* call("ReleaseMcpSession", { SessionId: id })).status, 200)
      assert.strictEqual(yield* status(id), "DELETED")
      assert.deepStrictEqual(sandbox.of(id), [`start:${id}`, `destroy:${id}`])
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.effect("list: AND label filter, exact status filter, deleted left out, keyset pages", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const demo = JSON.stringify({ project: "demo" })
      const a = yield* create({ Labels: JSON.stringify({ project: "demo", owner: "alice" }) })
      const b = yield* create({ Labels: demo })
      const c = yield* create({ Labels: demo })
      const gone = yield* create({ Labels: demo })
      yield* create({ Labels: JSON.stringify({ project: "other" }) })
      yield* call("ReleaseMcpSession", { SessionId: gone })
      yield* call("PauseSessionAsync", { SessionId: c })
      yield* TestClock.adjust("1 second") // c settles to PAUSED on read

      const list = (fields: Record<string, string>) => call("ListSession", fields)
      const ids = (r: BackendRuntime.Reply) => (r.body.Data as Array<{ SessionId: string }>).map((s) => s.SessionId)

      const first = yield* list({ Labels: demo, MaxResults: "2" })
      assert.deepStrictEqual(ids(first), [a, b])
      assert.strictEqual(first.body.TotalCount, 3)
      assert.strictEqual(first.body.MaxResults, 2)
      assert.isTrue((first.body.NextToken ?? "").length > 0)
      const second = yield* list({ Labels: demo, MaxResults: "2", NextToken: first.body.NextToken! })
      assert.deepStrictEqual(second.body.Data, [{ SessionId: c, SessionStatus: "PAUSED" }])
      assert.strictEqual(second.body.NextToken, "")
      assert.strictEqual(second.body.TotalCount, 3)

      assert.deepStrictEqual(ids(yield* list({ Labels: JSON.stringify({ project: "demo", owner: "alice" }) })), [a])
      assert.deepStrictEqual(ids(yield* list({ Labels: JSON.stringify({ project: "demo", owner: "bob" }) })), [])
      assert.deepStrictEqual(ids(yield* list({ Labels: demo, Status: "PAUSED" })), [c])
      assert.deepStrictEqual(ids(yield* list({ Status: "DELETED" })), [gone])
      const all = yield* list({})
      assert.strictEqual(all.body.TotalCount, 4)
      assert.strictEqual(all.body.MaxResults, 10)
      assert.notInclude(ids(all), gone)
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.effect("bad parameters are InvalidParameter naming the field", () =>
    Effect.gen(function*() {
      const cases: Array<[string, Record<string, string>, string]> = [
        ["ListSession", { MaxResults: "abc" }, "MaxResults"],
        ["ListSession", { MaxResults: "101" }, "MaxResults"],
        ["ListSession", { Status: "SLEEPING" }, "Status"],
        ["ListSession", { NextToken: "not-a-token" }, "NextToken"],
        ["CreateMcpSession", { Labels: "{not json" }, "Labels"],
        ["CreateMcpSession", { Labels: JSON.stringify({ a: " " }) }, "Labels"],
        ["GetSession", {}, "SessionId"],
        ["PauseSessionAsync", { SessionId: "   " }, "SessionId"],
        ["GetLink", { SessionId: "x", Port: "80" }, "Port"]
      ]
      for (const [action, fields, field] of cases) {
        const reply = yield* call(action, fields)
        expectError(reply, 400, "InvalidParameter")
        const where = `${action} ${JSON.stringify(fields)}: ${reply.body.Message}`
        assert.isTrue(reply.body.Message!.startsWith(field), where)
      }
    }).pipe(Effect.provide(runtimeLayer(sandboxDouble()))))

  it.effect("authentication, dispatch, and keys isolated from each other", () =>
    Effect.gen(function*() {
      const rt = yield* BackendRuntime.BackendRuntime
      expectError(yield* rt.handle({ Action: "ListSession" }, { host: "h" }), 401, "InvalidApiKey")
      expectError(yield* rt.handle({ Action: "ListSession", Authorization: keyA }, { host: "h" }), 401, "InvalidApiKey")
      expectError(yield* call("ListSession", {}, "akl-wrong"), 401, "InvalidApiKey")
      expectError(yield* call("GetAdbLink", { SessionId: "x" }), 404, "InvalidAction.NotFound")
      expectError(yield* rt.handle({ Authorization: `Bearer ${keyA}` }, { host: "h" }), 400, "InvalidParameter")
      expectError(yield* call("GetSession", { SessionId: "nope" }), 400, "InvalidMcpSession.NotFound")

      const id = yield* create({}, keyA)
      for (const action of ["GetSession", "GetSessionDetail", "PauseSessionAsync", "DeleteSessionAsync", "GetLabel"]) {
        expectError(yield* call(action, { SessionId: id }, keyB), 400, "InvalidMcpSession.NotFound")
      }
      const relabel = yield* call("SetLabel", { SessionId: id, Labels: "{\"x\":\"y\"}" }, keyB)
      expectError(relabel, 400, "InvalidMcpSession.NotFound")
      assert.strictEqual((yield* call("ListSession", {}, keyB)).body.TotalCount, 0)
      assert.strictEqual(yield* status(id, keyA), "RUNNING")
    }).pipe(Effect.provide(runtimeLayer(sandboxDouble()))))

  it.effect("links, resource info and the context stubs", () =>
    Effect.gen(function*() {
      const id = yield* create()
      const link = yield* call("GetLink", { SessionId: id })
      assert.deepStrictEqual(link.body.Data, { Url: `http://local.test:1/link/${id}` })
      assert.deepStrictEqual(
        (yield* call("GetLink", { SessionId: id, Port: "30150", ProtocolType: "https" })).body.Data,
        { Url: `http://local.test:1/link/${id}/port/30150` }
      )
      const info = (yield* call("GetMcpResource", { SessionId: id })).body.Data as Record<string, any>
      assert.strictEqual(info.SessionId, id)
      assert.deepStrictEqual(Object.keys(info.DesktopInfo).sort(), [
        "AppId",
        "AuthCode",
        "ConnectionProperties",
        "ResourceId",
        "ResourceType",
        "Ticket"
      ])
      assert.strictEqual((yield* call("SyncContext", { SessionId: id, Mode: "upload" })).status, 200)
      assert.deepStrictEqual((yield* call("GetContextInfo", { SessionId: id })).body.Data, { ContextStatus: "" })
      expectError(yield* call("SyncContext", { SessionId: id, Mode: "sideways" }), 400, "InvalidParameter")
    }).pipe(Effect.provide(runtimeLayer(sandboxDouble()))))

  it.effect("sandbox failures answer 500 and change nothing; defects answer a generic 500", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      sandbox.failing.add("start")
      expectError(yield* call("CreateMcpSession"), 500, "InternalError")
      assert.strictEqual((yield* call("ListSession")).body.TotalCount, 0)
      sandbox.failing.clear()
      const id = yield* create()
      sandbox.failing.add("pause")
      expectError(yield* call("PauseSessionAsync", { SessionId: id }), 500, "InternalError")
      assert.strictEqual(yield* status(id), "RUNNING")
      sandbox.failing.add("destroy") // destroy cannot fail: the double dies instead
      const defect = yield* call("DeleteSessionAsync", { SessionId: id })
      expectError(defect, 500, "InternalError")
      assert.strictEqual(defect.body.Message, "Internal error")
    }).pipe(Effect.provide(runtimeLayer(sandbox)))
  })

  it.scoped("a restart settles transitions in flight and reconciles every sandbox", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const file = `${yield* fs.makeTempDirectoryScoped()}/agentbay.db`
      const before = sandboxDouble()
      const ids = yield* Effect.gen(function*() {
        const running = yield* create({ Labels: JSON.stringify({ keep: "me" }) })
        const pausing = yield* create()
        const paused = yield* create()
        const deleting = yield* create()
        yield* call("PauseSessionAsync", { SessionId: paused })
        yield* TestClock.adjust("1 second")
        assert.strictEqual(yield* status(paused), "PAUSED")
        yield* call("PauseSessionAsync", { SessionId: pausing })
        yield* call("DeleteSessionAsync", { SessionId: deleting })
        return { running, pausing, paused, deleting }
      }).pipe(Effect.provide(runtimeLayer(before, file)))

      const after = sandboxDouble()
      yield* Effect.gen(function*() {
        assert.strictEqual(yield* status(ids.running), "RUNNING")
        assert.strictEqual(yield* status(ids.pausing), "PAUSED")
        assert.strictEqual(yield* status(ids.paused), "PAUSED")
        assert.strictEqual(yield* status(ids.deleting), "DELETED")
        const labels = yield* call("GetLabel", { SessionId: ids.running })
        assert.deepStrictEqual(labels.body.Data, { Labels: "{\"keep\":\"me\"}" })
        const rows = yield* Effect.flatMap(LocalStore.LocalStore, (s) => s.pending())
        assert.strictEqual(rows.length, 0)
      }).pipe(Effect.provide(runtimeLayer(after, file)))
      assert.sameMembers(after.calls, [
        `start:${ids.running}`,
        `start:${ids.pausing}`,
        `pause:${ids.pausing}`,
        `start:${ids.paused}`,
        `pause:${ids.paused}`,
        `destroy:${ids.deleting}`
      ])
    }).pipe(Effect.provide(NodeContext.layer)))
})
