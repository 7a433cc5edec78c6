// The fake backend's store: entries, queued faults and delays, and the pure
// rules it applies to them. Internal: not exported from the package.
import type * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { Labels } from "@effect-agentbay/core/Session"
import type * as WireContext from "@effect-agentbay/core/WireContext"
import type * as WireSession from "@effect-agentbay/core/WireSession"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type { Method, NextOptions, SessionState } from "../AgentBayTest.js"

export interface Entry {
  readonly id: string
  /** Creation number: list order and page tokens. */
  readonly seq: number
  readonly state: Lifecycle.State
  readonly labels: Labels
  readonly imageId: string | undefined
  readonly createdAt: number
  readonly tasks: ReadonlyArray<WireContext.ContextTask>
}

export type Store = ReadonlyMap<string, Entry>

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

export const toMillis = (duration: Duration.DurationInput) => Duration.toMillis(Duration.decode(duration))

export const settleEntry = (entry: Entry, now: number): Entry => {
  const state = Lifecycle.settle(entry.state, now)
  return state === entry.state ? entry : { ...entry, state }
}

export const snapshot = (entry: Entry): SessionState => ({
  id: entry.id,
  status: entry.state.status,
  labels: entry.labels,
  imageId: entry.imageId,
  createdAt: entry.createdAt,
  pending: entry.state.pending
})

// The same ValidationError the real client gives when the action's schema rejects the params.
export const validate = <P, I>(action: { readonly name: string; readonly params: Schema.Schema<P, I> }, params: P) =>
  Schema.encode(action.params)(params).pipe(
    Effect.mapError((e) => new ValidationError({ operation: action.name, field: "params", reason: e.message })),
    Effect.asVoid
  )

export type BySession = typeof WireSession.PauseSessionAsync | typeof WireSession.ResumeSessionAsync | typeof WireSession.DeleteSessionAsync

export const endpoints = (id: string) => ({
  resourceUrl: `fake://resource/${id}`,
  appInstanceId: `ai-${id}`,
  resourceId: `res-${id}`
})

export const matches = (entry: Entry, params: AgentBayClient.ListParams) => {
  const status = entry.state.status
  if (params.status !== undefined ? status !== params.status : Lifecycle.isGone(status)) return false
  return Object.entries(params.labels ?? {}).every(([k, v]) => entry.labels[k] === v)
}

