// Test helper: an HttpClient answered by a handler the test writes (a small
// stateful server in memory), recording every request with its fields and its
// body bytes (stream bodies collected), and the AgentBay layer over it.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

export const apiKey = "sk-scripted-key-7"
export const endpoint = "http://api.test"

/** One request as the server saw it. */
export interface Sent {
  readonly method: string
  readonly url: URL
  /** `Action` of an API call; undefined for anything else (a pre-signed URL). */
  readonly action: string | undefined
  /** Query and form fields, merged (the form wins). */
  readonly fields: ReadonlyMap<string, string>
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array | null
}

export type Handler = (sent: Sent) => Response | Effect.Effect<Response>

const encoder = new TextEncoder()

const bytesOf = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<Uint8Array | null, unknown> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return Effect.succeed(typeof body.body === "string" ? encoder.encode(body.body) : body.body as Uint8Array)
    case "Stream":
      return Effect.map(Stream.runCollect(body.stream), (chunks) => {
        const parts = Chunk.toReadonlyArray(chunks)
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
        let at = 0
        for (const p of parts) {
          out.set(p, at)
          at += p.length
        }
        return out
      })
    default:
      return Effect.dieMessage(`unexpected request body ${body._tag}`)
  }
}

/** The client and what it was sent. A failure of a stream body fails the request, as a transport would. */
export const scripted = (handler: Handler) => {
  const sent: Array<Sent> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* Effect.mapError(
        bytesOf(request),
        (cause) => new HttpClientError.RequestError({ request, reason: "Encode", cause })
      )
      const text = body === null ? "" : new TextDecoder().decode(body)
      const form = request.headers["content-type"] === "application/x-www-form-urlencoded"
        ? [...new URLSearchParams(text)]
        : []
      const s: Sent = {
        method: request.method,
        url,
        action: url.searchParams.get("Action") ?? undefined,
        fields: new Map([...url.searchParams, ...form]),
        headers: request.headers,
        body
      }
      sent.push(s)
      const out = handler(s)
      return HttpClientResponse.fromWeb(request, Effect.isEffect(out) ? yield* out : out)
    })
  )
  return { client, sent }
}

/** The SDK's layers over `client` (no owner stamps unless `stamp`). */
export const layer = (client: HttpClient.HttpClient, options: { readonly stamp?: boolean } = {}) =>
  AgentBay.layer({ apiKey: Redacted.make(apiKey), endpoint, stamp: options.stamp ?? false }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )

/** A JSON answer. */
export const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

/** A successful envelope around `data`. */
export const ok = (data?: unknown): Response =>
  json(200, { RequestId: "r-ok", Success: true, Code: "ok", ...(data === undefined ? {} : { Data: data }) })

/** An error envelope. */
export const apiError = (status: number, code: string): Response =>
  json(status, { RequestId: "r-err", Success: false, Code: code, Message: `injected ${code}` })

/** A GetContextInfo answer holding `tasks`. */
export const tasks = (list: ReadonlyArray<WireContext.ContextTask>): Response =>
  ok({ ContextStatus: WireContext.encodeTasks(list) })

/** The API actions sent, in order (pre-signed URL requests as `PUT /path` / `GET /path`). */
export const actions = (sent: ReadonlyArray<Sent>): Array<string> =>
  sent.map((s) => s.action ?? `${s.method} ${s.url.pathname}`)
