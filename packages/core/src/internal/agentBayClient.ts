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
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as AgentBayConfig from "../AgentBayConfig.js"
import type { Reply } from "../AgentBayClient.js"
import { ApiError, type CommonError, isRetryable, TransportError, ValidationError } from "../AgentBayError.js"
import * as Wire from "../Wire.js"
import { describeCause } from "./cause.js"
import * as Rpc from "./rpc.js"

/** Per-call options of `call`. */
export interface CallOptions {
  /** Bound on each attempt instead of the client's timeout (a tool call derives it from the tool's own). */
  readonly timeout?: Duration.Duration | undefined
}

/** What one call of `action` can fail with: any network error, invalid params, and its mapped codes. */
export type CallError<A extends Wire.AnyAction> = CommonError | ValidationError | Wire.ErrorOf<A>

/** The generic client: any declared action, one call. */
export interface Caller {
  readonly call: <A extends Wire.AnyAction>(
    action: A,
    params: NoInfer<Wire.ParamsOf<A>>,
    options?: CallOptions
  ) => Effect.Effect<Reply<Wire.DataOf<A>>, CallError<A>>
}

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
          new TransportError({ action: name, reason: "Timeout", cause: `no answer within ${Duration.format(duration)}` })
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
    // The caller's child, and the parent of whatever the attempts trace.
    return Effect.withSpan(mapped, `AgentBayClient.${name}`, compiled.span)
  }

  return { call } satisfies Caller as Caller
})
