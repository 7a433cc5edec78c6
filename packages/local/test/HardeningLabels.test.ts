// Labels have limits (Session.labelLimits), checked by the SDK before sending and
// by the server for create, SetLabel and list filters; list filters go through
// the indexed session_labels table, kept in step with sessions.labels; JSON-text
// fields nested too deep are a 400 envelope, never a 500 (defects 1 and 3 of
// "Performance and reliability").
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as MemoryStore from "@effect-agentbay/backend/MemoryStore"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { labelLimits } from "@effect-agentbay/core/Session"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalStore from "../src/LocalStore.js"
import { form, portOf, raw, type RawResponse, sandboxDouble } from "./utils.js"

const key = "akl-hardening-labels"
const auth = `Bearer ${key}`

const post = (action: string, fields: Record<string, string>) =>
  Effect.flatMap(AgentBayLocal.Info, (info) =>
    raw(portOf(info.endpoint), {
      path: `/?Action=${action}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form({ Authorization: auth, ...fields })
    }))

const expectError = (res: RawResponse, status: number, code: string, message?: RegExp) => {
  assert.strictEqual(res.status, status, res.text)
  assert.deepStrictEqual(Object.keys(res.json), ["RequestId", "Success", "Code", "Message", "HttpStatusCode"])
  assert.strictEqual(res.json.Success, false)
  assert.strictEqual(res.json.Code, code)
  assert.strictEqual(res.json.HttpStatusCode, status)
  if (message !== undefined) assert.match(res.json.Message, message)
}

const pairs = (n: number, keyLength = 8, valueLength = 8) =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`k${i}-`.padEnd(keyLength, "k"), `v${i}-`.padEnd(valueLength, "v")])
  )

const deep = (depth: number, open: string, close: string) => `${open.repeat(depth)}"x"${close.repeat(depth)}`

const Server = AgentBayLocal.layerWith({ apiKey: Redacted.make(key), transitionDelay: 0 }, () => sandboxDouble().layer)

layer(Server, { excludeTestServices: true, timeout: "60 seconds" })("label limits over HTTP", (it) => {
  it.effect("the largest labels and filter allowed, with a GetSession alongside, all answer", () =>
    Effect.gen(function*() {
      const labels = pairs(labelLimits.maxLabels, labelLimits.maxKeyLength, labelLimits.maxValueLength)
      const created = yield* post("CreateMcpSession", { Labels: JSON.stringify(labels) })
      assert.strictEqual(created.status, 200, created.text)
      const id: string = created.json.Data.SessionId
      // Generous bound: the defect made such requests take seconds to minutes and stall every other.
      const [list, get] = yield* Effect.all([
        post("ListSession", { Labels: JSON.stringify(labels) }),
        post("GetSession", { SessionId: id })
      ], { concurrency: "unbounded" }).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(list.status, 200, list.text)
      assert.deepStrictEqual(list.json.Data.map((s: { SessionId: string }) => s.SessionId), [id])
      assert.strictEqual(list.json.TotalCount, 1)
      assert.strictEqual(get.json.Data.SessionId, id)
      const label = yield* post("GetLabel", { SessionId: id })
      assert.deepStrictEqual(JSON.parse(label.json.Data.Labels), labels)
    }))

  it.effect("past the limits: create, SetLabel and list filters are 400 InvalidParameter envelopes", () =>
    Effect.gen(function*() {
      const over = labelLimits.maxLabels + 1
      expectError(
        yield* post("CreateMcpSession", { Labels: JSON.stringify(pairs(over)) }),
        400,
        "InvalidParameter",
        /^Labels: at most 64 labels \(got 65\)/
      )
      const longKey = { [`k`.repeat(labelLimits.maxKeyLength + 1)]: "v" }
      const create = (labels: Record<string, string>) => post("CreateMcpSession", { Labels: JSON.stringify(labels) })
      expectError(yield* create(longKey), 400, "InvalidParameter", /^Labels/)
      const longValue = { k: "v".repeat(labelLimits.maxValueLength + 1) }
      expectError(yield* create(longValue), 400, "InvalidParameter", /^Labels/)
      const id: string = (yield* post("CreateMcpSession", {})).json.Data.SessionId
      // The probe's SetLabel with 100k keys, and its ListSession with ~1000 filter keys (a 500 before).
      expectError(
        yield* post("SetLabel", { SessionId: id, Labels: JSON.stringify(pairs(100_000)) }),
        400,
        "InvalidParameter",
        /^Labels: is longer than 262144 characters/
      )
      expectError(
        yield* post("SetLabel", { SessionId: id, Labels: JSON.stringify(pairs(1000)) }),
        400,
        "InvalidParameter",
        /^Labels: at most 64 labels \(got 1000\)/
      )
      const filter = yield* post("ListSession", { Labels: JSON.stringify(pairs(1000)) })
      expectError(filter, 400, "InvalidParameter", /^Labels: at most 64 labels \(got 1000\)/)
      expectError(
        yield* post("ListSession", { Labels: `{"k":"${"v".repeat(300 * 1024)}"}` }),
        400,
        "InvalidParameter",
        /^Labels: is longer than/
      )
      // Nothing was stored for the refused requests.
      assert.deepStrictEqual(JSON.parse((yield* post("GetLabel", { SessionId: id })).json.Data.Labels), {})
    }))

  it.effect("JSON-text fields nested 6000 deep are 400 envelopes, not 500s", () =>
    Effect.gen(function*() {
      const cases: Array<[string, string]> = [
        ["Labels", deep(6000, "{\"a\":", "}")],
        ["ExtraConfigs", deep(6000, "{\"a\":", "}")],
        ["PersistenceDataList", deep(6000, "[", "]")],
        ["SdkStats", deep(6000, "{\"a\":", "}")]
      ]
      for (const [field, text] of cases) {
        const res = yield* post("CreateMcpSession", { [field]: text })
        expectError(res, 400, "InvalidParameter", new RegExp(`^${field}: is JSON nested deeper than 64 levels`))
      }
      // JSON text inside a JSON string (a Policy) is decoded later: still a 400.
      const policy = [{ ContextId: "c", Path: "/p", Policy: deep(6000, "[", "]") }]
      expectError(
        yield* post("CreateMcpSession", { PersistenceDataList: JSON.stringify(policy) }),
        400,
        "InvalidParameter"
      )
      // The limit itself is fine.
      const ok = yield* post("CreateMcpSession", { ExtraConfigs: deep(BackendRuntime.maxJsonDepth, "{\"a\":", "}") })
      assert.strictEqual(ok.status, 200, ok.text)
    }))

  it.effect("the SDK refuses labels past the limits with ValidationError, sending nothing", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const before = (yield* post("ListSession", { MaxResults: "100" })).json.TotalCount
      const tooMany = pairs(labelLimits.maxLabels + 1)
      const created = yield* Effect.flip(bay.create({ labels: tooMany }))
      assert.strictEqual(created._tag, "ValidationError")
      // The message names the limit that was passed.
      assert.strictEqual(
        created.message,
        `create: labels at most ${labelLimits.maxLabels} labels (got ${labelLimits.maxLabels + 1})`
      )
      const listed = yield* Effect.flip(bay.listPage({ labels: tooMany }))
      assert.strictEqual(listed._tag, "ValidationError")
      const session = yield* bay.create({ labels: { team: "qa" } })
      const set = yield* Effect.flip(session.setLabels({ k: "v".repeat(labelLimits.maxValueLength + 1) }))
      assert.strictEqual(set._tag, "ValidationError")
      assert.include(set.message, `label values must be at most ${labelLimits.maxValueLength} characters`)
      // Only the one valid create reached the server.
      assert.strictEqual((yield* post("ListSession", { MaxResults: "100" })).json.TotalCount, before + 1)
    }))
})

const row = (id: string, labels: Record<string, string>, createdAt = 0): BackendStore.NewSession => ({
  id,
  owner: "o",
  state: { status: "RUNNING" },
  labels,
  imageId: "linux_latest",
  token: "t",
  params: {},
  createdAt
})

const query = (labels: Record<string, string>): BackendStore.SessionQuery => ({
  labels,
  exclude: [],
  after: 0,
  limit: 100
})

const ids = (page: BackendStore.SessionPage) => page.rows.map((r) => r.id)

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-labels-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const withStore = <A>(filename: string, use: (store: BackendStore.BackendStore.Service) => Effect.Effect<A>) =>
  Effect.flatMap(BackendStore.BackendStore, use).pipe(Effect.provide(LocalStore.layer({ filename })))

const withSql = <A>(filename: string, use: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.flatMap(SqlClient.SqlClient, use).pipe(
    Effect.provide(SqliteClient.layer({ filename })),
    Effect.provide(NodeContext.layer)
  )

describe("the label index of the SQLite store", () => {
  it.scoped("migration 0002 backfills session_labels from the rows stored before it", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "agentbay.db")
      yield* withStore(file, (store) =>
        Effect.all([store.insertSession(row("s-1", { team: "qa", tier: "one" })), store.insertSession(row("s-2", {}))]))
      // Back to the state of a database written before 0002.
      yield* withSql(file, (sql) =>
        Effect.all([
          sql`DROP TABLE session_labels`,
          sql`DROP INDEX sessions_status_updated`,
          sql`DROP INDEX sessions_created`,
          sql`DELETE FROM effect_sql_migrations WHERE migration_id = 2`
        ], { discard: true }))
      const found = yield* withStore(file, (store) =>
        store.listSessions(query({ team: "qa", tier: "one" })))
      assert.deepStrictEqual(ids(found), ["s-1"])
      const plan = yield* withSql(file, (sql) =>
        sql<{ detail: string }>`EXPLAIN QUERY PLAN
          SELECT session_seq FROM session_labels WHERE key = 'a' AND value = 'b'`)
      assert.isTrue(
        plan.some((p) =>
          p.detail.includes("session_labels_key_value")
        ),
        JSON.stringify(plan)
      )
    }))

  it.scoped("set labels, purge and count keep the index in step", () =>
    Effect.gen(function*() {
      const file = path.join(yield* tempDir, "agentbay.db")
      yield* withStore(file, (store) =>
        Effect.gen(function*() {
          yield* store.insertSession(row("s-1", { team: "qa" }, 0))
          yield* store.insertSession(row("s-2", { team: "qa" }, 1000))
          yield* store.setLabels("s-1", { team: "dev" }, 5)
          assert.deepStrictEqual(ids(yield* store.listSessions(query({ team: "qa" }))), ["s-2"])
          assert.deepStrictEqual(ids(yield* store.listSessions(query({ team: "dev" }))), ["s-1"])
          // expired: live sessions created at least ttl ago
          assert.deepStrictEqual((yield* store.expired(1500, 1000)).map((r) => r.id), ["s-1"])
          yield* store.setState("s-1", { status: "RUNNING" }, { status: "DELETED" }, 10)
          assert.deepStrictEqual((yield* store.expired(5000, 1000)).map((r) => r.id), ["s-2"])
          assert.deepStrictEqual(yield* store.purgeGone(10), [])
          assert.deepStrictEqual(yield* store.purgeGone(11), ["s-1"])
        }))
      const left = yield* withSql(file, (sql) => sql<{ key: string }>`SELECT key FROM session_labels`)
      assert.deepStrictEqual(left.map((r) => r.key), ["team"])
    }))

  it.effect("a list counts at most maxCount matches", () =>
    withStore(":memory:", (store) =>
      Effect.gen(function*() {
        for (let i = 0; i < BackendStore.maxCount + 5; i++) yield* store.insertSession(row(`s-${i}`, { a: "b" }))
        const page = yield* store.listSessions({ ...query({ a: "b" }), limit: 3 })
        assert.strictEqual(page.total, BackendStore.maxCount)
        assert.deepStrictEqual(ids(page), ["s-0", "s-1", "s-2"])
      })), { timeout: 60_000 })

  it.effect("the memory store (the fake's) has the same purge, expiry and count", () =>
    Effect.gen(function*() {
      const store = yield* MemoryStore.make
      yield* store.insertSession(row("s-1", { team: "qa" }, 0))
      yield* store.insertSession(row("s-2", { team: "qa" }, 1000))
      yield* store.setState("s-1", { status: "RUNNING" }, { status: "FINISH" }, 10)
      assert.deepStrictEqual((yield* store.expired(5000, 1000)).map((r) => r.id), ["s-2"])
      assert.deepStrictEqual(yield* store.purgeGone(11), ["s-1"])
      assert.deepStrictEqual(ids(yield* store.listSessions(query({ team: "qa" }))), ["s-2"])
    }))
})
