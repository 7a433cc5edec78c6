// Fixture replay: every session-lifecycle exchange the official SDK was recorded
// sending (spec/fixtures) is sent again byte for byte (method, target, headers
// including `Transfer-Encoding: chunked`, form body), after putting real values in
// for the placeholders, and our answer must have the fixture's shape: HTTP status,
// envelope keys, Success/Code, Data field names, the top-level paging fields.
//
// Left out: create-with-extra-configs.json (its later exchanges are CallMcpTool
// shell calls, which this server does not implement) and the context, file,
// tool, network and volume fixtures (not session lifecycle).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { portOf, raw, type RawResponse, sandboxDouble } from "./utils.js"

const dir = new URL("../../../spec/fixtures/", import.meta.url).pathname

type Setup = (bay: AgentBay.AgentBay.Service) => Effect.Effect<ReadonlyArray<string>, unknown>

const fast = { interval: "20 millis", timeout: "10 seconds" } as const
const demo = { project: "demo" }
const times = (n: number, make: () => Effect.Effect<{ id: string }, unknown>) =>
  Effect.map(Effect.forEach(Array.from({ length: n }), make), (ss) => ss.map((s) => s.id))

const none: Setup = () => Effect.succeed([])
const one: Setup = (bay) => times(1, () => bay.create())
const demoThree: Setup = (bay) => Effect.zipLeft(times(3, () => bay.create({ labels: demo })), bay.create())

// For each fixture: the sessions `<SESSION_ID_1>`, `<SESSION_ID_2>`, ... stand for, made in the right state.
const fixtures: ReadonlyArray<readonly [string, Setup]> = [
  ["create", none],
  ["create-with-labels", none],
  ["create-with-image", none],
  ["create-with-policy", none],
  ["create-with-network", none],
  ["create-with-volume", none],
  ["create-with-context-sync", none],
  ["get", one],
  ["get-status", one],
  ["session-info", one],
  ["get-link", one],
  ["get-link-port", one],
  ["get-labels", (bay) => times(1, () => bay.create({ labels: { project: "demo", owner: "alice" } }))],
  ["set-labels", one],
  ["list", (bay) => times(8, () => bay.create())],
  ["list-filtered", demoThree],
  ["list-page-2", demoThree],
  ["error-list-page-unreachable", demoThree],
  ["list-paused", (bay) =>
    Effect.gen(function*() {
      const s = yield* bay.create({ labels: demo })
      yield* bay.create({ labels: demo })
      yield* bay.betaPauseAsync(s.id, fast)
      return [s.id]
    })],
  ["pause", one],
  ["resume", (bay) => Effect.map(Effect.tap(bay.create(), (s) => bay.betaPauseAsync(s.id, fast)), (s) => [s.id])],
  ["resume-running-session", one],
  ["delete", one],
  ["delete-with-sync-context", (bay) =>
    times(1, () =>
      bay.create({
        labels: { project: "persist" },
        contextSync: [
          { contextId: "ctx-1", path: "/home/wuying/data" },
          { contextId: "ctx-2", path: "/home/wuying/cache" }
        ]
      }))],
  ["error-bad-key", none],
  ["error-bad-key-list", none],
  ["error-get-unknown-session", none],
  ["error-unknown-action", one]
]

interface Exchange {
  readonly request: {
    readonly method: string
    readonly url: string
    readonly headers: Record<string, string>
    readonly body: string | null
    readonly form?: ReadonlyArray<readonly [string, string]>
  }
  readonly response: { readonly status: number; readonly body: Record<string, any> }
}

const keys = fixtures.map((_, i) => `akl-fixture-${i}`)
const wrongKey = "akl-fixture-wrong"
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: keys.map((k) => Redacted.make(k)), transitionDelay: "500 millis", deleteDelay: "500 millis" },
  () => sandboxDouble().layer
)

// Placeholder values for one fixture; ids are learned from setup and from create answers.
class Values {
  readonly ids = new Map<string, string>()
  readonly tokens = new Map<string, string>()
  constructor(readonly key: string, readonly host: string) {}
  text(s: string, encoded: boolean): string {
    const stamp = "2026-01-05T08:00:00Z"
    let out = s.replaceAll("<API_KEY>", this.key)
      .replaceAll("<WRONG_API_KEY>", wrongKey)
      .replaceAll("<HOST>", this.host)
      .replaceAll("<TIMESTAMP>", encoded ? encodeURIComponent(stamp) : stamp)
      .replaceAll("<NONCE>", "0123456789abcdef0123456789abcdef")
      .replace(/<CONTEXT_ID_(\d+)>/g, "ctx-$1")
      .replace(/<NETWORK_ID_(\d+)>/g, "net-$1")
      .replace(/<VOLUME_ID_(\d+)>/g, "vol-$1")
    out = out.replace(/<SESSION_ID_\d+>/g, (p) => {
      const id = this.ids.get(p)
      if (id === undefined) throw new Error(`no session stands for ${p}`)
      return id
    })
    for (const [theirs, ours] of this.tokens) out = out.replaceAll(`NextToken=${theirs}`, `NextToken=${ours}`)
    return out
  }
  value(v: string): string {
    const substituted = this.text(v, false)
    return this.tokens.get(substituted) ?? substituted
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

// Same field names, recursively through objects; arrays: same length, items compared.
const sameShape = (ours: unknown, theirs: unknown, path: string) => {
  if (Array.isArray(theirs)) {
    assert.isTrue(Array.isArray(ours), `${path} should be an array`)
    const list = ours as Array<unknown>
    assert.strictEqual(list.length, theirs.length, `${path} length`)
    theirs.forEach((item, i) => sameShape(list[i], item, `${path}[${i}]`))
  } else if (isObject(theirs)) {
    assert.isTrue(isObject(ours), `${path} should be an object`)
    assert.deepStrictEqual(Object.keys(ours as object).sort(), Object.keys(theirs).sort(), `${path} keys`)
    for (const k of Object.keys(theirs)) {
      if (isObject(theirs[k]) || Array.isArray(theirs[k])) sameShape((ours as any)[k], theirs[k], `${path}.${k}`)
    }
  } else {
    assert.strictEqual(typeof ours, typeof theirs, `${path} type`)
  }
}

const statusOf = (body: Record<string, any>): string | undefined =>
  isObject(body.Data)
    ? body.Data.Status as string | undefined
    : Array.isArray(body.Data)
    ? body.Data.map((d: any) => d.SessionStatus).join(",")
    : undefined

const replay = (name: string, values: Values, port: number) =>
  Effect.gen(function*() {
    const fixture = JSON.parse(fs.readFileSync(`${dir}/${name}.json`, "utf8")) as { exchanges: ReadonlyArray<Exchange> }
    for (const [n, ex] of fixture.exchanges.entries()) {
      const where = `${name} #${n + 1} ${ex.request.url.split("&")[0]}`
      const headers = Object.fromEntries(Object.entries(ex.request.headers).map(([k, v]) => [k, values.text(v, false)]))
      let body: string | undefined
      if (ex.request.body !== null) {
        // Re-encode the decoded fields after substitution, as the client's encoder does.
        const pairs = (ex.request.form ?? []).map(([k, v]) => [k, values.value(v)] as const)
        body = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
        if (values.tokens.size === 0) {
          assert.strictEqual(body, values.text(ex.request.body, true), `${where}: body encoding`)
        }
      }
      const send = raw(port, { method: ex.request.method, path: values.text(ex.request.url, true), headers, body })
      const expected = ex.response.body
      let res: RawResponse = yield* send
      // A transitional status settles with time: poll (bounded) until ours reaches the fixture's.
      for (let i = 0; i < 60 && statusOf(expected) !== undefined && statusOf(res.json) !== statusOf(expected); i++) {
        yield* Effect.sleep("50 millis")
        res = yield* send
      }
      assert.strictEqual(res.status, ex.response.status, `${where}: HTTP status (${res.text})`)
      assert.deepStrictEqual(Object.keys(res.json).sort(), Object.keys(expected).sort(), `${where}: envelope keys`)
      assert.strictEqual(res.json.Success, expected.Success, `${where}: Success`)
      assert.strictEqual(res.json.Code, expected.Code, `${where}: Code`)
      assert.strictEqual(res.json.HttpStatusCode, res.status, `${where}: HttpStatusCode`)
      if ("Data" in expected) sameShape(res.json.Data, expected.Data, `${where}: Data`)
      assert.strictEqual(statusOf(res.json), statusOf(expected), `${where}: status`)
      for (const field of ["MaxResults", "TotalCount"] as const) {
        assert.strictEqual(res.json[field], expected[field], `${where}: ${field}`)
      }
      if ("NextToken" in expected) {
        assert.strictEqual(res.json.NextToken === "", expected.NextToken === "", `${where}: NextToken presence`)
        if (expected.NextToken !== "") values.tokens.set(expected.NextToken, res.json.NextToken)
      }
      // A create answer introduces the id its placeholder stands for.
      const placeholder: unknown = isObject(expected.Data) ? expected.Data.SessionId : undefined
      if (typeof placeholder === "string" && /^<SESSION_ID_\d+>$/.test(placeholder) && !values.ids.has(placeholder)) {
        values.ids.set(placeholder, res.json.Data.SessionId)
      }
    }
  })

layer(Server, { excludeTestServices: true, timeout: "30 seconds" })("fixture replay", (it) => {
  fixtures.forEach(([name, setup], i) =>
    it.effect(name, () =>
      Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const ids = yield* Effect.flatMap(AgentBay.AgentBay, setup).pipe(
          Effect.provide(AgentBay.layer({ apiKey: Redacted.make(keys[i]), endpoint: info.endpoint })),
          Effect.provide(NodeHttpClient.layerUndici)
        )
        const values = new Values(keys[i], info.hostPort)
        ids.forEach((id, n) => values.ids.set(`<SESSION_ID_${n + 1}>`, id))
        yield* replay(name, values, portOf(info.endpoint))
      }))
  )

  it.effect("covers every session-lifecycle fixture but the one it says it leaves out", () =>
    Effect.sync(() => {
      const pattern = new RegExp(
        "^(create.*|get|get-status|get-link.*|get-labels|set-labels|session-info|list.*|pause|resume.*|delete.*|" +
          "error-(bad-key.*|get-unknown-session|unknown-action|list-page-unreachable))$"
      )
      const fileTools = ["create-directory", "delete-file", "list-directory"]
      const lifecycle = fs.readdirSync(dir).map((f) => f.replace(/\.json$/, ""))
        .filter((f) => pattern.test(f) && !fileTools.includes(f))
      assert.sameMembers([...fixtures.map(([n]) => n), "create-with-extra-configs"], lifecycle)
    }))
})
