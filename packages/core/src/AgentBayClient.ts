/**
 * The wire client: one typed method per API action, typed errors, no waiting.
 * Every method is a one-liner over its action's declaration (`WireSession`,
 * `WireContext`): the generic call encodes, sends, decodes, maps the declared
 * error codes and retries idempotent actions; the method maps `Data` to our
 * record. The only module of core that imports `@effect/platform` (spec:
 * wire-protocol.md §1-2, §4).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type * as AgentBayConfig from "./AgentBayConfig.js"
import {
  ApiError,
  type CommonError,
  DecodeError,
  type InvalidState,
  type NotFound,
  ValidationError
} from "./AgentBayError.js"
import * as Internal from "./internal/agentBayClient.js"
import * as Records from "./internal/records.js"
import * as Rpc from "./internal/rpc.js"
import type * as McpTool from "./McpTool.js"
import type { Labels, LinkOptions, ResourceInfo, SessionDetail, SessionRecord, ToolInfo } from "./Session.js"
import type { ListStatus } from "./SessionStatus.js"
import * as SyncPolicy from "./SyncPolicy.js"
import * as Wire from "./Wire.js"
import * as WireContext from "./WireContext.js"
import * as WireSession from "./WireSession.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayClient extends Context.Tag("@effect-agentbay/core/AgentBayClient")<
  AgentBayClient,
  AgentBayClient.Service
>() {}

/**
 * A context to mount into a new session, and how to sync it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextSync {
  readonly contextId: string
  /** Absolute path inside the sandbox. */
  readonly path: string
  /**
   * Sync policy (spec: semantics.md §4.4). Checked before anything is sent
   * (`SyncPolicy.validate`), sent as JSON text in the official key order.
   */
  readonly policy?: SyncPolicy.SyncPolicy | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CreateParams {
  readonly labels?: Labels | undefined
  readonly imageId?: string | undefined
  readonly policyId?: string | undefined
  readonly contextSync?: ReadonlyArray<ContextSync> | undefined
  readonly extraConfigs?: Readonly<Record<string, unknown>> | undefined
  readonly networkId?: string | undefined
  /** Sent as `VolumeId` (the official TypeScript SDK drops it). */
  readonly volumeId?: string | undefined
  /** Sent as `EnableRecord` with the value chosen, when given. */
  readonly enableBrowserReplay?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListParams {
  readonly labels?: Labels | undefined
  readonly status?: ListStatus | undefined
  readonly maxResults?: number | undefined
  readonly nextToken?: string | undefined
}

/**
 * One page of ListSession. `maxResults` and `totalCount` are what the server said.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionPage {
  readonly sessions: ReadonlyArray<SessionRecord>
  readonly nextToken: string | undefined
  readonly maxResults: number | undefined
  readonly totalCount: number | undefined
  readonly requestId: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SyncParams {
  readonly sessionId: string
  readonly contextId?: string | undefined
  readonly path?: string | undefined
  readonly mode?: "upload" | "download" | undefined
  /** GetContextInfo only: the tasks of this type. */
  readonly taskType?: "upload" | "download" | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayClient {
  /**
   * One method per action. Which codes become which typed error is declared
   * with the action: id-addressed calls map the not-found code to `NotFound`;
   * pause/resume/delete map the invalid-status code to `InvalidState`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Any declared action (`WireContext`, `WireVolume`, `WireNetwork`, ...):
     * encodes its params, sends, decodes its `Data` and maps its declared error
     * codes. The context, volume and network services are built on it.
     */
    readonly call: Internal.Caller["call"]
    /**
     * The configured region, if any: actions that carry `LoginRegionId` send it
     * (CreateMcpSession, GetContext when creating, CreateNetwork).
     */
    readonly regionId: string | undefined
    readonly createMcpSession: (params: CreateParams) => Effect.Effect<SessionRecord, CommonError | ValidationError>
    readonly getSession: (sessionId: string) => Effect.Effect<SessionRecord, CommonError | NotFound | ValidationError>
    readonly getSessionDetail: (
      sessionId: string
    ) => Effect.Effect<SessionDetail, CommonError | NotFound | ValidationError>
    readonly listSession: (params: ListParams) => Effect.Effect<SessionPage, CommonError | ValidationError>
    readonly deleteSessionAsync: (
      sessionId: string
    ) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly pauseSessionAsync: (
      sessionId: string
    ) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly resumeSessionAsync: (
      sessionId: string
    ) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly setLabel: (
      sessionId: string,
      labels: Labels
    ) => Effect.Effect<void, CommonError | NotFound | ValidationError>
    readonly getLabel: (sessionId: string) => Effect.Effect<Labels, CommonError | NotFound | ValidationError>
    readonly getMcpResource: (
      sessionId: string
    ) => Effect.Effect<ResourceInfo, CommonError | NotFound | ValidationError>
    readonly getLink: (
      sessionId: string,
      options?: LinkOptions
    ) => Effect.Effect<string, CommonError | NotFound | ValidationError>
    readonly syncContext: (
      params: SyncParams
    ) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly getContextInfo: (
      params: SyncParams
    ) => Effect.Effect<ReadonlyArray<WireContext.ContextTask>, CommonError | NotFound | ValidationError>
    /**
     * Runs one MCP tool: `args` go as the JSON text `Args`. The envelope is
     * checked before `Data` (an API error is never hidden behind a missing
     * result); a result with `isError` is still a result here.
     */
    readonly callMcpTool: (
      sessionId: string,
      name: string,
      args: Readonly<Record<string, unknown>>,
      options?: CallMcpToolOptions
    ) => Effect.Effect<McpTool.McpResult, CommonError | NotFound | InvalidState | ValidationError>
    /** The tool catalogue of an image (default `linux_latest`). */
    readonly listMcpTools: (imageId?: string) => Effect.Effect<ReadonlyArray<ToolInfo>, CommonError | ValidationError>
    /**
     * `PUT`s `body` to a pre-signed URL (a context file's upload URL): no key,
     * no content-type, `content-length` for bytes or when `options.contentLength`
     * is given (a stream without it goes chunked, which some stores refuse). A
     * stream body is pulled as the connection takes it, never held whole.
     * 200/201/204 succeed; 401/403 (an expired or forged URL) is `AuthError`,
     * any other status `TransportError` (`HttpStatus`); a failure of the body
     * stream is that failure. Not bounded by the client's timeout (its time
     * grows with the body): interrupt it to stop it. The URL is a bearer
     * credential: it is never traced, logged or put in an error.
     */
    readonly putUrl: <E = never>(
      url: Redacted.Redacted<string>,
      body: Uint8Array | Stream.Stream<Uint8Array, E>,
      options?: PutUrlOptions
    ) => Effect.Effect<void, CommonError | E>
    /**
     * `GET`s a pre-signed URL (a context file's download URL): succeeds once a
     * 200 head has come (within the client's timeout) with the body as a
     * stream, read as the consumer pulls; run it to the end (or stop it) to
     * free the connection. 401/403 is `AuthError`, any other status
     * `TransportError` (`HttpStatus`). The URL is never traced, logged or put
     * in an error.
     */
    readonly getUrl: (
      url: Redacted.Redacted<string>
    ) => Effect.Effect<Stream.Stream<Uint8Array, CommonError>, CommonError>
  }
}

/**
 * Options of `callMcpTool`.
 *
 * @since 0.1.0
 * @category options
 */
export interface CallMcpToolOptions {
  /** The tool's server from the session's `ToolList`; `""` (the default) lets the server resolve it by name. */
  readonly server?: string | undefined
  /**
   * Bound on the HTTP attempt instead of the client's timeout: a tool that runs
   * for a while (a command, code) passes its own timeout plus a margin.
   */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Options of `putUrl`.
 *
 * @since 0.1.0
 * @category options
 */
export interface PutUrlOptions {
  /** The byte count of a stream body, sent as `content-length`. */
  readonly contentLength?: number | undefined
}

/**
 * What one successful call yields: the decoded `Data` and the envelope around it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reply<D> {
  readonly data: D
  readonly envelope: Wire.Envelope
}

/**
 * The image `listMcpTools` asks about when none is given (the official SDK's fallback).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultImageId = "linux_latest"

// A duration for a per-call timeout: positive, or ValidationError.
const callTimeout = (operation: string, input: Duration.DurationInput | undefined) => {
  if (input === undefined) return Effect.succeed(undefined)
  const d = Duration.decodeUnknown(input)
  return Option.isSome(d) && Duration.greaterThan(d.value, Duration.zero)
    ? Effect.succeed(d.value)
    : Effect.fail(new ValidationError({ operation, field: "timeout", reason: "must be a positive duration" }))
}

// `PersistenceDataList`: each policy checked (a ValidationError names it by its
// index, e.g. `contextSync.0.policy.bwList.whiteLists.0.path`) and put in the
// official key order; an item without a policy has no `Policy`.
const persistence = (list: ReadonlyArray<ContextSync> | undefined) =>
  list === undefined ? Effect.succeed(undefined) : Effect.forEach(list, (c, i) =>
    Effect.map(
      c.policy === undefined
        ? Effect.succeed(undefined)
        : SyncPolicy.validate(c.policy, { operation: "create", field: `contextSync.${i}.policy` }),
      (policy) => ({ ContextId: c.contextId, Path: c.path, Policy: policy && SyncPolicy.toWire(policy) })
    ))

/**
 * Builds the client from options and an `HttpClient`. Invalid options are a
 * `ValidationError` here, before any request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: AgentBayConfig.Options) {
  const { call, getUrl, putUrl } = yield* Internal.make(options)
  const bySession = (id: string) => ({ SessionId: id })

  return AgentBayClient.of({
    call,
    regionId: options.regionId || undefined,
    putUrl,
    getUrl,
    createMcpSession: (p) =>
      Effect.flatMap(
        Effect.flatMap(persistence(p.contextSync), (list) =>
          call(WireSession.CreateMcpSession, {
            ImageId: p.imageId,
            Labels: p.labels,
            McpPolicyId: p.policyId,
            NetworkId: p.networkId,
            VolumeId: p.volumeId,
            PersistenceDataList: list,
            ExtraConfigs: p.extraConfigs,
            EnableRecord: p.enableBrowserReplay,
            SdkStats: Wire.sdkStats,
            LoginRegionId: options.regionId || undefined
          })),
        ({ data, envelope }) =>
          data.Success === false
            ? Effect.fail(
              new ApiError({
                action: "CreateMcpSession",
                code: "CreateFailed",
                description: data.ErrMsg ?? "the server did not create the session",
                requestId: envelope.RequestId
              })
            )
            : Effect.succeed(Records.fromCreate(data, p, envelope.RequestId))
      ),
    getSession: (id) =>
      Effect.map(call(WireSession.GetSession, bySession(id)), (r) => Records.fromGet(r.data, r.envelope.RequestId)),
    getSessionDetail: (id) =>
      Effect.map(
        call(WireSession.GetSessionDetail, bySession(id)),
        (r) => Records.fromDetail(id, r.data, r.envelope.RequestId)
      ),
    listSession: (p) =>
      Effect.map(
        call(WireSession.ListSession, {
          Labels: p.labels ?? {},
          Status: p.status,
          MaxResults: p.maxResults ?? 10,
          NextToken: p.nextToken || undefined
        }),
        ({ data, envelope }) => ({
          sessions: data.map(Records.fromListItem),
          nextToken: envelope.NextToken || undefined,
          maxResults: envelope.MaxResults,
          totalCount: envelope.TotalCount,
          requestId: envelope.RequestId
        })
      ),
    deleteSessionAsync: (id) => Effect.asVoid(call(WireSession.DeleteSessionAsync, bySession(id))),
    pauseSessionAsync: (id) => Effect.asVoid(call(WireSession.PauseSessionAsync, bySession(id))),
    resumeSessionAsync: (id) => Effect.asVoid(call(WireSession.ResumeSessionAsync, bySession(id))),
    setLabel: (id, labels) => Effect.asVoid(call(WireSession.SetLabel, { SessionId: id, Labels: labels })),
    getLabel: (id) => Effect.map(call(WireSession.GetLabel, bySession(id)), (r) => r.data.Labels ?? {}),
    getMcpResource: (id) =>
      Effect.map(call(WireSession.GetMcpResource, bySession(id)), (r) => Records.fromResource(r.data)),
    getLink: (id, o) =>
      Effect.map(
        call(WireSession.GetLink, { SessionId: id, ProtocolType: o?.protocolType, Port: o?.port }),
        (r) => r.data.Url
      ),
    syncContext: (p) =>
      Effect.asVoid(
        call(WireContext.SyncContext, { SessionId: p.sessionId, ContextId: p.contextId, Path: p.path, Mode: p.mode })
      ),
    getContextInfo: (p) =>
      Effect.flatMap(
        call(WireContext.GetContextInfo, {
          SessionId: p.sessionId,
          ContextId: p.contextId,
          Path: p.path,
          TaskType: p.taskType
        }),
        ({ data, envelope }) =>
          Either.match(WireContext.decodeTasks(data.ContextStatus), {
            onLeft: (detail) =>
              Effect.fail(new DecodeError({ action: "GetContextInfo", detail, requestId: envelope.RequestId })),
            onRight: Effect.succeed
          })
      ),
    callMcpTool: (id, name, args, o) =>
      Effect.flatMap(callTimeout("callMcpTool", o?.timeout), (timeout) =>
        Effect.map(
          call(
            WireSession.CallMcpTool,
            { SessionId: id, Name: name, Args: args, Server: o?.server ?? "", AutoGenSession: false },
            { timeout }
          ),
          (r) => r.data
        )),
    listMcpTools: (imageId) =>
      Effect.map(
        call(WireSession.ListMcpTools, { ImageId: imageId ?? defaultImageId }),
        (r) => Records.tools(r.data) ?? []
      )
  })
})

/**
 * Reads one HTTP answer by the one rule we apply to every action: a non-JSON
 * body is a transport failure (non-2xx) or a decode failure (2xx); 401/403 or
 * the key-rejected code is `AuthError`; HTTP >= 400 or `Success: false` is an
 * error named by `Code`; otherwise `Data` must match the action's schema. A 2xx
 * body without `Success` counts as success (the official SDK is inconsistent here).
 *
 * @since 0.1.0
 * @category utils
 */
export const interpret = <D, DI>(
  action: { readonly name: string; readonly data: Schema.Schema<D, DI> },
  status: number,
  text: string
): Effect.Effect<Reply<D>, CommonError> =>
  Rpc.decodeReply(action.name, Schema.decodeUnknownEither(action.data), status, text)

/**
 * Needs an `HttpClient` (see `@effect-agentbay/platform-node`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AgentBayConfig.Options
): Layer.Layer<AgentBayClient, ValidationError, HttpClient.HttpClient> => Layer.effect(AgentBayClient, make(options))
