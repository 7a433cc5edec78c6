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
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Wire from "@effect-agentbay/core/Wire"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
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
export const bodyAllowance = 64 * 1024

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

// Bytes that in-flight bodies hold together. Each request takes a `Share` that
// grows as its body does; `release` gives all of it back (on every exit path,
// interruption included, since what was taken is counted when it is taken).
const makeBudget = (total: number) => {
  let free = total
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const waiter of [...waiters]) {
      if (free <= 0) return
      waiter()
    }
  }
  return () => {
    let held = 0
    const take = (n: number) =>
      Effect.async<void>((resume) => {
        const attempt = () => {
          if (free < n) return false
          free -= n
          held += n
          waiters.delete(attempt)
          resume(Effect.void)
          return true
        }
        if (attempt()) return
        waiters.add(attempt)
        return Effect.sync(() => {
          waiters.delete(attempt)
        })
      })
    return {
      /** Takes `n` more bytes, waiting at most `wait`; says whether it got them. */
      take: (n: number, wait: Duration.Duration): Effect.Effect<boolean> =>
        n <= 0
          ? Effect.succeed(true)
          : Effect.timeoutTo(take(n), { duration: wait, onSuccess: () => true, onTimeout: () => false }),
      release: Effect.sync(() => {
        free += held
        held = 0
        wake()
      })
    }
  }
}

type Share = ReturnType<ReturnType<typeof makeBudget>>

type Body =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Busy" }

interface Limits {
  readonly max: number
  readonly wait: Duration.Duration
}

// Reads and drops the rest of a body (so the client can read our answer), up to
// `limit` bytes, after which the connection is dropped instead.
const drain = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Stream.runFoldWhile(request.stream, 0, (size) => size <= limit, (size, chunk) => size + chunk.length)

const contentLength = (request: HttpServerRequest.HttpServerRequest): number | undefined => {
  const value = request.headers["content-length"]
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined
}

// Reads the body, keeping at most `max` bytes, each past `bodyAllowance` only
// once `share` has them. A declared length past `max`, or a body growing past it,
// is drained and dropped (413); a share not had within `wait` is a 503, at once
// when the length was declared, else once the rest is drained.
const readBody = (request: HttpServerRequest.HttpServerRequest, share: Share, { max, wait }: Limits) =>
  Effect.gen(function*() {
    const declared = contentLength(request)
    if (declared !== undefined && declared > max) {
      yield* drain(request, max * 4)
      return { _tag: "TooLarge" } as Body
    }
    if (declared !== undefined && !(yield* share.take(declared - bodyAllowance, wait))) {
      return { _tag: "Busy" } as Body
    }
    const taken = Math.max(0, (declared ?? 0) - bodyAllowance)
    const s = { chunks: [] as Array<Uint8Array>, size: 0, taken, busy: false }
    const drop = Effect.suspend(() => {
      s.chunks = []
      return share.release
    })
    yield* Stream.runFoldWhileEffect(request.stream, s, (s) => s.size <= max * 4, (s, chunk) =>
      Effect.gen(function*() {
        const kept = s.size <= max && !s.busy
        s.size += chunk.length
        if (!kept) return s
        if (s.size > max) {
          yield* drop
          return s
        }
        const need = s.size - bodyAllowance - s.taken
        if (need > 0) {
          if (!(yield* share.take(need, wait))) {
            s.busy = true
            yield* drop
            return s
          }
          s.taken += need
        }
        s.chunks.push(chunk)
        return s
      }))
    if (s.size > max) return { _tag: "TooLarge" } as Body
    if (s.busy) return { _tag: "Busy" } as Body
    return { _tag: "Body", bytes: concat(s.chunks, s.size) } as Body
  })

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

// An answer given before the body was read in full: the connection is not reused.
const closing = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeader(response, "connection", "close")

// The request target without its fragment (`#...`), which a client should never send.
const targetOf = (url: string) => {
  const hash = url.indexOf("#")
  return hash < 0 ? url : url.slice(0, hash)
}

// The merged fields of a request, or the answer that refuses it.
const fieldsOf = (request: HttpServerRequest.HttpServerRequest, share: Share, options: Options & Limits) =>
  Effect.gen(function*() {
    const url = targetOf(request.url)
    const q = url.indexOf("?")
    const query = decodeForm(q < 0 ? "" : url.slice(q + 1))
    if (Either.isLeft(query)) return Either.left(fail(400, Wire.Code.InvalidParameter, `query: ${query.left}`))
    const key = query.right.Authorization
    if (key !== undefined && options.authenticate !== undefined && !options.authenticate(key)) {
      return Either.left(closing(answer(BackendRuntime.unauthorized())))
    }

    const body = yield* readBody(request, share, options)
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

const noApi = (path: string) =>
  BackendRuntime.failure(404, Wire.Code.ActionNotFound, `No API at ${path.slice(0, 200)}: use POST or GET on /`)

const notAllowed = (method: string) =>
  BackendRuntime.failure(405, Wire.Code.ActionNotFound, `Method ${method} is not allowed: use POST or GET on /`)

const respond = (fallbackHost: string, options: Options & Limits, budget: ReturnType<typeof makeBudget>) =>
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

/**
 * The router: `POST /` and `GET /` answer actions; every other path or method
 * gets an `InvalidAction.NotFound` envelope (`notFound`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const router = (options: Options & { readonly host: string }) => {
  const budget = makeBudget(options.maxBodyBytesInFlight ?? defaultMaxBodyBytesInFlight)
  const handler = respond(options.host, {
    ...options,
    max: options.maxBodySize ?? defaultMaxBodySize,
    wait: Duration.decode(options.bodyWait ?? defaultBodyWait)
  }, budget)
  return HttpRouter.empty.pipe(
    HttpRouter.post("/", handler),
    HttpRouter.get("/", handler),
    HttpRouter.all("*", notFound)
  )
}
