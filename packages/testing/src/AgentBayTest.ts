/**
 * An in-memory AgentBay backend for tests. `layer` runs the real services of
 * `@effect-agentbay/core` and the real `AgentBayClient` over an in-memory
 * transport to the same backend the local runtime runs
 * (`@effect-agentbay/backend`): sessions follow the core `Lifecycle` rules, tool
 * calls run on in-memory files and programmed commands, and everything happens
 * on the Effect `Clock`. Transitions settle at once by default, so a test needs
 * no clock; give `transitionDelay` and move the `TestClock` to watch them. The
 * `Backend` tag is the test's handle: inspect sessions, calls and files,
 * inject faults and delays, program commands, look into contexts' stored files
 * and volumes. Contexts, their syncs and file URLs, volumes (mounted at
 * `/home/wuying/volume`) and networks work as on the local runtime, in memory.
 * `layerStub` is for code that only consumes `AgentBay`.
 *
 * @since 0.1.0
 */
import * as BackendAuth from "@effect-agentbay/backend/BackendAuth"
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as BackendSessions from "@effect-agentbay/backend/BackendSessions"
import * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as BackendVault from "@effect-agentbay/backend/BackendVault"
import * as MemoryStore from "@effect-agentbay/backend/MemoryStore"
import * as MemoryTransport from "@effect-agentbay/backend/MemoryTransport"
import * as MemoryVault from "@effect-agentbay/backend/MemoryVault"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { Labels, SessionStatus } from "@effect-agentbay/core/Session"
import type * as WireContext from "@effect-agentbay/core/WireContext"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { makeQueue, missingService } from "./internal/fake.js"
import { type CommandHandler, make as makeSandbox } from "./internal/sandbox.js"

export type {
  /**
   * A programmed command (`Backend.Service.onCommand`): a fixed result, or a function of the
   * command line (it may take time on the Clock: past the call's timeout it is cut).
   *
   * @since 0.1.0
   * @category models
   */
  CommandHandler,
  /**
   * What a programmed command produces. Missing fields: empty output, exit 0.
   *
   * @since 0.1.0
   * @category models
   */
  CommandResult
} from "./internal/sandbox.js"

/**
 * A method of `AgentBayClient.Service`, i.e. one wire action.
 *
 * @since 0.1.0
 * @category models
 */
export type Method = {
  readonly [K in keyof AgentBayClient.AgentBayClient.Service]: AgentBayClient.AgentBayClient.Service[K] extends
    (...args: ReadonlyArray<any>) => any ? K : never
}[keyof AgentBayClient.AgentBayClient.Service]

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
  /** How long a pre-signed context-file URL is valid. Default 1 hour. */
  readonly urlLifetime?: Duration.DurationInput | undefined
  /** How often the recycle sweep of synced data runs on the `Clock`. Default 10 minutes. */
  readonly recycleInterval?: Duration.DurationInput | undefined
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
 * @category models
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
    readonly failNext: <M extends Method>(
      method: M,
      error: MethodError<M>,
      options?: NextOptions
    ) => Effect.Effect<void>
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
    /**
     * Programs what a command run in a session produces (`executeCommand`, the
     * `shell` tool): `pattern` is the exact command text or a RegExp tested
     * on it; the latest matching program wins. An unprogrammed command exits
     * 127 with a message saying so. A handler function may take time on the
     * `Clock`; past the call's timeout the command is cut, as a real one is.
     */
    readonly onCommand: (pattern: string | RegExp, result: CommandHandler) => Effect.Effect<void>
    /**
     * The in-memory files of a session (its home `/home/wuying` and `/tmp`),
     * to seed them before a test or inspect them after, e.g. with
     * `MemoryFiles.seed` / `MemoryFiles.snapshot` from `@effect-agentbay/backend`.
     */
    readonly files: (sessionId: string) => BackendSandbox.SessionFiles
    /**
     * The paths (absolute sandbox paths, sorted) of the files a context
     * stores: what uploads, syncs and file URLs left there.
     */
    readonly contextFiles: (contextId: string) => Effect.Effect<ReadonlyArray<string>>
    /**
     * Everything the fake keeps beyond sessions (contexts, stored files, sync
     * tasks, volumes, networks, URL tokens), to inspect or seed it directly.
     */
    readonly vault: BackendVault.BackendVault.Service
    /**
     * The next `times` reads (`read`: downloads, GETs) or writes (`write`: uploads, PUTs) of
     * stored context files fail.
     */
    readonly failContextStorage: (operation: "read" | "write", options?: NextOptions) => Effect.Effect<void>
    /** Ids of the volumes whose data exists (mounted at least once, not deleted), in creation order. */
    readonly volumes: Effect.Effect<ReadonlyArray<string>>
    /** A volume's files, at the paths sessions see them (below `/home/wuying/volume`). */
    readonly volumeFiles: (volumeId: string) => BackendSandbox.SessionFiles
    /**
     * The in-memory `HttpClient` the fake's client uses: requests to the
     * file URLs the fake hands out (`http://agentbay.test/context-files/...`)
     * go through it, e.g. to `PUT` or `GET` one by hand.
     */
    readonly http: HttpClient.HttpClient
  }
}

/**
 * The key the fake's client sends and its backend accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const apiKey = "sk-agentbay-test"

// The backend the local runtime runs, over memory: store, sandbox, auth, the
// sessions' rules and the wire handlers, then the router in memory as the
// client's HttpClient.
const backend = (options: Options) =>
  Effect.gen(function*() {
    const sandbox = yield* makeSandbox
    const { faults, vault } = yield* MemoryVault.makeWithFaults
    const tasks = new Map<string, ReadonlyArray<WireContext.ContextTask>>()
    const delay = options.transitionDelay ?? 0
    const runtime = BackendRuntime.layerWith({
      urlLifetime: options.urlLifetime,
      recycleInterval: options.recycleInterval
    })
    const layer = runtime.pipe(
      Layer.provideMerge(BackendSessions.layer({ transitionDelay: delay, deleteDelay: delay, idPrefix: "fake" })),
      Layer.provideMerge(Layer.mergeAll(
        MemoryStore.layer,
        Layer.succeed(BackendSandbox.BackendSandbox, sandbox.service),
        Layer.succeed(BackendVault.BackendVault, vault),
        BackendAuth.layerKeys([apiKey])
      )),
      Layer.provide(Layer.succeed(BackendRuntime.ContextTasks, {
        tasks: (id: string) => Effect.sync(() => tasks.get(id) ?? [])
      }))
    )
    const context = yield* Layer.build(layer)
    const http = yield* Effect.provide(MemoryTransport.make, context)
    return { context, sandbox, tasks, http, vault, faults }
  })

/**
 * Builds a fresh fake: the real `AgentBayClient` over an in-memory backend,
 * and its `Backend` handle.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Context.Context<AgentBayClient.AgentBayClient | Backend>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { context, faults: storage, http, sandbox, tasks, vault } = yield* backend(options)
    const store = Context.get(context, BackendStore.BackendStore)
    const sessions = Context.get(context, BackendSessions.BackendSessions)
    const real = yield* AgentBayClient.make({ apiKey: Redacted.make(apiKey), endpoint: MemoryTransport.endpoint }).pipe(
      Effect.provideService(HttpClient.HttpClient, http),
      Effect.orDie
    )
    const faults = makeQueue<MethodError<Method>>()
    const delays = makeQueue<Duration.Duration>()
    // Appended in place (O(1) per call); readers get a copy.
    const calls: Array<Call> = []

    // Every method is recorded, then delayed and failed as queued, then run.
    // The fault is taken after the delay, so a fault queued meanwhile applies.
    const faulted = <A, E>(method: Method, run: Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        const fault = faults.takeNext(method)
        // `failNext` only accepts errors of this method's type.
        return fault !== undefined ? Effect.fail(fault as E) : run
      })
    const instrument = <A, E>(method: Method, args: ReadonlyArray<unknown>, run: Effect.Effect<A, E>) =>
      Effect.clockWith((clock) => {
        calls.push({ method, at: clock.unsafeCurrentTimeMillis(), args })
        if (delays.size() === 0 && faults.size() === 0) return run
        const delay = delays.takeNext(method)
        return delay === undefined ? faulted(method, run) : Effect.zipRight(Effect.sleep(delay), faulted(method, run))
      })
    // Methods answering an Effect are instrumented; others (a Stream) and plain fields (`regionId`) pass through.
    const client = Object.fromEntries(
      Object.entries(real).map(([method, f]) => [
        method,
        typeof f !== "function" ? f : (...args: ReadonlyArray<unknown>) => {
          const out = (f as (...a: ReadonlyArray<unknown>) => unknown)(...args)
          return Effect.isEffect(out) ? instrument(method as Method, args, out as Effect.Effect<unknown, unknown>) : out
        }
      ])
    ) as unknown as AgentBayClient.AgentBayClient.Service

    // Every stored session as of now (due transitions shown settled; nothing written).
    const all = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return (yield* store.sessionsExcept([])).map((row): SessionState => {
        const state = Lifecycle.settle(BackendSessions.stateOf(row), now)
        return {
          id: row.id,
          status: state.status,
          labels: row.labels as Labels,
          imageId: row.imageId,
          createdAt: row.createdAt,
          pending: state.pending
        }
      })
    })
    const row = (id: string) =>
      Effect.flatMap(
        store.findSession(id),
        (found) =>
          found._tag === "None" ? Effect.dieMessage(`AgentBayTest: no session ${id}`) : Effect.succeed(found.value)
      )
    const recorded = (method?: Method) =>
      Effect.sync((): ReadonlyArray<Call> =>
        method === undefined ? calls.slice() : calls.filter((c) => c.method === method)
      )
    const counted = (method?: Method) =>
      Effect.sync(() => {
        if (method === undefined) return calls.length
        let n = 0
        for (const c of calls) if (c.method === method) n++
        return n
      })
    const toMillis = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))

    const handle = Backend.of({
      sessions: all,
      liveSessions: Effect.map(all, (ss) => ss.filter((s) => !Lifecycle.isGone(s.status))),
      failNext: (method, error, next) => faults.enqueue(method, error as MethodError<Method>, next),
      delayNext: (method, duration, next) => delays.enqueue(method, Duration.decode(duration), next),
      setTransitionDelay: (duration) =>
        sessions.setDelays({ transition: toMillis(duration), delete: toMillis(duration) }),
      calls: recorded,
      callCount: counted,
      setStatus: (id, status) =>
        Effect.gen(function*() {
          const found = yield* row(id)
          const now = yield* Clock.currentTimeMillis
          const current = Lifecycle.settle(BackendSessions.stateOf(found), now)
          yield* store.setState(id, BackendSessions.stateOf(found), { status }, now)
          if (Lifecycle.isGone(status) && !Lifecycle.isGone(current.status)) yield* sandbox.service.destroy(id)
        }),
      setContextTasks: (id, list) => Effect.zipRight(row(id), Effect.sync(() => void tasks.set(id, list))),
      onCommand: sandbox.onCommand,
      files: sandbox.files,
      contextFiles: (contextId) =>
        Effect.map(Effect.orDie(vault.files.walk(contextId, "/")), (files) => files.map((f) => f.path)),
      vault,
      failContextStorage: (operation, next) =>
        next?.times !== undefined && (!Number.isInteger(next.times) || next.times < 1)
          ? Effect.dieMessage(`AgentBayTest: times must be an integer >= 1, got ${next.times}`)
          : storage.failNext(operation, next?.times ?? 1),
      volumes: sandbox.volumes,
      volumeFiles: sandbox.volumeFiles,
      http
    })
    return Context.make(AgentBayClient.AgentBayClient, client).pipe(Context.add(Backend, handle))
  })

/**
 * The real services of `AgentBay.layerWithoutClient` over a fresh fake client,
 * plus its `Backend`. Provide it per test (inside `it.effect`), so that each
 * test gets its own state.
 *
 * @example
 * ```ts
 * import * as AgentBay from "@effect-agentbay/core/AgentBay"
 * import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function*() {
 *   const bay = yield* AgentBay.AgentBay
 *   const backend = yield* AgentBayTest.Backend
 *   // A scoped session: deleted when its scope closes.
 *   const id = yield* Effect.scoped(Effect.map(bay.session({ labels: { team: "docs" } }), (s) => s.id))
 *   assert.deepStrictEqual(yield* backend.liveSessions, []) // nothing leaked
 *   assert.strictEqual(yield* backend.callCount("createMcpSession"), 1)
 *   return id
 * })
 *
 * Effect.runPromise(Effect.provide(program, AgentBayTest.layer()))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<AgentBay.Services | Backend> =>
  AgentBay.layerWithoutClient.pipe(Layer.provideMerge(Layer.scopedContext(make(options))))

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
  // `network` is the same object as `betaNetwork`.
  const network = stubs.betaNetwork ?? stubs.network ??
    missingService<AgentBay.AgentBay.Service["betaNetwork"]>("betaNetwork")
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
      context: missingService("context"),
      betaVolume: missingService("betaVolume"),
      betaNetwork: network,
      network,
      ...stubs
    })
  )
}
