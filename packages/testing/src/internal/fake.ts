// The fake's queues of faults and delays (`Backend.failNext`, `delayNext`),
// keyed by client method, and its call log: plain mutable state, every change
// one synchronous step, so as atomic as a `Ref` at no fiber step on the path of
// each call. Also `layerStub`'s dying resource services. Internal: not exported
// from the package.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

import type { Method, NextOptions } from "../AgentBayTest.js"

interface Queued<A> {
  readonly method: Method
  readonly value: A
  remaining: number
}

export interface Queue<A> {
  /** How many items are queued, of any method: 0 means `takeNext` has nothing to give. */
  readonly size: () => number
  /** Takes one use of the first item queued for `method`, if any. */
  readonly takeNext: (method: Method) => A | undefined
  readonly enqueue: (method: Method, value: A, options?: NextOptions) => Effect.Effect<void>
}

export const makeQueue = <A>(): Queue<A> => {
  const items: Array<Queued<A>> = []
  return {
    size: () => items.length,
    takeNext: (method) => {
      const i = items.findIndex((q) => q.method === method)
      if (i < 0) return undefined
      const item = items[i]!
      if (item.remaining > 1) item.remaining--
      else items.splice(i, 1)
      return item.value
    },
    enqueue: (method, value, options) => {
      const times = options?.times ?? 1
      return Number.isInteger(times) && times >= 1
        ? Effect.sync(() => void items.push({ method, value, remaining: times }))
        : Effect.dieMessage(`AgentBayTest: times must be an integer >= 1, got ${times}`)
    }
  }
}

// Methods of the resource services that answer a Stream (the others answer an Effect).
const streamMethods = new Set(["list", "files"])

// A resource service of `layerStub` (`context`, `betaVolume`, ...) whose every method dies, naming it.
export const missingService = <A extends object>(name: string): A =>
  new Proxy({} as A, {
    get: (_, key) =>
      typeof key !== "string" ? undefined : () => {
        const text = `AgentBayTest.layerStub: AgentBay.${name}.${key} is not stubbed`
        return streamMethods.has(key) ? Stream.dieMessage(text) : Effect.dieMessage(text)
      }
  })
