// The fake's queues of faults and delays (`Backend.failNext`, `delayNext`),
// keyed by client method. Internal: not exported from the package.
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { Method, NextOptions } from "../AgentBayTest.js"

export interface Queued<A> {
  readonly method: Method
  readonly value: A
  readonly remaining: number
}

// Takes one use of the first item queued for `method`, if any.
export const takeNext = <A>(queue: Ref.Ref<ReadonlyArray<Queued<A>>>, method: Method) =>
  Ref.modify(queue, (items): readonly [A | undefined, ReadonlyArray<Queued<A>>] => {
    const i = items.findIndex((q) => q.method === method)
    if (i < 0) return [undefined, items]
    const item = items[i]!
    const rest = item.remaining > 1
      ? items.map((q, j) => j === i ? { ...q, remaining: q.remaining - 1 } : q)
      : items.filter((_, j) => j !== i)
    return [item.value, rest]
  })

export const enqueue = <A>(queue: Ref.Ref<ReadonlyArray<Queued<A>>>, method: Method, value: A, options?: NextOptions) => {
  const times = options?.times ?? 1
  return Number.isInteger(times) && times >= 1
    ? Ref.update(queue, (items) => [...items, { method, value, remaining: times }])
    : Effect.dieMessage(`AgentBayTest: times must be an integer >= 1, got ${times}`)
}
