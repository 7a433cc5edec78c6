/**
 * The HTTP edge of a backend, written once: `POST /` and `GET /` take the
 * action from the query (`Action`, else the `x-acs-action` header), read the
 * whole body (chunked or not) up to a size cap, decode it as
 * `application/x-www-form-urlencoded`, merge it over the query fields (the body
 * wins on conflict), and write the runtime's JSON envelope. Everything else
 * (other paths, other methods, oversized or malformed bodies) also gets an
 * envelope, never a bare status (spec: wire-protocol.md §1.5, §2). The local
 * runtime serves it on a port; the fake runs it in memory, request by request.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Wire from "@effect-agentbay/core/Wire"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as BackendRuntime from "./BackendRuntime.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Largest accepted request body in bytes; larger ones get a 413 envelope. Default 8 MiB. */
  readonly maxBodySize?: number | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultMaxBodySize = 8 * 1024 * 1024

/**
 * Decodes `application/x-www-form-urlencoded` text strictly: a malformed
 * percent-escape or an empty field name is an error. Repeated fields: the last wins.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeForm = (text: string): Either.Either<Record<string, string>, string> => {
  const fields = new Map<string, string>()
  for (const part of text.split("&")) {
    if (part === "") continue
    const eq = part.indexOf("=")
    const rawKey = eq < 0 ? part : part.slice(0, eq)
    const rawValue = eq < 0 ? "" : part.slice(eq + 1)
    let key: string
    let value: string
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, " "))
      value = decodeURIComponent(rawValue.replace(/\+/g, " "))
    } catch {
      return Either.left("malformed percent-encoding")
    }
    if (key === "") return Either.left("a field has no name")
    // No action repeats a field (lists are `Key.1`, `Key.2`): two values are ambiguous.
    if (fields.has(key) && fields.get(key) !== value) return Either.left(`field ${key.slice(0, 100)} is given twice`)
    fields.set(key, value)
  }
  // fromEntries defines own properties: a field named "__proto__" stays a field.
  return Either.right(Object.fromEntries(fields))
}

type Body =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }

// Reads the body, keeping at most `max` bytes. Past the cap the rest is drained
// and dropped (so the client can read our 413), up to `4 * max`, after which the
// connection is dropped instead.
const readBody = (request: HttpServerRequest.HttpServerRequest, max: number): Effect.Effect<Body, unknown> =>
  Effect.map(
    Stream.runFoldWhile(
      request.stream,
      { chunks: [] as Array<Uint8Array>, size: 0 },
      (s) => s.size <= max * 4,
      (s, chunk) => {
        s.size += chunk.length
        if (s.size <= max) s.chunks.push(chunk)
        return s
      }
    ),
    (s): Body => s.size > max ? { _tag: "TooLarge" } : { _tag: "Body", bytes: concat(s.chunks, s.size) }
  )

const concat = (chunks: ReadonlyArray<Uint8Array>, size: number) => {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

const isForm = (contentType: string | undefined) =>
  contentType !== undefined &&
  contentType.split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded"

const hostPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

const answer = (reply: BackendRuntime.Reply) => HttpServerResponse.unsafeJson(reply.body, { status: reply.status })

const fail = (status: number, code: string, message: string) => answer(BackendRuntime.failure(status, code, message))

const respond = (fallbackHost: string, maxBodySize: number) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const runtime = yield* BackendRuntime.BackendRuntime
    const q = request.url.indexOf("?")
    const query = decodeForm(q < 0 ? "" : request.url.slice(q + 1))
    if (Either.isLeft(query)) return fail(400, Wire.Code.InvalidParameter, `query: ${query.left}`)

    const body = yield* readBody(request, maxBodySize)
    if (body._tag === "TooLarge") {
      return fail(413, Wire.Code.RequestTooLarge, `The request body exceeds ${maxBodySize} bytes`)
    }
    let form: Record<string, string> = {}
    if (body.bytes.length > 0) {
      if (!isForm(request.headers["content-type"])) {
        return fail(400, Wire.Code.InvalidParameter, "body: must be application/x-www-form-urlencoded")
      }
      let text: string
      try {
        text = utf8.decode(body.bytes)
      } catch {
        return fail(400, Wire.Code.InvalidParameter, "body: is not valid UTF-8")
      }
      const decoded = decodeForm(text)
      if (Either.isLeft(decoded)) return fail(400, Wire.Code.InvalidParameter, `body: ${decoded.left}`)
      form = decoded.right
    }

    const fields: Record<string, string> = { ...query.right, ...form }
    const action = query.right.Action ?? request.headers["x-acs-action"]
    if (action === undefined) delete fields.Action
    else fields.Action = action
    const host = request.headers.host
    const reply = yield* runtime.handle(fields, {
      host: host !== undefined && hostPattern.test(host) ? host : fallbackHost
    })
    return answer(reply)
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.as(
        Effect.logError("agentbay backend: request failed", Cause.squash(cause)),
        fail(500, Wire.Code.InternalError, "Internal error")
      )
    )
  )

const fallback = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const path = request.url.split("?")[0]
  return path === "/"
    ? fail(405, Wire.Code.ActionNotFound, `Method ${request.method} is not allowed: use POST or GET on /`)
    : fail(404, Wire.Code.ActionNotFound, `No API at ${path.slice(0, 200)}: use POST or GET on /`)
})

/**
 * The router: `POST /` and `GET /` answer actions; every other path or method
 * gets an `InvalidAction.NotFound` envelope (404, or 405 for another method on `/`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const router = (options: Options & { readonly host: string }) => {
  const handler = respond(options.host, options.maxBodySize ?? defaultMaxBodySize)
  return HttpRouter.empty.pipe(
    HttpRouter.post("/", handler),
    HttpRouter.get("/", handler),
    HttpRouter.all("*", fallback)
  )
}

