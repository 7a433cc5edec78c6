/**
 * An in-memory AgentBay backend for tests. `layer` runs the real services of
 * `@effect-agentbay/core` (waits, paging, scoped sessions) over a fake
 * `AgentBayClient` whose sessions follow the core `Lifecycle` rules and settle
 * on the Effect `Clock`, so `TestClock` drives every transition. The `Backend`
 * tag is the test's handle: inspect sessions and calls, inject faults and delays.
 * `layerStub` is for code that only consumes `AgentBay`.
 *
 * @since 0.1.0
 */
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { ApiError, InvalidState, NotFound } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as PageToken from "@effect-agentbay/core/PageToken"
import { type Labels, ResourceInfo, SessionDetail, SessionRecord, type SessionStatus } from "@effect-agentbay/core/Session"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import {
  type BySession,
  endpoints,
  enqueue,
  type Entry,
  matches,
  type Queued,
  settleEntry,
  snapshot,
  type Store,
  takeNext,
  toMillis,
  validate
} from "./internal/fake.js"

/**
 * A method of `AgentBayClient.Service`, i.e. one wire action.
 *
 * @since 0.1.0
 * @category models
 */
export type Method = keyof AgentBayClient.AgentBayClient.Service

/**
 * The errors a method may fail with: what `failNext` accepts for it.
 *
 * @since 0.1.0
 * @category models
 */
export type MethodError<M extends Method> = Effect.Effect.Error<ReturnType<AgentBayClient.AgentBayClient.Service[M]>>

/**
 * One call the fake client received (faulted and delayed calls included).
 *
 * @since 0.1.0
 * @category models
 */
export interface Call {
  readonly method: Method
  /** `Clock` time when the call arrived, in epoch milliseconds (0 = the start of a `TestClock`). */
  readonly at: number
  readonly args: ReadonlyArray<unknown>
}

/**
 * A snapshot of one stored session, with pending transitions settled at the
 * current `Clock` time. Deleted sessions stay, with status `DELETED`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionState {
  readonly id: string
  readonly status: SessionStatus
  readonly labels: Labels
  readonly imageId: string | undefined
  /** Creation time on the `Clock`, epoch milliseconds. */
  readonly createdAt: number
  /** The status an in-flight transition settles in, and when. */
  readonly pending: { readonly status: SessionStatus; readonly at: number } | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /**
   * How long PAUSING, RESUMING and DELETING last on the `Clock`. Default 0:
   * transitions settle at once, so a test that never touches the clock just
   * works. Give a duration to see the intermediate states, and move the
   * `TestClock` to settle them; `Duration.infinity` never settles.
   */
  readonly transitionDelay?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface NextOptions {
  /** How many of the next calls are affected. Default 1. */
  readonly times?: number | undefined
}

/**
 * The test's handle on the fake backend.
 *
 * @since 0.1.0
 * @category tags
 */
export class Backend extends Context.Tag("@effect-agentbay/testing/Backend")<Backend, Backend.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace Backend {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Sessions that are not gone (neither `DELETED` nor `FINISH`), in creation order: empty means nothing leaked. */
    readonly liveSessions: Effect.Effect<ReadonlyArray<SessionState>>
    /** Every session ever created, deleted ones included, in creation order. */
    readonly sessions: Effect.Effect<ReadonlyArray<SessionState>>
    /**
     * Fails the next `times` calls of `method` with `error`, before the call
     * touches any state. Queued faults of one method are used in order.
     */
    readonly failNext: <M extends Method>(method: M, error: MethodError<M>, options?: NextOptions) => Effect.Effect<void>
    /**
     * Delays the next `times` calls of `method` by `duration` on the `Clock`
     * (a slow network), before they act. Combines with `failNext`: the delay comes first.
     */
    readonly delayNext: (method: Method, duration: Duration.DurationInput, options?: NextOptions) => Effect.Effect<void>
    /** Changes how long transitions started from now on take. */
    readonly setTransitionDelay: (duration: Duration.DurationInput) => Effect.Effect<void>
    /** Every call received so far, oldest first; only those of `method` when given. */
    readonly calls: (method?: Method) => Effect.Effect<ReadonlyArray<Call>>
    /** How many calls were received so far; only those of `method` when given. */
    readonly callCount: (method?: Method) => Effect.Effect<number>
    /**
     * Puts a session into `status` at once, dropping any pending transition: for
     * states the lifecycle never produces (`ERROR`) or races a test wants to stage.
     * Dies if the session does not exist (a bug in the test).
     */
    readonly setStatus: (sessionId: string, status: SessionStatus) => Effect.Effect<void>
    /** What GetContextInfo reports for a session from now on (initially no tasks). Dies on an unknown id. */
    readonly setContextTasks: (sessionId: string, tasks: ReadonlyArray<WireContext.ContextTask>) => Effect.Effect<void>
  }
}

/**
 * Builds a fresh fake: an `AgentBayClient` and its `Backend` handle, sharing one store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Context.Context<AgentBayClient.AgentBayClient | Backend>> =>
  Effect.gen(function*() {
    const store = yield* Ref.make<Store>(new Map())
    const requests = yield* Ref.make(0)
    const created = yield* Ref.make(0)
    const delayMillis = yield* Ref.make(toMillis(options.transitionDelay ?? 0))
    const faults = yield* Ref.make<ReadonlyArray<Queued<MethodError<Method>>>>([])
    const delays = yield* Ref.make<ReadonlyArray<Queued<Duration.Duration>>>([])
    const calls = yield* Ref.make<ReadonlyArray<Call>>([])

    const requestId = Effect.map(Ref.updateAndGet(requests, (n) => n + 1), (n) => `fake-request-${n}`)

    // The entry as it stands now (pending transitions settled and stored), or undefined.
    const read = (id: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(store, (m): readonly [Entry | undefined, Store] => {
          const entry = m.get(id)
          if (entry === undefined) return [undefined, m]
          const settled = settleEntry(entry, now)
          return [settled, settled === entry ? m : new Map(m).set(id, settled)]
        }))

    // Like the real client: the not-found code of an id-addressed call becomes NotFound.
    const existing = (id: string, rid: string) =>
      Effect.flatMap(read(id), (entry) =>
        entry === undefined ? Effect.fail(new NotFound({ resource: "Session", id, requestId: rid })) : Effect.succeed(entry))

    const updateEntry = (id: string, f: (entry: Entry) => Entry) =>
      Ref.update(store, (m) => {
        const entry = m.get(id)
        return entry === undefined ? m : new Map(m).set(id, f(entry))
      })

    // Pause, resume and delete as the local server does them (spec: semantics.md §1.2, "Local:").
    const transition = (operation: Lifecycle.Operation, action: BySession) => (id: string) =>
      Effect.gen(function*() {
        yield* validate(action, { SessionId: id })
        const rid = yield* requestId
        const now = yield* Clock.currentTimeMillis
        const delay = yield* Ref.get(delayMillis)
        const decision = yield* Ref.modify(store, (m): readonly ["unknown" | "start" | "noop" | "reject", Store] => {
          const entry = m.get(id)
          if (entry === undefined) return ["unknown", m]
          const settled = settleEntry(entry, now)
          const decision = Lifecycle.decide(operation, settled.state.status)
          const next = decision === "start" ? { ...settled, state: Lifecycle.begin(operation, now, delay) } : settled
          return [decision, new Map(m).set(id, next)]
        })
        if (decision === "unknown") return yield* new NotFound({ resource: "Session", id, requestId: rid })
        // The server answers InvalidSession.Status; the real client turns that into InvalidState, without a status.
        if (decision === "reject") return yield* new InvalidState({ resource: "Session", id, operation, requestId: rid })
      })

    const raw: AgentBayClient.AgentBayClient.Service = {
      createMcpSession: (params) =>
        Effect.gen(function*() {
          yield* validate(WireSession.CreateMcpSession, {
            ImageId: params.imageId,
            Labels: params.labels,
            PersistenceDataList: params.contextSync?.map((c) => ({ ContextId: c.contextId, Path: c.path }))
          })
          const rid = yield* requestId
          const seq = yield* Ref.updateAndGet(created, (n) => n + 1)
          const id = `fake-session-${seq}`
          const createdAt = yield* Clock.currentTimeMillis
          const labels = params.labels ?? {}
          const entry: Entry = { id, seq, state: { status: "RUNNING" }, labels, imageId: params.imageId, createdAt, tasks: [] }
          yield* Ref.update(store, (m) => new Map(m).set(id, entry))
          return new SessionRecord({
            id,
            status: "RUNNING",
            imageId: params.imageId,
            labels: params.labels,
            ...endpoints(id),
            requestId: rid
          })
        }),
      getSession: (id) =>
        Effect.gen(function*() {
          yield* validate(WireSession.GetSession, { SessionId: id })
          const rid = yield* requestId
          const entry = yield* existing(id, rid)
          return new SessionRecord({ id, status: entry.state.status, ...endpoints(id), requestId: rid })
        }),
      getSessionDetail: (id) =>
        Effect.gen(function*() {
          yield* validate(WireSession.GetSessionDetail, { SessionId: id })
          const rid = yield* requestId
          const entry = yield* existing(id, rid)
          return new SessionDetail({
            id,
            status: Lifecycle.detailStatus(entry.state.status),
            imageId: entry.imageId ?? "linux_latest",
            regionId: "fake",
            appInstanceId: endpoints(id).appInstanceId,
            requestId: rid
          })
        }),
      listSession: (params) =>
        Effect.gen(function*() {
          const maxResults = params.maxResults ?? 10
          yield* validate(WireSession.ListSession, {
            Labels: params.labels ?? {},
            Status: params.status,
            MaxResults: maxResults,
            NextToken: params.nextToken || undefined
          })
          const rid = yield* requestId
          const after = params.nextToken ? Option.getOrUndefined(PageToken.decode(params.nextToken)) : 0
          if (after === undefined) {
            return yield* new ApiError({
              action: "ListSession",
              code: Wire.Code.InvalidParameter,
              description: "NextToken is not valid",
              status: 400,
              requestId: rid
            })
          }
          const now = yield* Clock.currentTimeMillis
          const all = [...(yield* Ref.get(store)).values()]
            .map((e) => settleEntry(e, now))
            .filter((e) => matches(e, params))
          const rest = all.filter((e) => e.seq > after)
          const page = rest.slice(0, maxResults)
          return {
            sessions: page.map((e) => new SessionRecord({ id: e.id, status: e.state.status })),
            nextToken: rest.length > maxResults ? PageToken.encode(page[page.length - 1]!.seq) : undefined,
            maxResults,
            totalCount: all.length,
            requestId: rid
          }
        }),
      deleteSessionAsync: transition("delete", WireSession.DeleteSessionAsync),
      pauseSessionAsync: transition("pause", WireSession.PauseSessionAsync),
      resumeSessionAsync: transition("resume", WireSession.ResumeSessionAsync),
      setLabel: (id, labels) =>
        Effect.gen(function*() {
          yield* validate(WireSession.SetLabel, { SessionId: id, Labels: labels })
          yield* existing(id, yield* requestId)
          yield* updateEntry(id, (e) => ({ ...e, labels })) // replaces, as the local server does
        }),
      getLabel: (id) =>
        Effect.gen(function*() {
          yield* validate(WireSession.GetLabel, { SessionId: id })
          return (yield* existing(id, yield* requestId)).labels
        }),
      getMcpResource: (id) =>
        Effect.gen(function*() {
          yield* validate(WireSession.GetMcpResource, { SessionId: id })
          yield* existing(id, yield* requestId)
          const { appInstanceId, resourceId, resourceUrl } = endpoints(id)
          return new ResourceInfo({ sessionId: id, resourceUrl, appId: appInstanceId, resourceId })
        }),
      getLink: (id, link) =>
        Effect.gen(function*() {
          yield* validate(WireSession.GetLink, { SessionId: id, ProtocolType: link?.protocolType, Port: link?.port })
          yield* existing(id, yield* requestId)
          return `${link?.protocolType ?? "https"}://link.fake.invalid/${id}${link?.port ? `/${link.port}` : ""}`
        }),
      syncContext: (params) =>
        Effect.gen(function*() {
          yield* validate(WireContext.SyncContext, {
            SessionId: params.sessionId,
            ContextId: params.contextId,
            Path: params.path,
            Mode: params.mode
          })
          yield* existing(params.sessionId, yield* requestId)
        }),
      getContextInfo: (params) =>
        Effect.gen(function*() {
          yield* validate(WireContext.GetContextInfo, {
            SessionId: params.sessionId,
            ContextId: params.contextId,
            Path: params.path
          })
          const entry = yield* existing(params.sessionId, yield* requestId)
          return entry.tasks.filter((t) =>
            (params.contextId === undefined || t.contextId === params.contextId) &&
            (params.path === undefined || t.path === params.path)
          )
        })
    }

    // Every method is recorded, then delayed and failed as queued, then run.
    const instrument = <A, E>(method: Method, args: ReadonlyArray<unknown>, run: Effect.Effect<A, E>) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        yield* Ref.update(calls, (cs) => [...cs, { method, at, args }])
        const delay = yield* takeNext(delays, method)
        if (delay !== undefined) yield* Effect.sleep(delay)
        const fault = yield* takeNext(faults, method)
        // `failNext` only accepts errors of this method's type.
        if (fault !== undefined) return yield* Effect.fail(fault as E)
        return yield* run
      })
    const client = Object.fromEntries(
      Object.entries(raw).map(([method, f]) => [
        method,
        (...args: ReadonlyArray<unknown>) =>
          instrument(method as Method, args, (f as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args))
      ])
    ) as unknown as AgentBayClient.AgentBayClient.Service

    const all = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.modify(store, (m): readonly [ReadonlyArray<SessionState>, Store] => {
        const settled = new Map([...m].map(([id, e]) => [id, settleEntry(e, now)]))
        return [[...settled.values()].map(snapshot), settled]
      }))
    const script = (id: string, f: (entry: Entry) => Entry) =>
      Effect.flatMap(read(id), (entry) =>
        entry === undefined ? Effect.dieMessage(`AgentBayTest: no session ${id}`) : updateEntry(id, f))
    const recorded = (method?: Method) =>
      Effect.map(Ref.get(calls), (cs) => method === undefined ? cs : cs.filter((c) => c.method === method))

    const backend = Backend.of({
      sessions: all,
      liveSessions: Effect.map(all, (ss) => ss.filter((s) => !Lifecycle.isGone(s.status))),
      failNext: (method, error, next) => enqueue(faults, method, error as MethodError<Method>, next),
      delayNext: (method, duration, next) => enqueue(delays, method, Duration.decode(duration), next),
      setTransitionDelay: (duration) => Ref.set(delayMillis, toMillis(duration)),
      calls: recorded,
      callCount: (method) => Effect.map(recorded(method), (cs) => cs.length),
      setStatus: (id, status) => script(id, (e) => ({ ...e, state: { status } })),
      setContextTasks: (id, tasks) => script(id, (e) => ({ ...e, tasks }))
    })
    return Context.make(AgentBayClient.AgentBayClient, client).pipe(Context.add(Backend, backend))
  })

/**
 * The real services of `AgentBay.layerWithoutClient` over a fresh fake client,
 * plus its `Backend`. Provide it per test (inside `it.effect`), so that each
 * test gets its own state.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<AgentBay.Services | Backend> =>
  AgentBay.layerWithoutClient.pipe(Layer.provideMerge(Layer.effectContext(make(options))))

/**
 * An `AgentBay` with canned answers, for code that only consumes the service.
 * Each method not given dies, with a message naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerStub = (stubs: Partial<AgentBay.AgentBay.Service>): Layer.Layer<AgentBay.AgentBay> => {
  const message = (name: keyof AgentBay.AgentBay.Service) => `AgentBayTest.layerStub: AgentBay.${name} is not stubbed`
  const missing = (name: keyof AgentBay.AgentBay.Service) => () => Effect.dieMessage(message(name))
  return Layer.succeed(
    AgentBay.AgentBay,
    AgentBay.AgentBay.of({
      create: missing("create"),
      session: missing("session"),
      sessions: missing("sessions"),
      get: missing("get"),
      list: () => Stream.dieMessage(message("list")),
      listPage: missing("listPage"),
      delete: missing("delete"),
      betaPauseAsync: missing("betaPauseAsync"),
      betaResumeAsync: missing("betaResumeAsync"),
      ...stubs
    })
  )
}
