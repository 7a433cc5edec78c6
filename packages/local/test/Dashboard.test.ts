// The dashboard's server side, without a browser: the page and its assets under
// /ui with a strict CSP and no inline script, the read-only /ui/api/ behind the
// key (an Authorization header only), scoped to the caller's sessions, with
// the status history and commands BackendActivity records; no key in any URL
// the page or script builds.
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Dashboard from "../src/Dashboard.js"
import { assets } from "../src/internal/dashboardAssets.js"
import { form, portOf, raw, type RawRequest, sandboxDouble } from "./utils.js"

const keyA = "akl-dashboard-test-key-a"
const keyB = "akl-dashboard-test-key-b"
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: [Redacted.make(keyA), Redacted.make(keyB)], transitionDelay: 0 },
  () => sandboxDouble().layer
)

const send = (request: RawRequest) => Effect.flatMap(AgentBayLocal.Info, (info) => raw(portOf(info.endpoint), request))
const get = (path: string, headers: Record<string, string> = {}) => send({ method: "GET", path, headers })
const api = (path: string, key = keyA) => get(`/ui/api/${path}`, { authorization: `Bearer ${key}` })
const call = (action: string, fields: Record<string, string> = {}, key = keyA) =>
  send({
    path: `/?Action=${encodeURIComponent(action)}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form({ Authorization: `Bearer ${key}`, ...fields })
  }).pipe(Effect.tap((r) => assert.strictEqual(r.status, 200, r.text)))
const create = (fields: Record<string, string> = {}, key = keyA) =>
  Effect.map(call("CreateMcpSession", fields, key), (r) => r.json.Data.SessionId as string)

const assertSecured = (headers: Record<string, unknown>) => {
  assert.strictEqual(headers["content-security-policy"], Dashboard.csp)
  assert.strictEqual(headers["x-content-type-options"], "nosniff")
  assert.strictEqual(headers["referrer-policy"], "no-referrer")
  assert.strictEqual(headers["x-frame-options"], "DENY")
}

describe("Dashboard.csp", () => {
  it("allows this origin's scripts and styles only: no inline code, no eval, no other host", () => {
    const directives = new Map(Dashboard.csp.split("; ").map((d) => [d.split(" ")[0]!, d.split(" ").slice(1)]))
    assert.deepStrictEqual(directives.get("default-src"), ["'none'"])
    assert.deepStrictEqual(directives.get("script-src"), ["'self'"])
    assert.deepStrictEqual(directives.get("style-src"), ["'self'"])
    assert.deepStrictEqual(directives.get("connect-src"), ["'self'"])
    assert.deepStrictEqual(directives.get("frame-ancestors"), ["'none'"])
    assert.notInclude(Dashboard.csp, "unsafe")
    assert.notInclude(Dashboard.csp, "http")
  })
})

describe("the dashboard's assets", () => {
  it("the page loads its script and style from /ui only, with no inline script or style", () => {
    const html = assets["index.html"].body
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
    assert.strictEqual(scripts.length, 1)
    assert.match(scripts[0]![1]!, /src="\/ui\/app\.js"/)
    assert.strictEqual(scripts[0]![2]!.trim(), "")
    assert.notMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i)
    assert.notMatch(html, /https?:\/\//)
  })

  it("the script sends the key in POST bodies and an Authorization header, never in a URL", () => {
    const js = assets["app.js"].body
    assert.notMatch(js, /https?:\/\/(?!www\.w3\.org)/) // no other host (a CDN); the SVG namespace aside
    assert.include(js, "sessionStorage")
    assert.notInclude(js, "localStorage")
    // The only query the script builds for the wire is the action; the key goes in the form.
    assert.match(js, /`\/\?Action=\$\{encodeURIComponent\([a-z]+\)\}`/)
    assert.notMatch(js, /[?&]Authorization=/)
    assert.include(js, "Bearer ")
    assert.notMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/)
  })

  it("is small: the whole script under 64 KiB", () => {
    assert.isBelow(assets["app.js"].body.length, 64 * 1024)
  })
})

layer(Server)("the dashboard over HTTP", (it) => {
  it.effect("GET /ui, /ui/, /ui/app.js and /ui/app.css: the assets, with the CSP and no caching", () =>
    Effect.gen(function*() {
      for (
        const [path, name] of [["/ui", "index.html"], ["/ui/", "index.html"], ["/ui/app.js", "app.js"], [
          "/ui/app.css",
          "app.css"
        ]] as const
      ) {
        const r = yield* get(path)
        assert.strictEqual(r.status, 200, path)
        assert.strictEqual(r.text, assets[name].body)
        assert.strictEqual(r.headers["content-type"], assets[name].contentType)
        assert.strictEqual(r.headers["cache-control"], "no-store")
        assertSecured(r.headers)
      }
    }))

  it.effect("another path under /ui is a 404 envelope with the same headers", () =>
    Effect.gen(function*() {
      const r = yield* get("/ui/nothing-here")
      assert.strictEqual(r.status, 404)
      assert.strictEqual(r.json.Success, false)
      assertSecured(r.headers)
    }))

  it.effect("/ui/api/ wants the key in an Authorization header: none, a wrong one, or one in the query is 401", () =>
    Effect.gen(function*() {
      const id = yield* create()
      for (
        const r of [
          yield* get(`/ui/api/sessions/${id}`),
          yield* api(`sessions/${id}`, "akl-wrong"),
          yield* get(`/ui/api/sessions/${id}?Authorization=${encodeURIComponent(`Bearer ${keyA}`)}`),
          yield* get(`/ui/api/sessions?ids=${id}`, { authorization: keyA }) // no Bearer scheme
        ]
      ) {
        assert.strictEqual(r.status, 401)
        assert.strictEqual(r.json.Code, "InvalidApiKey")
        assert.strictEqual(r.headers["www-authenticate"], "Bearer realm=\"agentbay-local\"")
        assert.notInclude(r.text, keyA)
        assertSecured(r.headers)
      }
    }))

  it.effect("sessions?ids=: creation time and owner fingerprint of the caller's sessions only", () =>
    Effect.gen(function*() {
      const mine = yield* create()
      const theirs = yield* create({}, keyB)
      const r = yield* api(`sessions?ids=${mine},${theirs},unknown`)
      assert.strictEqual(r.status, 200)
      assert.lengthOf(r.json.sessions, 1)
      const [summary] = r.json.sessions
      assert.strictEqual(summary.id, mine)
      assert.match(summary.owner, /^[0-9a-f]{12}$/)
      assert.isTrue(Number.isInteger(summary.createdAt))
      // B sees its own, with another fingerprint.
      const other = yield* api(`sessions?ids=${mine},${theirs}`, keyB)
      assert.deepStrictEqual(other.json.sessions.map((s: { id: string }) => s.id), [theirs])
      assert.notStrictEqual(other.json.sessions[0].owner, summary.owner)
      // Neither text holds a key.
      for (const text of [r.text, other.text]) {
        assert.notInclude(text, keyA)
        assert.notInclude(text, keyB)
      }
      const tooMany = yield* api(
        `sessions?ids=${Array.from({ length: Dashboard.maxIds + 1 }, (_, i) => `s${i}`).join(",")}`
      )
      assert.strictEqual(tooMany.status, 400)
    }))

  it.effect("sessions/<id>: the status history as it happens, labels' owner fingerprint, image; another owner's id is 404", () =>
    Effect.gen(function*() {
      const id = yield* create({ Labels: JSON.stringify({ team: "a" }) })
      yield* call("PauseSessionAsync", { SessionId: id })
      yield* call("ResumeSessionAsync", { SessionId: id })
      const r = yield* api(`sessions/${id}`)
      assert.strictEqual(r.status, 200)
      assert.strictEqual(r.json.id, id)
      assert.strictEqual(r.json.imageId, "linux_latest")
      assert.isNull(r.json.volumeId)
      assert.deepStrictEqual(r.json.contexts, [])
      assert.deepStrictEqual(r.json.history.map((e: { status: string }) => e.status), ["RUNNING", "PAUSED", "RUNNING"])
      const times = r.json.history.map((e: { at: number }) => e.at)
      assert.deepStrictEqual(times, [...times].sort((a, b) => a - b))
      assert.deepStrictEqual(r.json.commands, [])
      const hidden = yield* api(`sessions/${id}`, keyB)
      assert.strictEqual(hidden.status, 404)
      assert.strictEqual(hidden.json.Code, "InvalidMcpSession.NotFound")
      assertSecured(hidden.headers)
      // A delete is recorded too, and the record stays readable.
      yield* call("DeleteSessionAsync", { SessionId: id })
      const gone = yield* api(`sessions/${id}`)
      assert.strictEqual(gone.json.history.at(-1).status, "DELETED")
    }))
})
