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
 * Memory held for bodies is bounded: past its first `bodyAllowance` bytes a body
 * takes its share of `maxBodyBytesInFlight`, shared by all requests (the whole
 * declared length at once when there is a `Content-Length`, chunk by chunk
 * otherwise); a request that cannot get it within `bodyWait` gets a 503
 * envelope, and a body past the cap is dropped as it arrives. A key in the query
 * (SyncContext, GetAndLoadInternalContext: spec wire-protocol.md §1.4) is checked
 * before the body is read.
 *
 * `PUT /context-files/<token>` and `GET /context-files/<token>` are the
 * pre-signed URLs of context files (spec: semantics.md §4.7): no key, the
 * token is the credential. A PUT streams its body into the stored file (never
 * whole in memory; past `maxUploadSize` 413 and nothing stored) and answers 200
 * with an empty body; a GET streams the file. A refused token is a 403
 * envelope (code `AccessDenied`) and touches nothing. Tokens are never logged.
 *
 * @since 0.1.0
 */
import * as Wire from "@effect-agentbay/core/Wire"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as BackendRuntime from "./BackendRuntime.js"
import * as BodyReader from "./internal/backendHttp.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Largest accepted request body in bytes; larger ones get a 413 envelope. Default 8 MiB. */
  readonly maxBodySize?: number | undefined
  /**
   * Bytes all in-flight bodies may hold together, past the first `bodyAllowance`
   * bytes of each. Default 64 MiB.
   */
  readonly maxBodyBytesInFlight?: number | undefined
  /** How long a request waits for its share of `maxBodyBytesInFlight` before a 503 envelope. Default 10 seconds. */
  readonly bodyWait?: Duration.DurationInput | undefined
  /**
   * Checks an `Authorization` field found in the query before the body is read
   * (a rejected key gets the 401 envelope at once). Without it, keys are only
   * checked by the runtime, after the body.
   */
  readonly authenticate?: ((authorization: string) => boolean) | undefined
  /** Largest file a PUT to a context-file URL may store, in bytes. Default 1 GiB (`BackendRuntime.defaultMaxUploadSize`). */
  readonly maxUploadSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultMaxBodySize = 8 * 1024 * 1024

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultMaxBodyBytesInFlight = 64 * 1024 * 1024

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultBodyWait: Duration.Duration = Duration.seconds(10)

/**
 * The bytes of each body not counted against `maxBodyBytesInFlight`, so that
 * small requests never wait; what they hold together is bounded by the number
 * of connections (the local server caps it).
 *
 * @since 0.1.0
 * @category constants
 */
export const bodyAllowance: number = BodyReader.bodyAllowance

/**
 * The code of a 503 envelope: the server could not take the request now; a
 * client may retry (`isRetryable`).
 *
 * @since 0.1.0
 * @category constants
 */
export const serviceUnavailable = "ServiceUnavailable"

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

const utf8 = new TextDecoder("utf-8", { fatal: true })

const isForm = (contentType: string | undefined) =>
  contentType !== undefined &&
  contentType.split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded"

const hostPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

const answer = (reply: BackendRuntime.Reply) => HttpServerResponse.unsafeJson(reply.body, { status: reply.status })

const fail = (status: number, code: string, message: string) => answer(BackendRuntime.failure(status, code, message))

// An answer given before the body was read in full: the connection is not reused.
const closing = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeader(response, "connection", "close")

// The request target without its fragment (`#...`), which a client should never send.
const targetOf = (url: string) => {
  const hash = url.indexOf("#")
  return hash < 0 ? url : url.slice(0, hash)
}

// The merged fields of a request, or the answer that refuses it.
const fieldsOf = (
  request: HttpServerRequest.HttpServerRequest,
  share: BodyReader.Share,
  options: Options & BodyReader.Limits
) =>
  Effect.gen(function*() {
    const url = targetOf(request.url)
    const q = url.indexOf("?")
    const query = decodeForm(q < 0 ? "" : url.slice(q + 1))
    if (Either.isLeft(query)) return Either.left(fail(400, Wire.Code.InvalidParameter, `query: ${query.left}`))
    const key = query.right.Authorization
    if (key !== undefined && options.authenticate !== undefined && !options.authenticate(key)) {
      return Either.left(closing(answer(BackendRuntime.unauthorized())))
    }

    const body = yield* BodyReader.readBody(request, share, options)
    if (body._tag === "TooLarge") {
      return Either.left(fail(413, Wire.Code.RequestTooLarge, `The request body exceeds ${options.max} bytes`))
    }
    if (body._tag === "Busy") {
      const busy = "The server is busy receiving other requests: retry later"
      return Either.left(closing(fail(503, serviceUnavailable, busy)))
    }
    return Either.mapLeft(
      mergeFields(query.right, body.bytes, request.headers["content-type"], request.headers["x-acs-action"]),
      answer
    )
  })

/**
 * The action's fields from a decoded query and the raw body: the body must be
 * a UTF-8 form when it is not empty; its fields win over the query's; `Action`
 * comes from the query, else from the `x-acs-action` header. A refused body is
 * its error envelope. (The server's router and the fake's in-memory transport
 * both read requests with it.)
 *
 * @since 0.1.0
 * @category utils
 */
export const mergeFields = (
  query: Readonly<Record<string, string>>,
  body: Uint8Array | undefined,
  contentType: string | undefined,
  actionHeader: string | undefined
): Either.Either<Record<string, string>, BackendRuntime.Reply> => {
  const refuse = (message: string) => Either.left(BackendRuntime.failure(400, Wire.Code.InvalidParameter, message))
  let form: Record<string, string> = {}
  if (body !== undefined && body.length > 0) {
    if (!isForm(contentType)) return refuse("body: must be application/x-www-form-urlencoded")
    let text: string
    try {
      text = utf8.decode(body)
    } catch {
      return refuse("body: is not valid UTF-8")
    }
    const decoded = decodeForm(text)
    if (Either.isLeft(decoded)) return refuse(`body: ${decoded.left}`)
    form = decoded.right
  }
  const fields: Record<string, string> = { ...query, ...form }
  const action = query.Action ?? actionHeader
  if (action === undefined) delete fields.Action
  else fields.Action = action
  return Either.right(fields)
}

/**
 * The envelope for a request to anything but `POST /` or `GET /`: 404, or 405
 * for another method on `/`; undefined for those two.
 *
 * @since 0.1.0
 * @category utils
 */
export const wrongRoute = (path: string, method: string): BackendRuntime.Reply | undefined =>
  path !== "/" ? noApi(path) : method !== "POST" && method !== "GET" ? notAllowed(method) : undefined

// A file URL's path holds its token: it is not repeated in the answer.
const noApi = (path: string) =>
  path.startsWith(filesPrefix)
    ? BackendRuntime.failure(404, Wire.Code.ActionNotFound, `Use PUT or GET on ${filesPrefix}<token>`)
    : BackendRuntime.failure(404, Wire.Code.ActionNotFound, `No API at ${path.slice(0, 200)}: use POST or GET on /`)

/**
 * The path prefix of the pre-signed context-file URLs.
 *
 * @since 0.1.0
 * @category constants
 */
export const filesPrefix = "/context-files/"

const notAllowed = (method: string) =>
  BackendRuntime.failure(405, Wire.Code.ActionNotFound, `Method ${method} is not allowed: use POST or GET on /`)

const respond = (
  fallbackHost: string,
  options: Options & BodyReader.Limits,
  budget: ReturnType<typeof BodyReader.makeBudget>
) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const runtime = yield* BackendRuntime.BackendRuntime
    const share = budget()
    return yield* Effect.gen(function*() {
      const fields = yield* fieldsOf(request, share, options)
      if (Either.isLeft(fields)) return fields.left
      const host = request.headers.host
      const reply = yield* runtime.handle(fields.right, {
        host: host !== undefined && hostPattern.test(host) ? host : fallbackHost
      })
      return answer(reply)
    }).pipe(Effect.ensuring(share.release))
  }).pipe(
    Effect.catchAllCause((cause) =>
      Effect.as(
        Effect.logError("agentbay backend: request failed", Cause.squash(cause)),
        fail(500, Wire.Code.InternalError, "Internal error")
      )
    )
  )

/**
 * The answer to a request no route takes: an `InvalidAction.NotFound` envelope,
 * 404 (405 for another method on `/`). Servers also give it for targets their
 * router cannot decode (`RouteNotFound`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const notFound: Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest
> = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const path = targetOf(request.url).split("?")[0]!
  return answer(path === "/" ? notAllowed(request.method) : noApi(path))
})

// The token of a context-file URL path, when it is one.
const tokenOf = (path: string): string | undefined =>
  path.startsWith(filesPrefix) && path.length > filesPrefix.length && !path.slice(filesPrefix.length).includes("/")
    ? path.slice(filesPrefix.length)
    : undefined

/**
 * The context-file URL route of a path and method: the token and whether it is
 * an upload (`PUT`) or a download (`GET`); undefined for anything else. (The
 * server's router and the fake's in-memory transport both route with it.)
 *
 * @since 0.1.0
 * @category utils
 */
export const fileRoute = (
  path: string,
  method: string
): { readonly token: string; readonly kind: "upload" | "download" } | undefined => {
  const token = tokenOf(path)
  if (token === undefined) return undefined
  return method === "PUT" ? { token, kind: "upload" } : method === "GET" ? { token, kind: "download" } : undefined
}

const fileResponse = (reply: BackendRuntime.FileReply, bodyRead: boolean) => {
  switch (reply._tag) {
    case "Reply":
      return bodyRead ? answer(reply.reply) : closing(answer(reply.reply))
    case "Stored":
      return HttpServerResponse.empty({ status: 200 })
    case "File":
      return HttpServerResponse.stream(reply.stream, {
        status: 200,
        contentType: "application/octet-stream",
        contentLength: reply.size
      })
  }
}

const files = (maxBytes: number) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const runtime = yield* BackendRuntime.BackendRuntime
    const route = fileRoute(targetOf(request.url).split("?")[0]!, request.method)
    if (route === undefined) return yield* notFound
    if (route.kind === "download") return fileResponse(yield* runtime.download(route.token), true)
    const reply = yield* runtime.upload(route.token, request.stream, {
      contentLength: BodyReader.contentLength(request),
      maxBytes
    })
    // A body refused unread, or cut at the cap, is not drained: the connection closes.
    return fileResponse(reply, reply._tag === "Stored")
  }).pipe(
    // Only the failure's kind is logged: a request error's text carries the URL, and so the token.
    Effect.catchAllCause((cause) =>
      Effect.as(
        Effect.logError(`agentbay backend: a context-file request failed (${kindOf(Cause.squash(cause))})`),
        closing(fail(500, Wire.Code.InternalError, "Internal error"))
      )
    )
  )

const kindOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : error instanceof Error
    ? error.name
    : typeof error

/**
 * The router: `POST /` and `GET /` answer actions, `PUT` and `GET` of
 * `/context-files/<token>` move context files; every other path or method
 * gets an `InvalidAction.NotFound` envelope (`notFound`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const router = (options: Options & { readonly host: string }) => {
  const budget = BodyReader.makeBudget(options.maxBodyBytesInFlight ?? defaultMaxBodyBytesInFlight)
  const handler = respond(options.host, {
    ...options,
    max: options.maxBodySize ?? defaultMaxBodySize,
    wait: Duration.decode(options.bodyWait ?? defaultBodyWait)
  }, budget)
  const fileHandler = files(options.maxUploadSize ?? BackendRuntime.defaultMaxUploadSize)
  return HttpRouter.empty.pipe(
    HttpRouter.post("/", handler),
    HttpRouter.get("/", handler),
    HttpRouter.put(`${filesPrefix}:token`, fileHandler),
    HttpRouter.get(`${filesPrefix}:token`, fileHandler),
    HttpRouter.all("*", notFound)
  )
}
