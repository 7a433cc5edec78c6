// Golden wire fixtures (spec/fixtures at the repo root): loading, placeholder
// substitution, a replaying HttpClient that records what we send, and the request
// comparison the golden tests use. Test helper only.
import { readFileSync } from "node:fs"

import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

// The recordings of the official client's requests, carried in the repo (spec/fixtures).
const dir = new URL("../../../spec/fixtures/", import.meta.url)

export interface FixtureRequest {
  readonly method: string
  readonly path: string
  readonly url: string
  readonly query: ReadonlyArray<readonly [string, string]>
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | null
  readonly form?: ReadonlyArray<readonly [string, string]>
}

export interface FixtureResponse {
  readonly status: number
  readonly body?: unknown
  readonly bodyText?: string
}

export interface Exchange {
  readonly request: FixtureRequest
  readonly response: FixtureResponse
}

export interface Fixture {
  readonly call: string
  readonly note?: string
  readonly exchanges: ReadonlyArray<Exchange>
  readonly result: unknown
}

/** The key every golden test uses; `<API_KEY>` and `<WRONG_API_KEY>` both stand for it. */
export const apiKey = "sk-golden-key-42"

/** Where the fake server "is": `<HOST>` in the fixtures. */
export const host = "127.0.0.1:18080"

/** The id we choose for `<SESSION_ID_n>` (and the other id placeholders). */
export const sessionId = (n: number) => `sess-${n}`
export const contextId = (n: number) => `ctx-${n}`

const ids: Record<string, (n: number) => string> = {
  SESSION: sessionId,
  CONTEXT: contextId,
  VOLUME: (n) => `vol-${n}`,
  NETWORK: (n) => `net-${n}`
}

const substituteText = (text: string): string =>
  text
    .replace(/<(SESSION|CONTEXT|VOLUME|NETWORK)_ID_(\d+)>/g, (_, kind: string, n: string) => ids[kind]!(Number(n)))
    .replace(/<(?:WRONG_)?API_KEY>/g, apiKey)
    .replace(/<HOST>/g, host)

const substitute = (value: unknown): unknown => {
  if (typeof value === "string") return substituteText(value)
  if (Array.isArray(value)) return value.map(substitute)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]))
  }
  return value
}

/** Loads `<name>.json` with ids, key and host substituted (`<TIMESTAMP>`/`<NONCE>` stay). */
export const load = (name: string): Fixture =>
  substitute(JSON.parse(readFileSync(new URL(`${name}.json`, dir), "utf8"))) as Fixture

/** What our client sent, decoded. */
export interface Recorded {
  readonly method: string
  readonly url: URL
  readonly query: ReadonlyArray<readonly [string, string]>
  readonly headers: Readonly<Record<string, string>>
  readonly form: ReadonlyArray<readonly [string, string]> | null
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string | null => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return new TextDecoder().decode(body.body)
    default:
      throw new Error(`unexpected request body ${body._tag}`)
  }
}

export const record = (request: HttpClientRequest.HttpClientRequest, url: URL): Recorded => {
  const text = bodyText(request)
  return {
    method: request.method,
    url,
    query: [...url.searchParams.entries()],
    headers: request.headers,
    form: text === null ? null : [...new URLSearchParams(text).entries()]
  }
}

/** A fetch `Response` for a fixture response (JSON body, or raw text). */
export const toWeb = (response: FixtureResponse): Response =>
  response.bodyText !== undefined
    ? new Response(response.bodyText, { status: response.status })
    : new Response(JSON.stringify(response.body), {
      status: response.status,
      headers: { "content-type": "application/json" }
    })

/**
 * An `HttpClient` answering each request with the next response in order and
 * recording every request. A request past the last response is a defect that
 * names the action, so a test that sends too much fails loudly.
 */
export const replay = (responses: ReadonlyArray<FixtureResponse>) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const sent = yield* Ref.updateAndGet(seen, (xs) => [...xs, record(request, url)])
        const next = responses[sent.length - 1]
        if (next === undefined) {
          return yield* Effect.dieMessage(
            `unexpected request #${sent.length}: ${url.searchParams.get("Action")} (only ${responses.length} canned)`
          )
        }
        return HttpClientResponse.fromWeb(request, toWeb(next))
      })
    )
    return { client, requests: Ref.get(seen) }
  })

/** What a scripted server does with one request. */
export type Reply = Response | "network" | "hang"

/**
 * An `HttpClient` that asks `reply(action, attempt)` what to do with each request
 * (attempt counts every request so far, from 1) and records every request. A
 * network failure carries the full URL in its cause, as real socket errors may.
 */
export const scripted = (reply: (action: string, attempt: number) => Reply) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Recorded>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const sent = yield* Ref.updateAndGet(seen, (xs) => [...xs, record(request, url)])
        const r = reply(url.searchParams.get("Action") ?? "", sent.length)
        if (r === "hang") return yield* Effect.never
        if (r === "network") {
          const cause = new Error(`request to ${url.href} failed`, {
            cause: new Error(`connect ECONNREFUSED ${decodeURIComponent(url.href.replace(/\+/g, "%20"))}`)
          })
          return yield* new HttpClientError.RequestError({ request, reason: "Transport", cause })
        }
        return HttpClientResponse.fromWeb(request, r)
      })
    )
    return { client, requests: Ref.get(seen) }
  })

const sorted = (pairs: ReadonlyArray<readonly [string, string]>) =>
  [...pairs].map(([k, v]) => [k, v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const names = (pairs: ReadonlyArray<readonly [string, string]>) => pairs.map(([k]) => k).sort()

/** How our request may differ from the official client's, on purpose. */
export interface Differences {
  /** Form fields whose value is ours (compared by presence only), e.g. `SdkStats`. */
  readonly ownValue?: ReadonlyArray<string>
  /** Form fields we send and the official client does not, with their expected values. */
  readonly extra?: Readonly<Record<string, string>>
}

const volatile = ["Timestamp", "SignatureNonce"]

/**
 * Asserts that `actual` is the fixture's request up to field order: method, path,
 * query names and values (Timestamp/SignatureNonce only by presence and format),
 * form names and values, the key's place, and the x-acs-* headers.
 */
export const assertRequest = (actual: Recorded, expected: FixtureRequest, differences: Differences = {}) => {
  const label = `${expected.method} ${expected.query.find(([k]) => k === "Action")?.[1]}`
  assert.strictEqual(actual.method, expected.method, `${label}: method`)
  assert.strictEqual(actual.url.pathname, expected.path, `${label}: path`)

  assert.deepStrictEqual(names(actual.query), names(expected.query), `${label}: query field names`)
  assert.deepStrictEqual(
    sorted(actual.query.filter(([k]) => !volatile.includes(k))),
    sorted(expected.query.filter(([k]) => !volatile.includes(k))),
    `${label}: query values`
  )
  const query = new Map(actual.query)
  assert.match(query.get("Timestamp") ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${label}: Timestamp`)
  assert.match(query.get("SignatureNonce") ?? "", /^[0-9a-f]{32,64}$/, `${label}: SignatureNonce`)

  const ownValue = differences.ownValue ?? []
  const extra = differences.extra ?? {}
  const expectedForm = [...(expected.form ?? []), ...Object.entries(extra)]
  if (expected.form === undefined) {
    assert.isNull(actual.form, `${label}: no body`)
  } else {
    const actualForm = actual.form ?? []
    assert.deepStrictEqual(names(actualForm), names(expectedForm), `${label}: form field names`)
    assert.deepStrictEqual(
      sorted(actualForm.filter(([k]) => !ownValue.includes(k))),
      sorted(expectedForm.filter(([k]) => !ownValue.includes(k))),
      `${label}: form values`
    )
    assert.strictEqual(actual.headers["content-type"], "application/x-www-form-urlencoded", `${label}: content-type`)
  }
  for (const header of ["x-acs-action", "x-acs-version"]) {
    assert.strictEqual(actual.headers[header], expected.headers[header], `${label}: ${header}`)
  }
}

/** Asserts every request against the fixture's, one for one and in order. */
export const assertRequests = (
  actual: ReadonlyArray<Recorded>,
  expected: ReadonlyArray<Exchange>,
  differences: Differences = {}
) => {
  assert.deepStrictEqual(
    actual.map((r) => r.url.searchParams.get("Action") ?? undefined),
    expected.map((e) => e.request.query.find(([k]) => k === "Action")?.[1]),
    "the sequence of actions"
  )
  actual.forEach((r, i) => assertRequest(r, expected[i]!.request, differences))
}

/** A JSON answer. */
export const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

/** A CallMcpTool answer: a result with one content item per text. */
export const toolResult = (texts: string | ReadonlyArray<string>, isError = false): Response =>
  json(200, {
    RequestId: "r-tool",
    Success: true,
    Code: "ok",
    Data: { content: (typeof texts === "string" ? [texts] : texts).map((text) => ({ type: "text", text })), isError }
  })

/** The fields of a recorded request (query and form). */
export const fieldsOf = (request: Recorded): ReadonlyMap<string, string> =>
  new Map([...request.query, ...(request.form ?? [])])

/** The parsed `Args` of a recorded CallMcpTool. */
export const argsOf = (request: Recorded): Record<string, unknown> =>
  JSON.parse(fieldsOf(request).get("Args") ?? "null")
