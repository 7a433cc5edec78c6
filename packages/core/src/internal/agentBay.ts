// The AgentBay service's operations over an AgentBayClient, and the Session
// values it hands out (their bound operations and tool groups). Internal: the
// public surface is AgentBay.ts; this file keeps the logic in one readable place.
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

import type * as AgentBay from "../AgentBay.js"
import type { AgentBayClient } from "../AgentBayClient.js"
import type * as AgentBayCode from "../AgentBayCode.js"
import type * as AgentBayCommand from "../AgentBayCommand.js"
import type * as AgentBayContext from "../AgentBayContext.js"
import { ApiError, InvalidState, ValidationError } from "../AgentBayError.js"
import type * as AgentBayFileSystem from "../AgentBayFileSystem.js"
import type * as AgentBayMcp from "../AgentBayMcp.js"
import * as Lifecycle from "../Lifecycle.js"
import { type Bound, idOf, Labels, type Session, SessionRecord, type SessionRef } from "../Session.js"
import type { SessionStatus } from "../SessionStatus.js"
import * as Wire from "../Wire.js"
import * as Observe from "./agentBayMetrics.js"
import { paginate } from "./paginate.js"
import { pollUntil, resolveWait } from "./poll.js"
import * as Reap from "./reap.js"
import * as Release from "./release.js"
import * as SyncTasks from "./syncTasks.js"

/** How long a pause/resume may still show the old state before that counts as a failure. */
const grace = Duration.seconds(10)

const fail = (operation: string, field: string, reason: string) =>
  Effect.fail(new ValidationError({ operation, field, reason }))

const checkId = (operation: string, ref: SessionRef) => {
  const id = idOf(ref)
  return typeof id === "string" && id.trim() !== ""
    ? Effect.succeed(id)
    : fail(operation, "sessionId", "must be non-blank")
}

const decodeLabels = Schema.decodeUnknownEither(Labels)

const checkLabels = (operation: string, labels: unknown, options?: { readonly nonEmpty?: boolean }) => {
  if (labels === undefined) return Effect.void
  const decoded = decodeLabels(labels)
  if (Either.isLeft(decoded)) {
    // A limit (count, key or value length) says which; a wrong type gets the general rule.
    const [issue] = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
    const reason = issue !== undefined && issue.path.length === 0 && issue._tag === "Refinement"
      ? issue.message
      : "must map non-blank strings to non-blank strings"
    return fail(operation, "labels", reason)
  }
  return options?.nonEmpty && Object.keys(decoded.right).length === 0
    ? fail(operation, "labels", "must not be empty")
    : Effect.void
}

const checkSize = (operation: string, field: string, value: number | undefined) =>
  value === undefined || Schema.is(Wire.PageSize)(value)
    ? Effect.void
    : fail(operation, field, "must be an integer in 1..100")

/** The tool services a session offers bound (`session.filesystem`, ...). */
export interface Tools {
  readonly filesystem: AgentBayFileSystem.AgentBayFileSystem.Service
  readonly command: AgentBayCommand.AgentBayCommand.Service
  readonly code: AgentBayCode.AgentBayCode.Service
  readonly mcp: AgentBayMcp.AgentBayMcp.Service
  readonly context: AgentBayContext.SessionSyncs
}

/** `service` with its first argument (the session) bound. */
const bindTo = <S extends object>(service: S, session: Session): Bound<S> => {
  const out: Record<string, unknown> = {}
  for (const [name, f] of Object.entries(service)) {
    if (typeof f === "function") out[name] = (...args: ReadonlyArray<unknown>) => f(session, ...args)
  }
  return out as Bound<S>
}

type Groups = Pick<Session, keyof Tools>
type Operations = Omit<Session, keyof SessionRecord | keyof Tools>

/**
 * Turns records into Sessions. A session is a record whose prototype (built once
 * per service) carries the operations, addressed by `this.id`: they are not own
 * properties, so logging, comparing or spreading a session shows only its data,
 * and binding is cheap. The tool groups are getters that bind their service to
 * the session on first use (kept as a non-enumerable own property).
 */
const sessionBinder = (client: AgentBayClient.Service, tools: Tools): (record: SessionRecord) => Session => {
  const span = (name: string, id: string) =>
    Effect.withSpan(`Session.${name}`, { attributes: { "agentbay.session_id": id } })
  const operations: Operations & ThisType<Session> = {
    setLabels(labels) {
      return Effect.zipRight(checkLabels("setLabels", labels, { nonEmpty: true }), client.setLabel(this.id, labels))
        .pipe(
          span("setLabels", this.id)
        )
    },
    getLabels() {
      return client.getLabel(this.id).pipe(span("getLabels", this.id))
    },
    info() {
      return client.getMcpResource(this.id).pipe(span("info", this.id))
    },
    getLink(options) {
      return client.getLink(this.id, options).pipe(span("getLink", this.id))
    },
    getStatus() {
      return client.getSessionDetail(this.id).pipe(span("getStatus", this.id))
    },
    refresh() {
      return Effect.map(client.getSession(this.id), bind)
    },
    getMetrics() {
      return tools.mcp.getMetrics(this)
    }
  }
  const proto = Object.create(SessionRecord.prototype)
  for (const [name, value] of Object.entries(operations)) {
    Object.defineProperty(proto, name, { value, enumerable: false, writable: false })
  }
  for (const name of Object.keys(tools) as ReadonlyArray<keyof Groups>) {
    Object.defineProperty(proto, name, {
      enumerable: false,
      get(this: Session) {
        const group = bindTo(tools[name], this)
        Object.defineProperty(this, name, { value: group, enumerable: false, writable: false })
        return group
      }
    })
  }
  const bind = (record: SessionRecord): Session => Object.assign(Object.create(proto), record)
  return bind
}

export const make = (
  client: AgentBayClient.Service,
  waits: AgentBay.Waits,
  tools: Tools,
  owner: Reap.Owner
): Omit<AgentBay.AgentBay.Service, AgentBay.ResourceServices> => {
  const bind = sessionBinder(client, tools)
  // Permits of `maxSessions`: taken by a create, given back when this service
  // sees the session gone (its delete or release, a reap, a get).
  const limit = Reap.makeLimit(owner.maxSessions)

  const get = (ref: SessionRef) =>
    Effect.flatMap(checkId("get", ref), (id) =>
      client.getSession(id).pipe(
        Effect.tap((s) => Lifecycle.isGone(s.status) ? limit.release(id) : Effect.void),
        Effect.tapErrorTag("NotFound", () => limit.release(id)),
        Effect.map(bind),
        Effect.withSpan("AgentBay.get", { attributes: { "agentbay.session_id": id } })
      ))

  // Waits until every sync task of the session in `direction` is terminal
  // (Success/Failed); any Failed one fails the wait with the tasks' messages.
  // Only that direction counts: the session's other tasks (the create's
  // download, an earlier upload) say nothing about this sync.
  const awaitSync = (
    id: string,
    direction: "upload" | "download",
    timeout: Duration.DurationInput | undefined,
    operation: string,
    field: string
  ) =>
    Effect.flatMap(
      resolveWait(operation, { timeout }, waits.contextSync, field),
      (wait) =>
        SyncTasks.awaitTasks(client.getContextInfo({ sessionId: id }), {
          span: "AgentBay.waitForContextSync",
          sessionId: id,
          target: "context sync",
          operation,
          wait,
          relevant: (t) => t.taskType === direction,
          outcome: SyncTasks.strict
        })
    )

  // Upload every context of the session and wait until each task is terminal.
  const syncBeforeDelete = (id: string, options: AgentBay.DeleteOptions) =>
    // No Mode, as the official SDK sends it: the server syncs every context of the session.
    Effect.zipRight(
      client.syncContext({ sessionId: id }),
      awaitSync(id, "upload", options.syncTimeout, "SyncContext", "syncTimeout")
    ).pipe(Effect.withSpan("AgentBay.syncContext", { attributes: { "agentbay.session_id": id } }))

  // The delete's wait, with its sync's timeout checked too.
  const deleteWait = (operation: string, options: AgentBay.DeleteOptions) =>
    Effect.tap(
      resolveWait(operation, options, waits.delete),
      () =>
        options.syncTimeout === undefined
          ? Effect.void
          : resolveWait(operation, { timeout: options.syncTimeout }, {}, "sync")
    )

  const del = (ref: SessionRef, options: AgentBay.DeleteOptions = {}) =>
    Effect.gen(function*() {
      const id = yield* checkId("delete", ref)
      const wait = yield* deleteWait("delete", options)
      yield* Effect.annotateCurrentSpan("agentbay.session_id", id)
      if (options.syncContext) yield* Effect.catchTag(syncBeforeDelete(id, options), "NotFound", () => Effect.void)
      // Gone = not found, or FINISH/DELETED (the official SDK accepts only FINISH).
      const probe = client.getSessionDetail(id).pipe(
        Effect.map((d): SessionStatus => d.status),
        Effect.catchTag("NotFound", () => Effect.succeed<SessionStatus>("DELETED"))
      )
      const submitted = yield* client.deleteSessionAsync(id).pipe(
        Effect.as(true),
        Effect.catchTag("NotFound", () => Effect.succeed(false)),
        // Our backends accept deleting a deleted session (Lifecycle.decide); a server
        // that refuses it instead still leaves nothing to do: gone counts as deleted.
        Effect.catchTag("InvalidState", (e) =>
          Effect.flatMap(probe, (status) => Lifecycle.isGone(status) ? Effect.succeed(false) : Effect.fail(e)))
      )
      if (submitted) {
        yield* pollUntil(probe, {
          span: "AgentBay.waitUntilGone",
          id,
          target: "FINISH",
          done: Lifecycle.isGone,
          wait,
          lastStatus: (status) =>
            status
        })
        yield* Observe.deleted
      }
      yield* limit.release(id)
    }).pipe(Effect.withSpan("AgentBay.delete"))

  // With contextSync, create also waits for the initial download of the contexts
  // and reports its outcome (the official SDK waits, then reports success anyway).
  // A failed or timed-out wait, or an interruption, deletes the new session first:
  // a failed create leaves nothing behind.
  // Without a permit of the cap: `create` and `session` take one around it.
  const createUnlimited = (options: AgentBay.CreateOptions) =>
    Effect.gen(function*() {
      yield* checkLabels("create", options.labels)
      const { contextSyncTimeout, ttl, waitForContextSync, ...params } = options
      const labels = yield* Reap.labelsFor(owner, options.labels, ttl)
      if (contextSyncTimeout !== undefined) {
        yield* resolveWait("create", { timeout: contextSyncTimeout }, {}, "contextSync")
      }
      const record = yield* client.createMcpSession(labels === undefined ? params : { ...params, labels })
      yield* Observe.created
      yield* Effect.annotateCurrentSpan("agentbay.session_id", record.id)
      if ((options.contextSync?.length ?? 0) > 0 && waitForContextSync !== false) {
        yield* awaitSync(record.id, "download", contextSyncTimeout, "CreateMcpSession", "contextSync").pipe(
          Effect.catchTag("NotFound", (e) =>
            Effect.fail(
              new ApiError({
                action: "CreateMcpSession",
                code: Wire.Code.SessionNotFound,
                description: "the new session disappeared during its initial context sync",
                requestId: e.requestId
              })
            )),
          // (The cleanup of `onError` runs uninterruptibly: `ownFiber`, so the delete's wait can time out.)
          Effect.onError(() =>
            Release.ownFiber(del(record.id)).pipe(
              Effect.catchAllCause((cause) =>
                Observe.leaked(`AgentBay: could not delete session ${record.id} after a failed create`, cause)
              )
            )
          )
        )
      }
      return bind(record)
    }).pipe(Effect.withSpan("AgentBay.create"))

  const create = (options: AgentBay.CreateOptions = {}) => limit.admit(createUnlimited(options))

  const transition = (operation: "pause" | "resume") => {
    const t = Lifecycle.transitions[operation]
    const submit = operation === "pause" ? client.pauseSessionAsync : client.resumeSessionAsync
    const [from] = t.from
    return (ref: SessionRef, options: AgentBay.WaitOptions = {}) =>
      Effect.gen(function*() {
        const id = yield* checkId(operation, ref)
        const wait = yield* resolveWait(operation, options, waits.transition)
        yield* Effect.annotateCurrentSpan("agentbay.session_id", id)
        // Judge by the current state, not by a record the caller may hold.
        const current = yield* client.getSession(id)
        if (!Lifecycle.canStart(operation, current.status)) {
          return yield* new InvalidState({ resource: "Session", id, operation, status: current.status })
        }
        yield* submit(id)
        // Keep polling while in transit; tolerate the old state for a short grace
        // period (a server may show it briefly); anything else ends the wait.
        const last = yield* pollUntil(client.getSession(id), {
          span: "AgentBay.waitForStatus",
          id,
          target: t.to,
          done: (s, elapsed) => !(s.status === t.via || (s.status === from && Duration.lessThan(elapsed, grace))),
          wait,
          lastStatus: (s) => s.status
        })
        if (last.status !== t.to) {
          return yield* new InvalidState({
            resource: "Session",
            id,
            operation,
            status: last.status,
            requestId: last.requestId
          })
        }
        return bind(last)
      }).pipe(Effect.withSpan(`AgentBay.${operation === "pause" ? "betaPauseAsync" : "betaResumeAsync"}`))
  }

  const listChecks = (operation: string, labels: unknown, size: number | undefined, sizeField: string) =>
    Effect.zipRight(checkLabels(operation, labels), checkSize(operation, sizeField, size))

  const listPage = (options: AgentBay.ListPageOptions = {}) =>
    Effect.gen(function*() {
      yield* listChecks("listPage", options.labels, options.limit, "limit")
      const page = options.page ?? 1
      if (!Number.isInteger(page) || page < 1) return yield* fail("listPage", "page", "must be an integer >= 1")
      if (options.page !== undefined && options.nextToken !== undefined) {
        return yield* fail("listPage", "nextToken", "cannot be combined with page")
      }
      const params = { labels: options.labels, status: options.status, maxResults: options.limit ?? 10 }
      let token = options.nextToken
      for (let n = 1; n < page; n++) {
        const walked = yield* client.listSession({ ...params, nextToken: token })
        if (walked.nextToken === undefined) {
          return yield* fail("listPage", "page", `page ${page} is past the last page (${n})`)
        }
        token = walked.nextToken
      }
      const result = yield* client.listSession({ ...params, nextToken: token })
      return {
        sessions: result.sessions.map(bind),
        page,
        nextToken: result.nextToken,
        maxResults: result.maxResults ?? params.maxResults,
        totalCount: result.totalCount,
        requestId: result.requestId
      }
    }).pipe(Effect.withSpan("AgentBay.listPage"))

  const list = (options: AgentBay.ListOptions = {}) =>
    Stream.unwrap(
      Effect.as(
        listChecks("list", options.labels, options.pageSize, "pageSize"),
        paginate((nextToken) =>
          Effect.map(
            client.listSession({
              labels: options.labels,
              status: options.status,
              maxResults: options.pageSize ?? 10,
              nextToken
            }),
            (page) => ({ items: page.sessions.map(bind), nextToken: page.nextToken })
          )
        )
      )
    ).pipe(Stream.withSpan("AgentBay.list"))

  const release = Release.make({ client, limit, syncBeforeDelete, del })

  const session = (options: AgentBay.SessionOptions = {}) => {
    const { release: releaseOptions = {}, ...createOptions } = options
    // The release's options are checked before anything is created. The permit
    // is waited for outside the (uninterruptible) acquire, so the wait can be interrupted.
    return Effect.zipRight(
      deleteWait("session", releaseOptions),
      limit.admit(
        Effect.acquireRelease(Release.ownFiber(createUnlimited(createOptions)), (s) => release(s.id, releaseOptions))
      )
    )
  }

  // Each session's release goes to a child scope whose finalizers run in
  // parallel; the child closes with the caller's scope (or at once, if a
  // creation fails, releasing what was already created).
  const sessions = (spec: number | ReadonlyArray<AgentBay.SessionOptions>, options: AgentBay.SessionsOptions = {}) =>
    Effect.gen(function*() {
      const concurrency = options.concurrency ?? 5
      if (!Number.isInteger(concurrency) || concurrency < 1) {
        return yield* fail("sessions", "concurrency", "must be an integer >= 1")
      }
      if (typeof spec === "number" && (!Number.isInteger(spec) || spec < 0)) {
        return yield* fail("sessions", "count", "must be an integer >= 0")
      }
      const all = typeof spec === "number" ? Array.from({ length: spec }, () => ({})) : spec
      // More than the cap could never all be held at once: waiting would never end.
      if (owner.maxSessions !== undefined && all.length > owner.maxSessions) {
        return yield* fail("sessions", "count", `must be at most maxSessions (${owner.maxSessions})`)
      }
      const parent = yield* Effect.scope
      const child = yield* Scope.fork(parent, ExecutionStrategy.parallel)
      return yield* Effect.forEach(all, (o) => Scope.extend(session(o), child), { concurrency }).pipe(
        Effect.onError((cause) => Scope.close(child, Exit.failCause(cause)))
      )
    }).pipe(Effect.withSpan("AgentBay.sessions"))

  return {
    create,
    session,
    sessions,
    get,
    list,
    listPage,
    delete: del,
    betaPauseAsync: transition("pause"),
    betaResumeAsync: transition("resume")
  }
}
