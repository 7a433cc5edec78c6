// The machinery of the fixture replays (Fixtures.test.ts: sessions and tools;
// FixturesPersistence.test.ts: contexts, volumes, networks, file transfer): every
// exchange the official SDK was recorded sending (spec/fixtures) is sent again
// byte for byte (method, target, headers, form body) after putting our values in
// for the placeholders, and our answer must have the fixture's shape: HTTP
// status, envelope keys, Success/Code, Data field names, the top-level paging
// fields; a raw (non-JSON) answer, the fixture's exact text. Test helper only.
import type * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { raw, type RawResponse } from "./utils.js"

export const dir = new URL("../../../spec/fixtures/", import.meta.url).pathname

export interface Exchange {
  readonly request: {
    readonly method: string
    readonly url: string
    readonly headers: Record<string, string>
    readonly body: string | null
    readonly form?: ReadonlyArray<readonly [string, string]>
  }
  readonly response: { readonly status: number; readonly body?: Record<string, any>; readonly bodyText?: string }
}

export const load = (name: string): { readonly exchanges: ReadonlyArray<Exchange> } =>
  JSON.parse(fs.readFileSync(`${dir}/${name}.json`, "utf8"))

/** Every fixture's name. */
export const allFixtures = (): ReadonlyArray<string> =>
  fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.replace(/\.json$/, ""))

/** The fixtures FixturesPersistence.test.ts replays (Fixtures.test.ts replays the rest). */
export const persistenceFixtures: ReadonlyArray<string> = [
  ...["clear", "create", "delete-file", "delete", "file-download-url", "file-upload-url", "get-create", "get"]
    .map((n) => `context-${n}`),
  ...["list-files", "list-max-results", "list-next-page", "list", "update"].map((n) => `context-${n}`),
  "error-context-not-found",
  ...["create", "delete", "get-by-id", "get-by-name", "list-by-ids", "list-max-results", "list-next-page", "list"]
    .map((n) => `volume-${n}`),
  "network-bind-token",
  "network-bind-token-existing",
  "network-describe",
  "error-network-describe-unknown",
  "upload-file",
  "download-file",
  "session-context-info",
  "session-context-sync"
]

/**
 * What a setup made: session ids in order (`<SESSION_ID_1>`, ...), or the
 * placeholders it fills, by name (`{ "<CONTEXT_ID_1>": "ctx-..." }`).
 */
export type Placed = ReadonlyArray<string> | Readonly<Record<string, string>>

export const place = (values: Values, placed: Placed) => {
  if (Array.isArray(placed)) placed.forEach((id: string, n: number) => values.ids.set(`<SESSION_ID_${n + 1}>`, id))
  else for (const [p, id] of Object.entries(placed)) values.ids.set(p, id)
}

type Client = AgentBayClient.AgentBayClient.Service

/** Makes (or gets) the caller's context `name`; its id. */
export const makeContext = (client: Client, name: string) =>
  Effect.map(client.call(WireContext.GetContext, { Name: name, AllowCreate: true }), (r) => r.data.Id)

/** Makes the caller's volume `name` of linux_latest; its id. */
export const makeVolume = (client: Client, name: string) =>
  Effect.map(
    client.call(WireVolume.GetVolume, { VolumeName: name, ImageId: "linux_latest", AllowCreate: true }),
    (r) => r.data.VolumeId
  )

/** Makes a network; its id. */
export const makeNetwork = (client: Client) =>
  Effect.map(client.call(WireNetwork.CreateNetwork, {}), (r) => r.data.NetworkId)

export type TextCheck = (ours: string, theirs: string, where: string, home: string) => void

export const exactly: TextCheck = (ours, theirs, where) => assert.strictEqual(ours, theirs, where)

export const wrongKey = "akl-fixture-wrong"

const placeholder = /<(SESSION|CONTEXT|VOLUME|NETWORK)_ID_\d+>/g

/**
 * Placeholder values for one fixture. Ids (`<SESSION_ID_1>`, `<CONTEXT_ID_2>`, ...)
 * are set by the setup or learned from our answers where the fixture's answer
 * introduces them; list tokens and pre-signed URL paths are learned the same way.
 */
export class Values {
  readonly ids = new Map<string, string>()
  /** The fixture's NextToken -> ours. */
  readonly tokens = new Map<string, string>()
  /** The fixture's pre-signed URL path -> ours. */
  readonly paths = new Map<string, string>()
  constructor(readonly key: string, readonly host: string) {}
  text(s: string, encoded: boolean): string {
    const stamp = "2026-01-05T08:00:00Z"
    let out = s.replaceAll("<API_KEY>", this.key)
      .replaceAll("<WRONG_API_KEY>", wrongKey)
      .replaceAll("<HOST>", this.host)
      .replaceAll("<TIMESTAMP>", encoded ? encodeURIComponent(stamp) : stamp)
      .replaceAll("<NONCE>", "0123456789abcdef0123456789abcdef")
    out = out.replace(placeholder, (p) => {
      const id = this.ids.get(p)
      if (id === undefined) throw new Error(`nothing stands for ${p}`)
      return id
    })
    for (const [theirs, ours] of this.tokens) out = out.replaceAll(`NextToken=${theirs}`, `NextToken=${ours}`)
    for (const [theirs, ours] of this.paths) out = out.replaceAll(theirs, ours)
    return out
  }
  value(v: string): string {
    const substituted = this.text(v, false)
    return this.tokens.get(substituted) ?? substituted
  }
  /** Learns the ids the fixture's `Data` introduces (by field) from ours at the same place. */
  learn(ours: unknown, theirs: unknown): void {
    if (Array.isArray(theirs) && Array.isArray(ours)) {
      theirs.forEach((item, i) => this.learn(ours[i], item))
      return
    }
    if (!isObject(theirs) || !isObject(ours)) return
    for (const field of ["SessionId", "Id", "ContextId", "VolumeId", "NetworkId"]) {
      const p = theirs[field]
      if (typeof p === "string" && /^<[A-Z]+_ID_\d+>$/.test(p) && !this.ids.has(p) && typeof ours[field] === "string") {
        this.ids.set(p, ours[field] as string)
      }
    }
    if (typeof theirs.Url === "string" && typeof ours.Url === "string" && theirs.Url.includes("/context-files/")) {
      this.paths.set(new URL(theirs.Url.replace("<HOST>", "h")).pathname, new URL(ours.Url).pathname)
    }
  }
}

export const isObject = (u: unknown): u is Record<string, any> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

// Same field names, recursively through objects; arrays: same length, items compared.
export const sameShape = (ours: unknown, theirs: unknown, path: string) => {
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

// Our CreateMcpSession and GetSession answers add `ToolList` (JSON text: the tool -> server mapping,
// spec: wire-protocol.md §6.1), which the recording server did not send; the rest must match.
const withoutToolList = (ours: unknown, theirs: unknown, where: string): unknown => {
  if (!isObject(ours) || !isObject(theirs) || !("ToolList" in ours) || "ToolList" in theirs) return ours
  const { ToolList, ...rest } = ours
  assert.isString(ToolList, `${where}: ToolList is JSON text`)
  const tools = JSON.parse(ToolList as string) as Array<{ name: string; server: string }>
  assert.includeMembers(tools.map((tool) => tool.name), ["shell", "run_code", "read_file"], `${where}: ToolList`)
  return rest
}

const statusOf = (body: Record<string, any> | undefined): string | undefined =>
  body === undefined
    ? undefined
    : isObject(body.Data)
    ? body.Data.Status as string | undefined
    : Array.isArray(body.Data)
    ? body.Data.map((d: any) => d.SessionStatus).join(",")
    : undefined

/** How a tool answer's text is compared, and where the session's home is. */
export interface ToolText {
  readonly text: TextCheck
  readonly home: () => string
}

const sendOf = (ex: Exchange, values: Values, port: number, where: string) => {
  const headers = Object.fromEntries(
    Object.entries(ex.request.headers)
      // `raw` sets the length of the body it sends.
      .filter(([k]) => k.toLowerCase() !== "content-length")
      .map(([k, v]) => [k, values.text(v, false)])
  )
  let body: string | undefined
  if (ex.request.body !== null && ex.request.form !== undefined) {
    // Re-encode the decoded fields after substitution, as the client's encoder does.
    const pairs = ex.request.form.map(([k, v]) => [k, values.value(v)] as const)
    body = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")
    if (values.tokens.size === 0 && values.paths.size === 0) {
      assert.strictEqual(body, values.text(ex.request.body, true), `${where}: body encoding`)
    }
  } else if (ex.request.body !== null) {
    body = ex.request.body // raw bytes (a PUT to a pre-signed URL)
  }
  return raw(port, { method: ex.request.method, path: values.text(ex.request.url, true), headers, body })
}

const checkEnvelope = (
  res: RawResponse,
  status: number,
  expected: Record<string, any>,
  values: Values,
  where: string,
  tool: ToolText
) => {
  assert.strictEqual(res.status, status, `${where}: HTTP status (${res.text})`)
  assert.deepStrictEqual(Object.keys(res.json).sort(), Object.keys(expected).sort(), `${where}: envelope keys`)
  assert.strictEqual(res.json.Success, expected.Success, `${where}: Success`)
  assert.strictEqual(res.json.Code, expected.Code, `${where}: Code`)
  assert.strictEqual(res.json.HttpStatusCode, res.status, `${where}: HttpStatusCode`)
  const data: unknown = expected.Data
  if ("Data" in expected) sameShape(withoutToolList(res.json.Data, data, where), data, `${where}: Data`)
  if (isObject(data) && "isError" in data) {
    // A tool answer (its shape checked above): the same isError, and the text as the case says.
    const [ours, theirs] = [res.json.Data, data] as Array<{ isError: boolean; content: [{ text: string }] }>
    const text = ours.content[0].text
    assert.strictEqual(ours.isError, theirs.isError, `${where}: isError (${text})`)
    tool.text(text, theirs.content[0].text, `${where}: tool text`, tool.home())
  }
  assert.strictEqual(statusOf(res.json), statusOf(expected), `${where}: status`)
  for (const field of ["MaxResults", "TotalCount", "Count"] as const) {
    assert.strictEqual(res.json[field], expected[field], `${where}: ${field}`)
  }
  if ("NextToken" in expected) {
    assert.strictEqual(res.json.NextToken === "", expected.NextToken === "", `${where}: NextToken presence`)
    if (expected.NextToken !== "") values.tokens.set(expected.NextToken, res.json.NextToken)
  }
  values.learn(res.json.Data, data)
}

/** Sends each exchange of fixture `name` and checks our answer against the recording's. */
export const replay = (name: string, values: Values, port: number, tool: ToolText) =>
  Effect.gen(function*() {
    for (const [n, ex] of load(name).exchanges.entries()) {
      const where = `${name} #${n + 1} ${ex.request.method} ${ex.request.url.split("&")[0]}`
      const send = sendOf(ex, values, port, where)
      const expected = ex.response.body
      let res: RawResponse = yield* send
      if (expected === undefined) {
        // A pre-signed URL's answer: raw bytes, compared exactly.
        assert.strictEqual(res.status, ex.response.status, `${where}: HTTP status (${res.text.slice(0, 200)})`)
        assert.strictEqual(res.text, ex.response.bodyText ?? "", `${where}: body`)
        continue
      }
      // A transitional status settles with time: poll (bounded) until ours reaches the fixture's.
      for (let i = 0; i < 60 && statusOf(expected) !== undefined && statusOf(res.json) !== statusOf(expected); i++) {
        yield* Effect.sleep("50 millis")
        res = yield* send
      }
      checkEnvelope(res, ex.response.status, expected, values, where, tool)
    }
  })
