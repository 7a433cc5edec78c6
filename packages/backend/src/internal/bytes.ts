// Byte chunks joined into one array: the request bodies the HTTP edge collects, a stream the
// in-memory vault stores whole, the fake's response bodies. Internal: not exported from the package.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/** The chunks, one after the other (`size`: their total length, when the caller already counted it). */
export const concat = (chunks: Iterable<Uint8Array>, size?: number): Uint8Array => {
  const parts = Array.isArray(chunks) ? chunks as ReadonlyArray<Uint8Array> : [...chunks]
  const out = new Uint8Array(size ?? parts.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Every chunk of `stream`, joined. */
export const collect = <E, R>(stream: Stream.Stream<Uint8Array, E, R>): Effect.Effect<Uint8Array, E, R> =>
  Effect.map(Stream.runCollect(stream), concat)
