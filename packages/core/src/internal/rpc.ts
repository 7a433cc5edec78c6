// The wire client's per-call machinery, built for its hot path (AgentBayClient's
// rpc): actions compiled once, the nonce, the timestamp, the time bound of one
// HTTP attempt, the reading of an answer. Internal: not exported from the package.
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Tracer from "effect/Tracer"

import type { Reply } from "../AgentBayClient.js"
import { ApiError, AuthError, type CommonError, DecodeError, TransportError } from "../AgentBayError.js"
import * as Wire from "../Wire.js"

/**
 * What rpc needs of an action, built once per action (not per call): its
 * codecs, compiled, and the options of its span.
 */
export interface Compiled<P, D> {
  readonly encode: (params: P) => Either.Either<Wire.Form, ParseResult.ParseError>
  readonly decode: (data: unknown) => Either.Either<D, ParseResult.ParseError>
  readonly span: Tracer.SpanOptions
  /** The action declares error codes to map. */
  readonly maps: boolean
}
const compiledActions = new WeakMap<Wire.AnyAction, Compiled<any, any>>()
export const compile = <P, PI extends Wire.Form, D, DI>(
  action: Wire.Action<string, P, PI, D, DI, Wire.ErrorRules>
): Compiled<P, D> => {
  let compiled = compiledActions.get(action)
  if (compiled === undefined) {
    compiled = {
      encode: Schema.encodeEither(action.params),
      decode: Schema.decodeUnknownEither(action.data),
      // No stack trace (an Error per call): the caller's own spans locate the call.
      span: { kind: "client", attributes: { "agentbay.action": action.name }, captureStackTrace: false },
      maps: Object.keys(action.errors).length > 0
    }
    compiledActions.set(action, compiled)
  }
  return compiled
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const NONCE_BYTES = 16
// One crypto call fills the pool for 256 nonces.
const pool = new Uint8Array(NONCE_BYTES * 256)
let poolOffset = pool.length

/** 32 lowercase hex digits (128 random bits), a fresh value on every call. */
export const nonce = (): string => {
  if (poolOffset === pool.length) {
    crypto.getRandomValues(pool)
    poolOffset = 0
  }
  let out = ""
  for (let i = poolOffset; i < poolOffset + NONCE_BYTES; i++) out += HEX[pool[i]!]
  poolOffset += NONCE_BYTES
  return out
}

let stampSecond = Number.NaN
let stampText = ""

/** `YYYY-MM-DDTHH:mm:ssZ` (UTC, no milliseconds) for an epoch time in milliseconds. */
export const timestamp = (millis: number): string => {
  const second = Math.floor(millis / 1000)
  if (second !== stampSecond) {
    stampText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
    stampSecond = second
  }
  return stampText
}

// ---------------------------------------------------------------------------
// The one place that relies on Effect's internals, for a measured gain.
//
// `bounded` tells the live clock apart by its `sleep` (the default Clock's
// `sleep` is a method of its prototype, shared by every live clock) and then
// arms the timer the live clock itself would arm (`setTimeout`) next to the
// attempt's fiber, instead of `Effect.timeoutFail`, which forks a second fiber
// for the sleep and races the two. Measured with an in-memory HttpClient (only
// the client's own work counts; 10 000 sequential getSession calls x 21
// interleaved rounds, medians, 2 CPUs): 75.7 µs a call with this timer, 90.8 µs
// with `Effect.timeoutFail` (72.6 µs before the client became generic). Against
// the HTTP server of `pnpm bench` (BENCH_LOCAL=0 BENCH_RELEASE=0) a call costs
// 150-210 µs and rounds vary by more than that 15 µs, so the bench cannot show
// it; the micro-bench can. Everything else on the hot path uses public APIs
// (`Effect.withSpan` for the client span; the platform's public
// `currentTracerDisabledWhen` set in the attempt's own fiber).
// What the timer relies on is pinned by test/Rpc.test.ts, which fails if an
// Effect upgrade changes it (the fallback below would then be taken silently:
// still correct, only slower).
// ---------------------------------------------------------------------------

// The default Clock's `sleep`.
const liveSleep = Clock.make().sleep
// Beyond this the live clock does not use one timer (the JS timer limit).
const maxTimerMillis = 2 ** 31 - 1

/**
 * True for the live clock (the default `Clock` service), false for a TestClock
 * or any other replacement.
 */
export const isLiveClock = (clock: Clock.Clock): boolean => clock.sleep === liveSleep

export const bounded = <A, E, E1>(
  self: Effect.Effect<A, E>,
  options: {
    readonly duration: Duration.Duration
    readonly onTimeout: () => E1
    readonly enter?: Effect.Effect<void> | undefined
  }
): Effect.Effect<A, E | E1> => {
  const { duration, onTimeout } = options
  const millis = Duration.toMillis(duration)
  const attempt = options.enter === undefined ? self : Effect.zipRight(options.enter, self)
  return Effect.clockWith((clock) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.forkDaemon(restore(attempt)), (fiber) =>
        isLiveClock(clock) && millis <= maxTimerMillis
          ? restore(awaitWithTimer(fiber, millis, onTimeout))
          : Effect.ensuring(
            restore(Effect.timeoutFail(Effect.flatten(Fiber.await(fiber)), { duration, onTimeout })),
            Fiber.interrupt(fiber)
          ))
    )
  )
}

const awaitWithTimer = <A, E, E1>(fiber: Fiber.RuntimeFiber<A, E>, millis: number, onTimeout: () => E1) =>
  Effect.async<A, E | E1>((resume) => {
    const onExit = (exit: Exit.Exit<A, E>) => {
      clearTimeout(timer)
      resume(exit)
    }
    const timer = setTimeout(() => {
      fiber.removeObserver(onExit)
      resume(Effect.zipRight(Fiber.interrupt(fiber), Effect.fail(onTimeout())))
    }, millis)
    fiber.addObserver(onExit)
    // Interrupted from outside: stop the timer and the attempt.
    return Effect.suspend(() => {
      clearTimeout(timer)
      fiber.removeObserver(onExit)
      return Fiber.interrupt(fiber)
    })
  })

const decodeEnvelope = Schema.decodeUnknownEither(Wire.Envelope)

/**
 * `AgentBayClient.interpret` with the `Data` decoder given (compiled once by
 * the caller): one HTTP answer to the decoded `Data` or a typed error.
 */

export const decodeReply = <D>(
  name: string,
  decodeData: (data: unknown) => Either.Either<D, ParseResult.ParseError>,
  status: number,
  text: string
): Effect.Effect<Reply<D>, CommonError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = decodeEnvelope(json)
  if (Either.isLeft(parsed) || typeof json !== "object" || json === null || Array.isArray(json)) {
    if (status === 401 || status === 403) {
      return Effect.fail(new AuthError({ action: name, code: `HTTP${status}`, status }))
    }
    return status >= 400 || status < 200
      ? Effect.fail(new TransportError({ action: name, reason: "HttpStatus", status }))
      : Effect.fail(new DecodeError({ action: name, detail: "the body is not a JSON envelope" }))
  }
  const envelope = parsed.right
  const requestId = envelope.RequestId
  if (status === 401 || status === 403 || envelope.Code === Wire.Code.InvalidApiKey) {
    return Effect.fail(new AuthError({ action: name, code: envelope.Code ?? `HTTP${status}`, status, requestId }))
  }
  if (status >= 400 || status < 200 || envelope.Success === false) {
    // A server may echo the request (and so the key) in its message.
    const description = Wire.redact(envelope.Message ?? "")
    if (envelope.Code === undefined || envelope.Code === "") {
      return status >= 400
        ? Effect.fail(new TransportError({ action: name, reason: "HttpStatus", status }))
        : Effect.fail(new ApiError({ action: name, code: "Unknown", description, status, requestId }))
    }
    return Effect.fail(new ApiError({ action: name, code: envelope.Code, description, status, requestId }))
  }
  const data = decodeData(envelope.Data)
  return Either.isLeft(data)
    ? Effect.fail(new DecodeError({ action: name, detail: data.left.message, requestId }))
    : Effect.succeed({ data: data.right, envelope })
}
