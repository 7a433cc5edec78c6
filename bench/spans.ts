// A span recorder for the bench: a tracer over Effect's own that, while
// recording, keeps each span's duration by name. The local server child uses it
// (started and dumped through its stdin) and so does the SDK in LocalRig, so a
// section can say where a request's time goes on both sides, waits included,
// which a CPU profile cannot show.
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Tracer from "effect/Tracer"

export interface Recorder {
  /** Provide it under the layer whose spans are to be recorded. */
  readonly layer: Layer.Layer<never>
  /** Starts recording (dropping what was recorded). */
  readonly start: () => void
  /** Stops recording; each span's durations in ms, by name. */
  readonly stop: () => Record<string, ReadonlyArray<number>>
}

export const make = (): Recorder => {
  let spans: Map<string, Array<number>> | undefined
  const layer = Layer.unwrapEffect(Effect.map(Effect.tracer, (native) =>
    Layer.setTracer(Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = native.span(name, parent, context, links, startTime, kind, options)
        if (spans === undefined) return span
        const record = spans
        const end = span.end.bind(span)
        ;(span as { end: typeof span.end }).end = (endTime, exit) => {
          const list = record.get(name) ?? []
          list.push(Number(endTime - startTime) / 1e6)
          record.set(name, list)
          end(endTime, exit)
        }
        return span
      },
      context: (f, fiber) => native.context(f, fiber)
    }))))
  return {
    layer,
    start: () => {
      spans = new Map()
    },
    stop: () => {
      const out = Object.fromEntries(spans ?? [])
      spans = undefined
      return out
    }
  }
}
