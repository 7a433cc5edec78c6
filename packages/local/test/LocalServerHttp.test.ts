// The HTTP edge with raw requests (node:http): chunked bodies, query/body merge,
// malformed and oversized bodies, unknown actions, paths and methods. Every
// answer must be a JSON envelope whose HttpStatusCode equals the HTTP status.
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as LocalServer from "../src/LocalServer.js"
import { form, portOf, raw, type RawRequest, type RawResponse, sandboxDouble } from "./utils.js"

const key = "akl-http-test-key"
const auth = `Bearer ${key}`
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: [Redacted.make(key)], transitionDelay: 0 },
  () => sandboxDouble().layer
)

const send = (request: RawRequest) => Effect.flatMap(AgentBayLocal.Info, (info) => raw(portOf(info.endpoint), request))

const formHeaders = { "content-type": "application/x-www-form-urlencoded" }

const post = (action: string, fields: Record<string, string>, extra: Partial<RawRequest> = {}) =>
  send({ path: `/?Action=${action}`, headers: formHeaders, body: form({ Authorization: auth, ...fields }), ...extra })

const expectEnvelope = (res: RawResponse, status: number, code: string) => {
  assert.strictEqual(res.status, status, res.text)
  assert.match(String(res.headers["content-type"]), /^application\/json/)
  const keys = status === 200 ? Object.keys(res.json).slice(0, 5) : Object.keys(res.json)
  assert.deepStrictEqual(keys, ["RequestId", "Success", "Code", "Message", "HttpStatusCode"])
  assert.strictEqual(res.json.Success, status === 200)
  assert.strictEqual(res.json.Code, code)
  assert.strictEqual(res.json.HttpStatusCode, status)
  assert.isTrue(typeof res.json.RequestId === "string" && res.json.RequestId.length > 0)
}

const createSession = Effect.map(post("CreateMcpSession", {}), (res) => {
  expectEnvelope(res, 200, "ok")
  return res.json.Data.SessionId as string
})

layer(Server, { excludeTestServices: true, timeout: "30 seconds" })("LocalServer over raw HTTP", (it) => {
  it.effect("reads a chunked body without Content-Length in full", () =>
    Effect.gen(function*() {
      // 200 KB before the labels (an unknown field, ignored), so the labels come in the last chunk.
      const long = "x".repeat(256)
      const res = yield* post("CreateMcpSession", {
        Pad: "p".repeat(200_000),
        Labels: JSON.stringify({ long, "cost center": "R&D + QA" })
      }, { chunked: true })
      expectEnvelope(res, 200, "ok")
      const labels = yield* post("GetLabel", { SessionId: res.json.Data.SessionId }, { chunked: true })
      expectEnvelope(labels, 200, "ok")
      assert.deepStrictEqual(JSON.parse(labels.json.Data.Labels), { long, "cost center": "R&D + QA" })
    }))

  it.effect("merges query and body (the body wins), takes Action from x-acs-action, answers GET", () =>
    Effect.gen(function*() {
      const id = yield* createSession
      // the official client sends GetSessionDetail's SessionId in the query
      const detail = yield* send({
        path: `/?Action=GetSessionDetail&Format=json&Version=2025-05-06&SessionId=${id}`,
        headers: formHeaders,
        body: form({ Authorization: auth }),
        chunked: true
      })
      expectEnvelope(detail, 200, "ok")
      assert.strictEqual(detail.json.Data.Status, "RUNNING")
      const conflict = yield* send({
        path: `/?Action=GetSession&SessionId=local-bogus`,
        headers: formHeaders,
        body: form({ Authorization: auth, SessionId: id })
      })
      expectEnvelope(conflict, 200, "ok")
      assert.strictEqual(conflict.json.Data.SessionId, id)
      const byHeader = yield* send({
        path: "/",
        headers: { ...formHeaders, "x-acs-action": "GetSession" },
        body: form({ Authorization: auth, SessionId: id })
      })
      expectEnvelope(byHeader, 200, "ok")
      const query = form({ Action: "GetSession", Authorization: auth, SessionId: id })
      const viaGet = yield* send({ method: "GET", path: `/?${query}` })
      expectEnvelope(viaGet, 200, "ok")
      assert.strictEqual(viaGet.json.Data.Status, "RUNNING")
      // SyncContext carries the key in the query
      const sync = yield* send({
        path: `/?Action=SyncContext&${form({ Authorization: auth })}`,
        headers: formHeaders,
        body: form({ SessionId: id })
      })
      expectEnvelope(sync, 200, "ok")
    }))

  it.effect("malformed bodies and queries are 400 InvalidParameter envelopes", () =>
    Effect.gen(function*() {
      const bad: Array<RawRequest> = [
        { path: "/?Action=ListSession", headers: formHeaders, body: `${form({ Authorization: auth })}&Labels=%zz` },
        { path: "/?Action=ListSession", headers: formHeaders, body: Buffer.from([0x41, 0x3d, 0xff, 0xfe]) },
        { path: "/?Action=ListSession", headers: formHeaders, body: "=nameless" },
        { path: "/?Action=ListSession", headers: { "content-type": "application/json" }, body: "{}" },
        { path: "/?Action=ListSession", body: form({ Authorization: auth }) },
        { path: "/?Action=ListSession&Bad=%E0%A4%A", headers: formHeaders, body: form({ Authorization: auth }) },
        { path: "/?Action=GetSession&Action=ListSession", headers: formHeaders, body: form({ Authorization: auth }) },
        {
          path: "/?Action=ListSession",
          headers: formHeaders,
          body: `${form({ Authorization: auth })}&MaxResults=1&MaxResults=2`
        }
      ]
      for (const request of bad) expectEnvelope(yield* send(request), 400, "InvalidParameter")
      const labels = yield* post("CreateMcpSession", { Labels: "not json" })
      expectEnvelope(labels, 400, "InvalidParameter")
      assert.match(labels.json.Message, /^Labels/)
    }))

  it.effect("an oversized body is a 413 envelope, chunked or not", () =>
    Effect.gen(function*() {
      const big = `Authorization=${encodeURIComponent(auth)}&Pad=${"a".repeat(LocalServer.defaultMaxBodySize)}`
      const request = { path: "/?Action=ListSession", headers: formHeaders, body: big }
      expectEnvelope(yield* send({ ...request, chunked: true }), 413, "RequestTooLarge")
      expectEnvelope(yield* send(request), 413, "RequestTooLarge")
      // the server still answers afterwards
      expectEnvelope(yield* post("ListSession", {}), 200, "ok")
    }))

  it.effect("unknown actions, paths and methods, and bad keys get envelopes", () =>
    Effect.gen(function*() {
      const id = yield* createSession
      const unknown = yield* post("GetAdbLink", { SessionId: id, Option: "{}" })
      expectEnvelope(unknown, 404, "InvalidAction.NotFound")
      expectEnvelope(yield* send({ method: "GET", path: "/nowhere?Action=ListSession" }), 404, "InvalidAction.NotFound")
      const other = { headers: formHeaders, body: "a=b" }
      expectEnvelope(yield* send({ ...other, method: "POST", path: "/resource/x" }), 404, "InvalidAction.NotFound")
      expectEnvelope(yield* send({ ...other, method: "PUT", path: "/" }), 405, "InvalidAction.NotFound")
      expectEnvelope(yield* send({ method: "DELETE", path: "/?Action=ListSession" }), 405, "InvalidAction.NotFound")
      expectEnvelope(yield* post("ListSession", { Authorization: "Bearer akl-wrong" }), 401, "InvalidApiKey")
      const anonymous = yield* send({ path: "/?Action=ListSession", headers: formHeaders, body: "" })
      expectEnvelope(anonymous, 401, "InvalidApiKey")
      expectEnvelope(yield* post("GetSession", { SessionId: "local-nope" }), 400, "InvalidMcpSession.NotFound")
      const missing = yield* send({ path: "/", headers: formHeaders, body: form({ Authorization: auth }) })
      expectEnvelope(missing, 400, "InvalidParameter")
    }))
})
