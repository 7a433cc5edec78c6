/**
 * An `HttpClient` whose every request is answered in memory by the backend's
 * runtime, in the caller's fiber: no socket, and the backend's `Clock` is the
 * caller's, so a `TestClock` drives it. The fake gives it to the real
 * `AgentBayClient`, so a test goes through the same request encoding,
 * envelope decoding and error mapping as production.
 *
 * It answers as `BackendHttp`'s router does, without its web objects: the
 * request's query and form body are decoded with `BackendHttp.decodeForm` and
 * merged the same way (the body wins, the action comes from the query or the
 * `x-acs-action` header), then `BackendRuntime.handle` answers, and its
 * envelope is the JSON body of the response. Other paths and methods, malformed
 * or oversized bodies get the router's envelopes. What it leaves out: the
 * router's budget of body bytes in flight (the body is already in memory).
 *
 * `PUT` and `GET` of a context file's pre-signed URL
 * (`http://agentbay.test/context-files/<token>`) are answered as the router
 * does too: the request's body streams into the stored file, and a download's
 * response body streams out of it.
 *
 * @since 0.1.0
 */
import * as Wire from "@effect-agentbay/core/Wire"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as BackendHttp from "./BackendHttp.js"
import * as BackendRuntime from "./BackendRuntime.js"
import * as MemoryResponse from "./internal/memoryTransport.js"

/**
 * The host the fake's client is pointed at (never resolved).
 *
 * @since 0.1.0
 * @category constants
 */
export const endpoint = "http://agentbay.test"

const host = new URL(endpoint).host

const encoder = new TextEncoder()

// The body as the server would receive it: bytes (a string is sent as UTF-8),
// or undefined for none. Form data and streams are not what the AgentBay client
// sends: they count as no body, as before.
const bodyOf = (request: HttpClientRequest.HttpClientRequest): Uint8Array | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Uint8Array":
      return body.body
    case "Raw":
      return typeof body.body === "string"
        ? encoder.encode(body.body)
        : body.body instanceof Uint8Array
        ? body.body
        : undefined
    default:
      return undefined
  }
}

const fail = (status: number, code: string, message: string) =>
  Either.left(BackendRuntime.failure(status, code, message))

// The request's path and query as a server sees them (no fragment). The client
// never puts a query or fragment in its URL, so `UrlParams.makeUrl` (a `URL`
// per request) is only needed when it does.
const targetOf = (request: HttpClientRequest.HttpClientRequest): Either.Either<string, unknown> => {
  const params = request.urlParams
  if (request.url === endpoint + "/" && request.hash._tag === "None") {
    return Either.right(params.length === 0 ? "/" : "/?" + UrlParams.toString(params))
  }
  return Either.map(UrlParams.makeUrl(request.url, params, request.hash), (url) => url.pathname + url.search)
}

// The merged fields of a request, or the envelope that refuses it: what
// `BackendHttp`'s router and its `fieldsOf` do, minus the streaming.
const fieldsOf = (
  request: HttpClientRequest.HttpClientRequest,
  target: string
): Either.Either<Record<string, string>, BackendRuntime.Reply> => {
  const q = target.indexOf("?")
  const wrong = BackendHttp.wrongRoute(q < 0 ? target : target.slice(0, q), request.method)
  if (wrong !== undefined) return Either.left(wrong)
  const query = BackendHttp.decodeForm(q < 0 ? "" : target.slice(q + 1))
  if (Either.isLeft(query)) return fail(400, Wire.Code.InvalidParameter, `query: ${query.left}`)
  const bytes = bodyOf(request)
  if (bytes !== undefined && bytes.length > BackendHttp.defaultMaxBodySize) {
    return fail(413, Wire.Code.RequestTooLarge, `The request body exceeds ${BackendHttp.defaultMaxBodySize} bytes`)
  }
  return BackendHttp.mergeFields(query.right, bytes, request.headers["content-type"], request.headers["x-acs-action"])
}

// The request's body as a stream, and its length when known.
const bodyStream = (request: HttpClientRequest.HttpClientRequest) => {
  const body = request.body
  if (body._tag === "Stream") return { stream: body.stream, length: body.contentLength }
  const bytes = bodyOf(request) ?? new Uint8Array(0)
  return { stream: Stream.succeed(bytes), length: bytes.length }
}

// A PUT or GET of a context file's URL, as the router answers it.
const fileExchange = (
  runtime: BackendRuntime.BackendRuntime.Service,
  request: HttpClientRequest.HttpClientRequest,
  route: { readonly token: string; readonly kind: "upload" | "download" }
) => {
  const body = bodyStream(request)
  const answer = route.kind === "download"
    ? runtime.download(route.token)
    : runtime.upload(route.token, body.stream, {
      contentLength: body.length,
      maxBytes: BackendRuntime.defaultMaxUploadSize
    })
  return Effect.map(
    Effect.mapError(answer, (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })),
    (reply) =>
      reply._tag === "Reply"
        ? toResponse(request, reply.reply)
        : reply._tag === "Stored"
        ? MemoryResponse.empty(request, 200)
        : MemoryResponse.bytes(request, 200, reply.size, reply.stream)
  )
}

const internalError = (cause: Cause.Cause<unknown>) =>
  Effect.as(
    Effect.logError("agentbay backend: request failed", Cause.squash(cause)),
    BackendRuntime.failure(500, Wire.Code.InternalError, "Internal error")
  )

const toResponse = (request: HttpClientRequest.HttpClientRequest, reply: BackendRuntime.Reply) =>
  MemoryResponse.json(request, reply.status, reply.body)

const exchange = (runtime: BackendRuntime.BackendRuntime.Service, request: HttpClientRequest.HttpClientRequest) => {
  const target = targetOf(request)
  if (Either.isLeft(target)) {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: target.left }))
  }
  const path = target.right.split("?")[0]!
  const file = BackendHttp.fileRoute(path, request.method)
  if (file !== undefined) return fileExchange(runtime, request, file)
  const fields = fieldsOf(request, target.right)
  if (Either.isLeft(fields)) return Effect.succeed(toResponse(request, fields.left))
  return Effect.map(
    Effect.catchAllCause(runtime.handle(fields.right, { host }), internalError),
    (reply) => toResponse(request, reply)
  )
}

/**
 * Builds the client over the runtime in the context. It opens no HTTP client
 * span of its own (the AgentBay client turns that span off anyway).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<HttpClient.HttpClient, never, BackendRuntime.BackendRuntime> = Effect.map(
  BackendRuntime.BackendRuntime,
  (runtime) =>
    HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (effect) =>
        Effect.flatMap(effect, (request) =>
          Effect.catchAllDefect(
            Effect.suspend(() => exchange(runtime, request)),
            (cause) => Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))
          )),
      Effect.succeed
    )
)
