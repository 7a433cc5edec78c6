// The session and tool actions (`WireSession`) over BackendSessions and the
// sandbox's tools. Internal: BackendRuntime.ts merges them with the context,
// volume and network handlers.
import { InvalidState } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { BackendSandbox } from "../BackendSandbox.js"
import { BackendSessions } from "../BackendSessions.js"
import type { SessionRow } from "../BackendStore.js"
import * as BackendTools from "../BackendTools.js"
import { afterOf, type Caller, type Entry, hex, none, on, onWire, pageOf } from "./backendRuntime.js"

const urls = (host: string, id: string) => ({
  resource: `http://${host}/resource/${id}`,
  link: `http://${host}/link/${id}`
})

// The constant catalogue as `ToolList` JSON text, encoded once at start-up: it
// is 6,483 of GetSession's 6,950 envelope bytes, and re-encoding it on every
// GetSession and CreateMcpSession was most of their Schema cost (BENCHMARKS.md §3a).
const toolListText: string = Schema.encodeSync(WireSession.ToolListJson)(BackendTools.catalogue)

// `ToolList` is the tool -> server mapping; without a LinkUrl the official
// client keeps every tool call on CallMcpTool (spec: semantics.md §3.7).
const createdData = (
  row: SessionRow,
  host: string
): Schema.Schema.Encoded<typeof WireSession.CreateMcpSession.data> => ({
  SessionId: row.id,
  Success: true,
  ResourceUrl: urls(host, row.id).resource,
  Token: row.token,
  AppInstanceId: `ai-${row.id}`,
  ResourceId: `res-${row.id}`,
  HttpPort: "",
  NetworkInterfaceIp: "",
  VpcResource: false,
  ToolList: toolListText
})

// The same fields with `Status` second, in the order of GetSession's schema (the JSON bytes follow it).
const sessionData = (row: SessionRow, host: string): Schema.Schema.Encoded<typeof WireSession.GetSession.data> => {
  const { SessionId, ...rest } = createdData(row, host)
  return { SessionId, Status: row.status, ...rest }
}

export const handlers: Effect.Effect<ReadonlyArray<Entry>, never, BackendSessions | BackendSandbox> = Effect.gen(
  function*() {
    const sessions = yield* BackendSessions
    const sandbox = yield* BackendSandbox
    const tools = yield* BackendTools.makeToolState({ diskTotal: sandbox.diskTotal })

    const transition = (operation: Lifecycle.Operation) => (p: { readonly SessionId: string }, ctx: Caller) =>
      sessions.transition(ctx.owner, p.SessionId, operation).pipe(
        Effect.tap(() => operation === "delete" ? BackendTools.forget(tools, p.SessionId) : Effect.void),
        Effect.as(none<unknown>())
      )

    // Tools run in RUNNING sessions only: a paused (or pausing, resuming,
    // deleted) session refuses work with the invalid-state error.
    const callTool = (p: { readonly SessionId: string; readonly Name: string; readonly Args: unknown }, ctx: Caller) =>
      Effect.gen(function*() {
        const row = yield* sessions.get(ctx.owner, p.SessionId)
        if (row.status !== "RUNNING") {
          return yield* new InvalidState({
            resource: "Session",
            id: row.id,
            operation: `run ${p.Name} in`,
            status: row.status
          })
        }
        return { data: yield* BackendTools.call(sandbox, tools, row.id, p.Name, p.Args) }
      })

    return [
      onWire(
        WireSession.CreateMcpSession,
        ({ ImageId, Labels, ...rest }, ctx) =>
          sessions.create({ owner: ctx.owner, imageId: ImageId, labels: Labels ?? {}, params: rest }).pipe(
            Effect.map((row) => ({ data: createdData(row, ctx.host) }))
          )
      ),
      onWire(
        WireSession.GetSession,
        (p, ctx) => Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({ data: sessionData(row, ctx.host) }))
      ),
      onWire(WireSession.GetSessionDetail, (p, ctx) =>
        Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({
          data: {
            Status: Lifecycle.detailStatus(row.status),
            AppInstanceId: `ai-${row.id}`,
            ImageId: row.imageId,
            RegionId: "local"
          }
        }))),
      onWire(WireSession.ListSession, (p, ctx) =>
        Effect.gen(function*() {
          const limit = p.MaxResults ?? 10
          const page = yield* sessions.list({
            owner: ctx.owner,
            labels: p.Labels ?? {},
            status: p.Status,
            after: yield* afterOf("ListSession", p.NextToken),
            limit: limit + 1
          })
          const { nextToken, rows } = pageOf(page.rows, limit)
          return {
            data: rows.map((r) => ({ SessionId: r.id, SessionStatus: r.status })),
            page: { NextToken: nextToken, MaxResults: limit, TotalCount: page.total }
          }
        })),
      on(WireSession.DeleteSessionAsync, transition("delete")),
      on(WireSession.PauseSessionAsync, transition("pause")),
      on(WireSession.ResumeSessionAsync, transition("resume")),
      on(
        WireSession.ReleaseMcpSession,
        (p, ctx) =>
          Effect.as(sessions.transition(ctx.owner, p.SessionId, "delete", { immediate: true }), none<unknown>())
      ),
      on(WireSession.CallMcpTool, callTool),
      onWire(WireSession.ListMcpTools, () => Effect.succeed({ data: toolListText })),
      on(
        WireSession.SetLabel,
        (p, ctx) => Effect.as(sessions.setLabels(ctx.owner, p.SessionId, p.Labels), none<unknown>())
      ),
      on(
        WireSession.GetLabel,
        (p, ctx) => Effect.map(sessions.get(ctx.owner, p.SessionId), (row) => ({ data: { Labels: row.labels } }))
      ),
      on(WireSession.GetLink, (p, ctx) =>
        Effect.map(sessions.getLive(ctx.owner, p.SessionId, "getLink"), (row) => ({
          data: { Url: `${urls(ctx.host, row.id).link}${p.Port === undefined ? "" : `/port/${p.Port}`}` }
        }))),
      on(
        WireSession.GetMcpResource,
        (p, ctx) =>
          Effect.map(sessions.getLive(ctx.owner, p.SessionId, "info"), (row) => ({
            data: {
              SessionId: row.id,
              ResourceUrl: urls(ctx.host, row.id).resource,
              DesktopInfo: {
                AppId: `ai-${row.id}`,
                AuthCode: hex(8),
                ConnectionProperties: "",
                ResourceId: `res-${row.id}`,
                ResourceType: "",
                Ticket: ""
              }
            }
          }))
      )
    ]
  }
)
