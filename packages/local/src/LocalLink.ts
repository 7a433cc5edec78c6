/**
 * The URLs GetLink hands out, served: `/link/<session>/port/<port>/<path>`
 * forwards the HTTP request to `<port>` inside the session (30100-30199, the
 * ports GetLink accepts) and streams the answer back. The session must exist
 * and be RUNNING; anything else gets an error envelope, never a bare status.
 *
 * Sessions share the host's network namespace (see `Sandbox`), so "inside the
 * session" is 127.0.0.1 of this machine, and two sessions cannot listen on the
 * same port at once. A link is addressed by the session id, which is random
 * and only ever shown to the session's owner; like the cloud's links it needs
 * no API key (a browser opens it).
 *
 * @since 0.1.0
 */
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as Wire from "@effect-agentbay/core/Wire"
import { LinkPort } from "@effect-agentbay/core/WireSession"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * Largest request body forwarded, in bytes.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxBodyBytes = 8 * 1024 * 1024

/**
 * How long a forwarded request may take, in milliseconds.
 *
 * @since 0.1.0
 * @category constants
 */
export const timeoutMillis = 30_000

// Hop-by-hop headers are the connection's, not the message's (RFC 9110 §7.6.1).
const hopByHop = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer"
])

const fail = (status: number, code: string, message: string) => {
  const reply = BackendRuntime.failure(status, code, message)
  return HttpServerResponse.unsafeJson(reply.body, { status: reply.status })
}

const forward = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const params = yield* HttpRouter.params
  const store = yield* BackendStore.BackendStore
  const id = params.id ?? ""
  const port = Schema.decodeUnknownOption(Schema.compose(Schema.NumberFromString, LinkPort))(params.port)
  if (Option.isNone(port)) return fail(400, Wire.Code.InvalidParameter, "Port: must be an integer in 30100..30199")
  const row = yield* store.findSession(id)
  if (Option.isNone(row)) return fail(404, Wire.Code.SessionNotFound, `Session ${id.slice(0, 100)} not found`)
  if (row.value.status !== "RUNNING") {
    return fail(
      409,
      Wire.Code.InvalidStatus,
      `Session ${id} is ${row.value.status}: its links work while it is RUNNING`
    )
  }
  const prefix = `/link/${id}/port/${port.value}`
  const rest = request.url.startsWith(prefix) ? request.url.slice(prefix.length) : "/"
  const target = `http://127.0.0.1:${port.value}${rest.startsWith("/") ? rest : `/${rest}`}`
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (!hopByHop.has(name) && name !== "host") headers.set(name, value)
  }
  const hasBody = request.method !== "GET" && request.method !== "HEAD"
  const body = hasBody ? yield* request.arrayBuffer : undefined
  if (body !== undefined && body.byteLength > maxBodyBytes) {
    return fail(413, Wire.Code.RequestTooLarge, `The request body exceeds ${maxBodyBytes} bytes`)
  }
  const response = yield* Effect.tryPromise({
    try: (signal) =>
      fetch(target, {
        method: request.method,
        headers,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMillis)]),
        ...(body === undefined ? {} : { body })
      }),
    catch: (error) => error
  }).pipe(Effect.either)
  if (response._tag === "Left") {
    return fail(502, "Link.Unreachable", `Nothing answered on port ${port.value} in session ${id}`)
  }
  const out = new Headers(response.right.headers)
  for (const name of hopByHop) out.delete(name)
  return HttpServerResponse.fromWeb(
    new Response(response.right.body, {
      status: response.right.status,
      statusText: response.right.statusText,
      headers: out
    })
  )
}).pipe(
  Effect.catchAll(() => Effect.succeed(fail(400, Wire.Code.InvalidParameter, "The request could not be read")))
)

/**
 * The link routes, to serve beside the backend's router.
 *
 * @since 0.1.0
 * @category constructors
 */
export const router = HttpRouter.empty.pipe(
  HttpRouter.all("/link/:id/port/:port", forward),
  HttpRouter.all("/link/:id/port/:port/*", forward)
)
