// How the HTTP edge reads request bodies: whole, up to a cap, with the bytes
// past each body's allowance taken from a budget all in-flight bodies share.
// Internal: the public surface is BackendHttp.ts.
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { concat } from "./bytes.js"

/** The bytes of each body not counted against the shared budget (BackendHttp.bodyAllowance). */
export const bodyAllowance = 64 * 1024

// Bytes that in-flight bodies hold together. Each request takes a `Share` that
// grows as its body does; `release` gives all of it back (on every exit path,
// interruption included, since what was taken is counted when it is taken).
export const makeBudget = (total: number) => {
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

export type Share = ReturnType<ReturnType<typeof makeBudget>>

export type Body =
  | { readonly _tag: "Body"; readonly bytes: Uint8Array }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Busy" }

export interface Limits {
  readonly max: number
  readonly wait: Duration.Duration
}

// Reads and drops the rest of a body (so the client can read our answer), up to
// `limit` bytes, after which the connection is dropped instead.
const drain = (request: HttpServerRequest.HttpServerRequest, limit: number) =>
  Stream.runFoldWhile(request.stream, 0, (size) => size <= limit, (size, chunk) => size + chunk.length)

export const contentLength = (request: HttpServerRequest.HttpServerRequest): number | undefined => {
  const value = request.headers["content-length"]
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined
}

// Reads the body, keeping at most `max` bytes, each past `bodyAllowance` only
// once `share` has them. A declared length past `max`, or a body growing past it,
// is drained and dropped (413); a share not had within `wait` is a 503, at once
// when the length was declared, else once the rest is drained.
export const readBody = (request: HttpServerRequest.HttpServerRequest, share: Share, { max, wait }: Limits) =>
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
