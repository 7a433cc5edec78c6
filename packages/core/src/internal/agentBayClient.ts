// The machinery of AgentBayClient: one `call` that is generic over the wire
// declarations (Wire.Action). It encodes the params with the action's schema,
// places the fields and the key (body or query), sends, reads the envelope,
// decodes `Data`, maps the action's declared error codes to typed errors, bounds
// each attempt by the timeout, retries idempotent actions only, and wraps it all
// in one client span. Internal: AgentBayClient.ts is the public surface.
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

import type { AgentBayClient, PutUrlOptions, Reply } from "../AgentBayClient.js"
import * as AgentBayConfig from "../AgentBayConfig.js"
import type { ApiError, CommonError } from "../AgentBayError.js"
import { AuthError, isRetryable, TransportError, ValidationError } from "../AgentBayError.js"
import * as Wire from "../Wire.js"
import * as Observe from "./agentBayMetrics.js"
import { describeCause } from "./cause.js"
import * as Rpc from "./rpc.js"

/** Per-call options of `call`. */
export interface CallOptions {
  /** Bound on each attempt instead of the client's timeout (a tool call derives it from the tool's own). */
  readonly timeout?: Duration.Duration | undefined
}

/** What one call of `action` can fail with: any network error, invalid params, and its mapped codes. */
export type CallError<A extends Wire.AnyAction> = CommonError | ValidationError | Wire.ErrorOf<A>

/** The generic client: any declared action, one call; and the transfers to and from pre-signed URLs. */
export interface Caller extends UrlTransfer {
  readonly call: <A extends Wire.AnyAction>(
    action: A,
    params: NoInfer<Wire.ParamsOf<A>>,
    options?: CallOptions
  ) => Effect.Effect<Reply<Wire.DataOf<A>>, CallError<A>>
}

/** `PUT` and `GET` of pre-signed URLs (context files): see `AgentBayClient.Service`. */
export type UrlTransfer = Pick<AgentBayClient.Service, "putUrl" | "getUrl">

const formType = "application/x-www-form-urlencoded"

const readRetry = Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(3)))

// Retries an idempotent attempt. The retry machinery is built only once a first
// attempt fails and may be retried; `first` replays that failure so that the
// schedule (every delay, the number of attempts) is exactly Effect.retry's over
// `once` (building the schedule's driver on every call costs ~5 µs).
const retried = <A, E>(once: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.catchIf(once, isRetryable, (error) => {
    let first = true
    const replay = Effect.suspend(() => {
      if (!first) return once
      first = false
      return Effect.fail(error)
    })
    return Effect.retry(replay, { schedule: readRetry, while: isRetryable })
  })

// The first issue of a params encoding failure: its path names the field. Only
// the innermost message, never the whole input (a tool's Args may hold a file).
const invalidParams = (action: string, error: ParseResult.ParseError) => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  const field = issue === undefined || issue.path.length === 0 ? "params" : issue.path.map(String).join(".")
  return new ValidationError({ operation: action, field, reason: issue?.message ?? "is invalid" })
}

/**
 * Builds the generic client from options and the current `HttpClient`. Invalid
 * options are a `ValidationError` here, before any request.
 */
export const make = Effect.fnUntraced(function*(options: AgentBayConfig.Options) {
  const base = AgentBayConfig.baseUrl(options.endpoint)
  if (Either.isLeft(base)) {
    return yield* new ValidationError({ operation: "AgentBayClient.make", field: "endpoint", reason: base.left })
  }
  const timeout = Duration.decode(options.timeout ?? AgentBayConfig.defaults.timeout)
  if (!Duration.greaterThan(timeout, Duration.zero)) {
    return yield* new ValidationError({ operation: "AgentBayClient.make", field: "timeout", reason: "must be > 0" })
  }
  const http = yield* HttpClient.HttpClient
  // Runs first in each attempt's own fiber (see Rpc.bounded), so it needs no
  // restoring: the platform's HTTP span is off, as it would record the full
  // URL, which holds the key for SyncContext; our client span covers every call.
  // (`HttpClient.withTracerDisabledWhen` does the same with an `Effect.locally`
  // per call: ~2 µs more a call in the micro-bench.)
  const enter = FiberRef.set(HttpClient.currentTracerDisabledWhen, constTrue)
  const url = base.right + "/"

  // The request of each action without its per-attempt fields: method, URL, headers.
  const templates = new Map<string, HttpClientRequest.HttpClientRequest>()
  const template = (action: Wire.AnyAction) => {
    let request = templates.get(action.name)
    if (request === undefined) {
      request = HttpClientRequest.make(action.method)(url, {
        headers: { "x-acs-version": Wire.version, "x-acs-action": action.name }
      })
      templates.set(action.name, request)
    }
    return request
  }

  // One HTTP exchange: Timestamp and nonce are fresh per attempt, the fields are not.
  const exchange = <D>(
    action: Wire.AnyAction,
    compiled: Rpc.Compiled<unknown, D>,
    form: string,
    extraQuery: ReadonlyArray<readonly [string, string]>
  ) =>
    Effect.clockWith((clock) => {
      const name = action.name
      const query: Array<readonly [string, string]> = [
        ["Action", name],
        ["Format", "json"],
        ["Version", Wire.version],
        ["Timestamp", Rpc.timestamp(clock.unsafeCurrentTimeMillis())],
        ["SignatureNonce", Rpc.nonce()],
        ...extraQuery
      ]
      let request = HttpClientRequest.setUrlParams(template(action), query)
      if (action.method === "POST") request = HttpClientRequest.bodyText(request, form, formType)
      return Effect.flatMap(
        Effect.mapError(
          http.execute(request),
          (e) => new TransportError({ action: name, reason: "Network", cause: describeCause(e.cause) })
        ),
        (response) =>
          Effect.flatMap(
            Effect.mapError(response.text, (e) =>
              new TransportError({
                action: name,
                reason: "Network",
                status: response.status,
                cause: describeCause(e.cause)
              })),
            (text) => Rpc.decodeReply(name, compiled.decode, response.status, text)
          )
      )
    })

  const call = <A extends Wire.AnyAction>(
    action: A,
    params: Wire.ParamsOf<A>,
    callOptions?: CallOptions
  ): Effect.Effect<Reply<Wire.DataOf<A>>, CallError<A>> => {
    const name = action.name
    const compiled = Rpc.compile<unknown, Wire.Form, Wire.DataOf<A>, unknown>(action)
    const duration = callOptions?.timeout ?? timeout
    const run = Effect.suspend((): Effect.Effect<Reply<Wire.DataOf<A>>, CommonError | ValidationError> => {
      const encoded = compiled.encode(params)
      if (Either.isLeft(encoded)) return Effect.fail(invalidParams(name, encoded.left))
      const fields = Wire.compact(encoded.right)
      const key = `Bearer ${Redacted.value(options.apiKey)}`
      const body: Record<string, string> = {}
      const extraQuery: Array<readonly [string, string]> = []
      if (action.keyIn === "query") extraQuery.push(["Authorization", key])
      else body.Authorization = key
      for (const k in fields) {
        if (action.query.includes(k)) extraQuery.push([k, fields[k]!])
        else body[k] = fields[k]!
      }
      // What `bodyUrlParams` would send, encoded once for every attempt.
      const form = new URLSearchParams(body).toString()
      const once = Rpc.bounded(exchange(action, compiled, form, extraQuery), {
        enter,
        duration,
        onTimeout: () =>
          new TransportError({
            action: name,
            reason: "Timeout",
            cause: `no answer within ${Duration.format(duration)}`
          })
      })
      return action.idempotent ? retried(once) : once
    })
    const mapped: Effect.Effect<Reply<Wire.DataOf<A>>, CallError<A>> = compiled.maps
      ? Effect.catchIf(
        run,
        (e): e is ApiError => e._tag === "ApiError" && Wire.ruleFor(action, e.code) !== undefined,
        (e) => Effect.fail(Wire.mapError(action, params, e)!)
      )
      : run
    // The caller's child, and the parent of whatever the attempts trace; timed
    // once per call, with the answer's request id on it (internal/agentBayMetrics.ts).
    const span = Observe.callSpan(compiled.span, params)
    return Effect.withSpan(Observe.observeCall(name, mapped), `AgentBayClient.${name}`, span)
  }

  return { call, ...urlTransfer(http, timeout) } satisfies Caller as Caller
})

/** The `action` of the errors of `putUrl` and `getUrl`. */
export const urlActions = { put: "PutContextFile", get: "GetContextFile" } as const

/** Statuses a `PUT` to storage answers on success (real storage: 200 or 204). */
const putOk: ReadonlyArray<number> = [200, 201, 204]

// A low-level failure's description without the URL, which is a bearer credential.
const scrubbed = (cause: unknown, url: Redacted.Redacted<string>) => {
  const text = describeCause(cause)
  const raw = Redacted.value(url)
  let path = raw
  try {
    const parsed = new URL(raw)
    path = parsed.pathname + parsed.search
  } catch {
    // not a URL: only the text itself and the generic pattern below apply
  }
  return text.split(raw).join("<url>").split(path).join("<url>").replace(/\bhttps?:\/\/[^\s"'<>]+/gi, "<url>")
}

// A refusing status: 401/403 (storage's answer to an expired or forged URL) is
// AuthError, any other TransportError (HttpStatus).
const statusError = (action: string, status: number): AuthError | TransportError =>
  status === 401 || status === 403
    ? new AuthError({ action, code: status === 403 ? "AccessDenied" : "Unauthorized", status })
    : new TransportError({ action, reason: "HttpStatus", status })

/**
 * The transfers to pre-signed URLs. Untraced at the platform level (its span
 * would record the URL); our spans name the method only. The `PUT` is not
 * bounded by the client's timeout (its time grows with the body); the `GET`'s
 * wait for the response head is.
 */
const urlTransfer = (http: HttpClient.HttpClient, timeout: Duration.Duration): UrlTransfer => {
  const client = HttpClient.withTracerDisabledWhen(http, constTrue)
  const network = (action: string, url: Redacted.Redacted<string>, cause: unknown, status?: number) =>
    new TransportError({ action, reason: "Network", status, cause: scrubbed(cause, url) })
  return {
    putUrl: <E>(
      url: Redacted.Redacted<string>,
      body: Uint8Array | Stream.Stream<Uint8Array, E>,
      options?: PutUrlOptions
    ) =>
      Effect.suspend(() => {
        const action = urlActions.put
        // The body's own failure, told apart from the transport's (the platform wraps it).
        let failure = Option.none<E>()
        const base = HttpClientRequest.put(Redacted.value(url))
        // No content-type: a pre-signed URL may be signed without one (the official client sends none).
        const request = body instanceof Uint8Array
          ? HttpClientRequest.bodyUint8Array(base, body, "")
          : HttpClientRequest.bodyStream(
            base,
            Stream.tapError(body, (e) => Effect.sync(() => void (failure = Option.some(e)))),
            { contentType: "", contentLength: options?.contentLength }
          )
        return client.execute(request).pipe(
          Effect.catchAll((e): Effect.Effect<never, E | TransportError> =>
            Option.isSome(failure) ? Effect.fail(failure.value) : Effect.fail(network(action, url, e.cause))
          ),
          Effect.flatMap((response) =>
            // The answer's body (empty, or a short error text) is drained, so the connection can be reused.
            Effect.zipRight(
              Effect.ignore(Stream.runDrain(response.stream)),
              putOk.includes(response.status) ? Effect.void : Effect.fail(statusError(action, response.status))
            )
          ),
          Effect.withSpan("AgentBayClient.putUrl", {
            kind: "client",
            attributes: {
              "http.request.method": "PUT",
              ...(body instanceof Uint8Array
                ? { "agentbay.content_length": body.length }
                : options?.contentLength === undefined
                ? {}
                : { "agentbay.content_length": options.contentLength })
            }
          })
        )
      }),
    getUrl: (url) => {
      const action = urlActions.get
      return client.execute(HttpClientRequest.get(Redacted.value(url))).pipe(
        Effect.mapError((e) => network(action, url, e.cause)),
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new TransportError({ action, reason: "Timeout", cause: `no answer within ${Duration.format(timeout)}` })
        }),
        Effect.flatMap((response) =>
          response.status === 200
            ? Effect.succeed(Stream.mapError(response.stream, (e) => network(action, url, e.cause, 200)))
            : Effect.fail(statusError(action, response.status))
        ),
        Effect.withSpan("AgentBayClient.getUrl", { kind: "client", attributes: { "http.request.method": "GET" } })
      )
    }
  }
}
