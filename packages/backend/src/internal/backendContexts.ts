// The context actions but the file ones (contextFiles.ts): lookups, changes,
// and what a session does with contexts. Internal: BackendContexts.ts is the
// public surface and builds the `Deps`.
import { InvalidState, NotFound } from "@effect-agentbay/core/AgentBayError"
import type * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { normalize } from "../BackendSandbox.js"
import type { BackendSessions } from "../BackendSessions.js"
import * as BackendSync from "../BackendSync.js"
import type { BackendVault, ContextRow } from "../BackendVault.js"
import type * as KeyedLock from "../KeyedLock.js"
import { afterOf, type Caller, type Entry, hex, invalid, isoTime, on, onWire, pageOf } from "./backendRuntime.js"

export interface Deps {
  readonly vault: BackendVault.Service
  readonly sessions: BackendSessions.Service
  /** Tasks a test staged (`BackendContexts.ContextTasks`). */
  readonly staged: { readonly tasks: (sessionId: string) => Effect.Effect<ReadonlyArray<WireContext.ContextTask>> }
  /** Get-or-create and rename of one name, one at a time per owner. */
  readonly byName: ReturnType<typeof KeyedLock.make>
}

const nameKey = (owner: string, name: string) => JSON.stringify([owner, name])

const data = (row: ContextRow, inUse: boolean): typeof WireContext.ContextData.Type => ({
  Id: row.id,
  Name: row.name,
  State: row.state === "available" && inUse ? "in-use" : row.state,
  CreateTime: isoTime(row.createdAt),
  LastUsedTime: isoTime(row.lastUsedAt),
  OsType: "linux"
})

const reserved = (action: string, name: string) =>
  name.startsWith(BackendSync.reservedPrefix)
    ? Effect.fail(invalid(action, "Name", `names starting with ${BackendSync.reservedPrefix} are reserved`))
    : Effect.void

// The caller's user context (file-transfer contexts are the backend's own).
const userContext = (deps: Deps, owner: string, id: string) =>
  Effect.flatMap(deps.vault.findContext(id, owner), (found) =>
    Option.isSome(found) && found.value.kind === "user"
      ? Effect.succeed(found.value)
      : Effect.fail(new NotFound({ resource: "Context", id })))

const insert = (deps: Deps, owner: string, name: string, kind: ContextRow["kind"]) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const row = {
      id: `ctx-${hex(12)}`,
      owner,
      name,
      state: "available" as const,
      kind,
      createdAt: now,
      lastUsedAt: now
    }
    yield* deps.vault.insertContext(row)
    return { ...row, seq: 0 }
  })

const getByName = (deps: Deps, ctx: Caller, name: string, create: boolean) =>
  deps.byName(nameKey(ctx.owner, name))(Effect.gen(function*() {
    const found = yield* deps.vault.findContextByName(ctx.owner, name)
    if (Option.isSome(found) && found.value.kind === "user") return found.value
    if (!create || Option.isSome(found)) return yield* new NotFound({ resource: "Context", id: name })
    yield* reserved("GetContext", name)
    return yield* insert(deps, ctx.owner, name, "user")
  }))

// The session's contexts (ListContexts with `SessionId`), oldest first.
const sessionContexts = (deps: Deps, ctx: Caller, sessionId: string) =>
  Effect.gen(function*() {
    const session = yield* deps.sessions.get(ctx.owner, sessionId)
    const ids = new Set(BackendSync.entriesOf(session.params).map((e) => e.contextId))
    const found = yield* Effect.forEach([...ids], (id) => deps.vault.findContext(id, ctx.owner))
    return found.flatMap((o) => (Option.isSome(o) && o.value.kind === "user" ? [o.value] : [])).sort((a, b) =>
      a.seq - b.seq
    )
  })

const list = (deps: Deps) => (p: Wire.ParamsOf<typeof WireContext.ListContexts>, ctx: Caller) =>
  Effect.gen(function*() {
    const limit = p.MaxResults ?? 10
    const after = yield* afterOf("ListContexts", p.NextToken)
    const { rows, total } = p.SessionId !== undefined && p.SessionId !== ""
      ? yield* Effect.map(sessionContexts(deps, ctx, p.SessionId), (mine) => ({
        rows: mine.filter((r) => r.seq > after).slice(0, limit + 1),
        total: mine.length
      }))
      : yield* deps.vault.listContexts({ owner: ctx.owner, after, limit: limit + 1 })
    const usage = yield* deps.sessions.usage(ctx.owner)
    const page = pageOf(rows, limit)
    return {
      data: page.rows.map((r) => data(r, usage.contexts.has(r.id))),
      page: { NextToken: page.nextToken, MaxResults: limit, TotalCount: total }
    }
  })

/** GetContext and ListContexts. */
export const lookups = (deps: Deps): ReadonlyArray<Entry> => [
  onWire(WireContext.GetContext, (p, ctx) =>
    Effect.gen(function*() {
      const row = p.Name !== undefined && p.Name !== ""
        ? yield* getByName(deps, ctx, p.Name, p.AllowCreate)
        : p.ContextId !== undefined && p.ContextId !== ""
        ? yield* userContext(deps, ctx.owner, p.ContextId)
        : yield* invalid("GetContext", "Name", "give Name or ContextId")
      const usage = yield* deps.sessions.usage(ctx.owner)
      return { data: data(row, usage.contexts.has(row.id)) }
    })),
  onWire(WireContext.ListContexts, list(deps))
]

// Refused while a live session syncs the context.
const idle = (deps: Deps, owner: string, row: ContextRow, operation: string) =>
  Effect.flatMap(deps.sessions.usage(owner), (u) =>
    u.contexts.has(row.id)
      ? Effect.fail(new InvalidState({ resource: "Context", id: row.id, operation, status: "in-use" }))
      : Effect.void)

/** ModifyContext, DeleteContext and ClearContext. */
export const changes = (deps: Deps): ReadonlyArray<Entry> => [
  on(WireContext.ModifyContext, (p, ctx) =>
    Effect.gen(function*() {
      const row = yield* userContext(deps, ctx.owner, p.Id)
      if (p.Name === row.name) return {}
      yield* reserved("ModifyContext", p.Name)
      return yield* deps.byName(nameKey(ctx.owner, p.Name))(Effect.gen(function*() {
        if (Option.isSome(yield* deps.vault.findContextByName(ctx.owner, p.Name))) {
          return yield* invalid("ModifyContext", "Name", "is the name of another context")
        }
        yield* deps.vault.updateContext(row.id, { name: p.Name })
        return {}
      }))
    })),
  on(WireContext.DeleteContext, (p, ctx) =>
    Effect.gen(function*() {
      const row = yield* userContext(deps, ctx.owner, p.Id)
      yield* idle(deps, ctx.owner, row, "delete")
      yield* deps.vault.deleteContext(row.id)
      return {}
    })),
  // The wipe finishes before the reply: the client's poll sees `available` at once.
  on(WireContext.ClearContext, (p, ctx) =>
    Effect.gen(function*() {
      const row = yield* userContext(deps, ctx.owner, p.Id)
      yield* idle(deps, ctx.owner, row, "clear")
      yield* deps.vault.updateContext(row.id, { state: "clearing" })
      yield* deps.vault.files.clear(row.id).pipe(
        Effect.ensuring(deps.vault.updateContext(row.id, { state: "available" }))
      )
      return {}
    }))
]

type TaskFilter = Wire.ParamsOf<typeof WireContext.GetContextInfo>

const matches = (p: TaskFilter) => (t: WireContext.ContextTask) =>
  (p.ContextId === undefined || p.ContextId === "" || t.contextId === p.ContextId) &&
  (p.Path === undefined || p.Path === "" || t.path === p.Path || t.path === normalize(p.Path)) &&
  (p.TaskType === undefined || p.TaskType === "" || t.taskType === p.TaskType)

const seconds = (millis: number) => Math.floor(millis / 1000)

// The session's own tasks (times in Unix seconds), then the staged ones, filtered.
const info = (deps: Deps) => (p: TaskFilter, ctx: Caller) =>
  Effect.gen(function*() {
    const session = yield* deps.sessions.get(ctx.owner, p.SessionId)
    const own = (yield* deps.vault.tasks(session.id)).map((t): WireContext.ContextTask => ({
      contextId: t.contextId,
      path: t.path,
      status: t.status,
      taskType: t.taskType,
      startTime: seconds(t.startTime),
      ...(t.finishTime === null ? {} : { finishTime: seconds(t.finishTime) }),
      errorMessage: t.errorMessage
    }))
    const tasks = [...own, ...(yield* deps.staged.tasks(session.id))].filter(matches(p))
    return { data: { ContextStatus: WireContext.encodeTasks(tasks) } }
  })

/** GetAndLoadInternalContext, SyncContext and GetContextInfo. */
export const sessionActions = (deps: Deps): ReadonlyArray<Entry> => [
  on(WireContext.GetAndLoadInternalContext, (p, ctx) =>
    Effect.gen(function*() {
      const session = yield* deps.sessions.getLive(ctx.owner, p.SessionId, "loadInternalContext")
      const name = BackendSync.fileTransferName(session.id)
      const row = yield* deps.byName(nameKey(ctx.owner, name))(
        Effect.flatMap(deps.vault.findContextByName(ctx.owner, name), (found) =>
          Option.isSome(found) ? Effect.succeed(found.value) : insert(deps, ctx.owner, name, "file_transfer"))
      )
      return { data: [{ ContextId: row.id, ContextPath: BackendSync.fileTransferPath, ContextType: "file_transfer" }] }
    })),
  // No Mode: an upload (what `delete(syncContext)` expects, spec: wire-protocol.md §6.2).
  on(WireContext.SyncContext, (p, ctx) =>
    Effect.as(
      deps.sessions.syncContexts(ctx.owner, p.SessionId, {
        contextId: p.ContextId || undefined,
        path: p.Path || undefined,
        mode: p.Mode ?? "upload"
      }),
      {}
    )),
  on(WireContext.GetContextInfo, info(deps))
]
