/**
 * The wire client: one method per API action, typed errors, no waiting. The only
 * module of core that imports `@effect/platform` (spec: wire-protocol.md §1-2, §4).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as AgentBayConfig from "./AgentBayConfig.js"
import {
  ApiError,
  AuthError,
  type CommonError,
  DecodeError,
  InvalidState,
  isRetryable,
  NotFound,
  TransportError,
  ValidationError
} from "./AgentBayError.js"
import { describeCause } from "./internal/cause.js"
import * as Records from "./internal/records.js"
import type { Labels, LinkOptions, ListStatus, ResourceInfo, SessionDetail, SessionRecord } from "./Session.js"
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
  /** Sync policy, sent as given (camelCase keys, see the spec's semantics.md §4.4). */
  readonly policy?: Readonly<Record<string, unknown>> | undefined
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
}

/**
 * @since 0.1.0
 */
export declare namespace AgentBayClient {
  /**
   * One method per action. Id-addressed calls map the not-found code to `NotFound`;
   * pause/resume/delete map the invalid-status code to `InvalidState`.
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly createMcpSession: (params: CreateParams) => Effect.Effect<SessionRecord, CommonError | ValidationError>
    readonly getSession: (sessionId: string) => Effect.Effect<SessionRecord, CommonError | NotFound | ValidationError>
    readonly getSessionDetail: (sessionId: string) => Effect.Effect<SessionDetail, CommonError | NotFound | ValidationError>
    readonly listSession: (params: ListParams) => Effect.Effect<SessionPage, CommonError | ValidationError>
    readonly deleteSessionAsync: (sessionId: string) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly pauseSessionAsync: (sessionId: string) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly resumeSessionAsync: (sessionId: string) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
    readonly setLabel: (sessionId: string, labels: Labels) => Effect.Effect<void, CommonError | NotFound | ValidationError>
    readonly getLabel: (sessionId: string) => Effect.Effect<Labels, CommonError | NotFound | ValidationError>
    readonly getMcpResource: (sessionId: string) => Effect.Effect<ResourceInfo, CommonError | NotFound | ValidationError>
    readonly getLink: (sessionId: string, options?: LinkOptions) => Effect.Effect<string, CommonError | NotFound | ValidationError>
    readonly syncContext: (params: SyncParams) => Effect.Effect<void, CommonError | NotFound | ValidationError>
    readonly getContextInfo: (
      params: SyncParams
    ) => Effect.Effect<ReadonlyArray<WireContext.ContextTask>, CommonError | NotFound | ValidationError>
  }
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

const readRetry = Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(3)))

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * Builds the client from options and an `HttpClient`. Invalid options are a
 * `ValidationError` here, before any request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.fnUntraced(function*(options: AgentBayConfig.Options) {
  const base = AgentBayConfig.baseUrl(options.endpoint)
  if (Either.isLeft(base)) {
    return yield* new ValidationError({ operation: "AgentBayClient.make", field: "endpoint", reason: base.left })
  }
  const timeout = Duration.decode(options.timeout ?? AgentBayConfig.defaults.timeout)
  if (!Duration.greaterThan(timeout, Duration.zero)) {
    return yield* new ValidationError({ operation: "AgentBayClient.make", field: "timeout", reason: "must be > 0" })
  }
  const http = (yield* HttpClient.HttpClient).pipe(
    // The platform span would record the full URL, which holds the key for
    // SyncContext; ours (AgentBayClient.<Action>) covers every call instead.
    HttpClient.withTracerDisabledWhen(() => true)
  )

  // The one place that talks HTTP: encode, send, read the envelope, map errors,
  // bound the attempt, retry idempotent reads, span.
  const rpc = <P, PI extends Wire.Form, D, DI>(
    action: Wire.Action<string, P, PI, D, DI>,
    params: P
  ): Effect.Effect<Reply<D>, CommonError | ValidationError> => {
    const name = action.name
    const once = Effect.gen(function*() {
      const encoded = yield* Schema.encode(action.params)(params).pipe(
        Effect.mapError((e) => new ValidationError({ operation: name, field: "params", reason: e.message }))
      )
      const fields = Wire.compact(encoded)
      const key = `Bearer ${Redacted.value(options.apiKey)}`
      const now = yield* Clock.currentTimeMillis
      const query: Array<[string, string]> = [
        ["Action", name],
        ["Format", "json"],
        ["Version", Wire.version],
        ["Timestamp", new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z")],
        ["SignatureNonce", hex(crypto.getRandomValues(new Uint8Array(16)))]
      ]
      const body: Record<string, string> = {}
      if (action.keyIn === "query") query.push(["Authorization", key])
      else body.Authorization = key
      for (const [k, v] of Object.entries(fields)) {
        if (action.query.includes(k)) query.push([k, v])
        else body[k] = v
      }
      let request = HttpClientRequest.make(action.method)(base.right + "/").pipe(
        HttpClientRequest.setUrlParams(query),
        HttpClientRequest.setHeaders({ "x-acs-version": Wire.version, "x-acs-action": name })
      )
      if (action.method === "POST") request = HttpClientRequest.bodyUrlParams(request, body)
      const response = yield* http.execute(request).pipe(
        Effect.mapError((e) => new TransportError({ action: name, reason: "Network", cause: describeCause(e.cause) }))
      )
      const status = response.status
      const text = yield* response.text.pipe(
        Effect.mapError((e) => new TransportError({ action: name, reason: "Network", status, cause: describeCause(e.cause) }))
      )
      return yield* interpret(action, status, text)
    }).pipe(
      Effect.scoped,
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new TransportError({ action: name, reason: "Timeout", cause: `no answer within ${Duration.format(timeout)}` })
      })
    )
    const call = action.idempotent ? Effect.retry(once, { schedule: readRetry, while: isRetryable }) : once
    return Effect.withSpan(call, `AgentBayClient.${name}`, {
      kind: "client",
      attributes: { "agentbay.action": name }
    })
  }

  // Only id-addressed calls can fail with NotFound, so only they map it.
  const orNotFound = (id: string) => <A, E>(self: Effect.Effect<A, E | ApiError>) =>
    Effect.catchIf(
      self,
      (e): e is ApiError => e instanceof ApiError && e.code === Wire.Code.SessionNotFound,
      (e) => Effect.fail(new NotFound({ resource: "Session", id, requestId: e.requestId }))
    )
  const orInvalidState = (id: string, operation: string) => <A, E>(self: Effect.Effect<A, E | ApiError>) =>
    Effect.catchIf(
      self,
      (e): e is ApiError => e instanceof ApiError && e.code === Wire.Code.InvalidStatus,
      (e) => Effect.fail(new InvalidState({ sessionId: id, operation, requestId: e.requestId }))
    )
  const transition =
    (action: Wire.Action<string, { readonly SessionId: string }, { readonly SessionId: string }, unknown, unknown>, operation: string) => (sessionId: string) =>
      rpc(action, { SessionId: sessionId }).pipe(
        Effect.asVoid,
        orNotFound(sessionId),
        orInvalidState(sessionId, operation)
      )

  return AgentBayClient.of({
    createMcpSession: (p) =>
      rpc(WireSession.CreateMcpSession, {
        ImageId: p.imageId,
        Labels: p.labels,
        McpPolicyId: p.policyId,
        NetworkId: p.networkId,
        VolumeId: p.volumeId,
        PersistenceDataList: p.contextSync?.map((c) => ({ ContextId: c.contextId, Path: c.path, Policy: c.policy })),
        ExtraConfigs: p.extraConfigs,
        EnableRecord: p.enableBrowserReplay,
        SdkStats: Wire.sdkStats,
        LoginRegionId: options.regionId || undefined
      }).pipe(
        Effect.flatMap(({ data, envelope }) =>
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
        )
      ),
    getSession: (id) =>
      rpc(WireSession.GetSession, { SessionId: id }).pipe(
        Effect.map(({ data, envelope }) => Records.fromGet(data, envelope.RequestId)),
        orNotFound(id)
      ),
    getSessionDetail: (id) =>
      rpc(WireSession.GetSessionDetail, { SessionId: id }).pipe(
        Effect.map(({ data, envelope }) => Records.fromDetail(id, data, envelope.RequestId)),
        orNotFound(id)
      ),
    listSession: (p) =>
      rpc(WireSession.ListSession, {
        Labels: p.labels ?? {},
        Status: p.status,
        MaxResults: p.maxResults ?? 10,
        NextToken: p.nextToken || undefined
      }).pipe(
        Effect.map(({ data, envelope }) => ({
          sessions: data.map(Records.fromListItem),
          nextToken: envelope.NextToken || undefined,
          maxResults: envelope.MaxResults,
          totalCount: envelope.TotalCount,
          requestId: envelope.RequestId
        }))
      ),
    deleteSessionAsync: transition(WireSession.DeleteSessionAsync, "delete"),
    pauseSessionAsync: transition(WireSession.PauseSessionAsync, "pause"),
    resumeSessionAsync: transition(WireSession.ResumeSessionAsync, "resume"),
    setLabel: (id, labels) =>
      rpc(WireSession.SetLabel, { SessionId: id, Labels: labels }).pipe(Effect.asVoid, orNotFound(id)),
    getLabel: (id) =>
      rpc(WireSession.GetLabel, { SessionId: id }).pipe(
        Effect.map(({ data }) => data.Labels ?? {}),
        orNotFound(id)
      ),
    getMcpResource: (id) =>
      rpc(WireSession.GetMcpResource, { SessionId: id }).pipe(
        Effect.map(({ data }) => Records.fromResource(data)),
        orNotFound(id)
      ),
    getLink: (id, o) =>
      rpc(WireSession.GetLink, { SessionId: id, ProtocolType: o?.protocolType, Port: o?.port }).pipe(
        Effect.map(({ data }) => data.Url),
        orNotFound(id)
      ),
    syncContext: (p) =>
      rpc(WireContext.SyncContext, { SessionId: p.sessionId, ContextId: p.contextId, Path: p.path, Mode: p.mode }).pipe(
        Effect.asVoid,
        orNotFound(p.sessionId)
      ),
    getContextInfo: (p) =>
      rpc(WireContext.GetContextInfo, { SessionId: p.sessionId, ContextId: p.contextId, Path: p.path }).pipe(
        Effect.flatMap(({ data, envelope }) =>
          Either.match(WireContext.decodeTasks(data.ContextStatus), {
            onLeft: (detail) =>
              Effect.fail(new DecodeError({ action: "GetContextInfo", detail, requestId: envelope.RequestId })),
            onRight: Effect.succeed
          })
        ),
        orNotFound(p.sessionId)
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
): Effect.Effect<Reply<D>, CommonError> => {
  const name = action.name
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const parsed = Schema.decodeUnknownEither(Wire.Envelope)(json)
  if (Either.isLeft(parsed) || typeof json !== "object" || json === null || Array.isArray(json)) {
    if (status === 401 || status === 403) return Effect.fail(new AuthError({ action: name, code: `HTTP${status}`, status }))
    return status >= 400 || status < 200
      ? Effect.fail(new TransportError({ action: name, reason: "HttpStatus", status }))
      : Effect.fail(new DecodeError({ action: name, detail: "the body is not a JSON envelope" }))
  }
  const envelope = parsed.right
  const requestId = envelope.RequestId
  if (status === 401 || status === 403 || envelope.Code === Wire.Code.InvalidApiKey) {
    return Effect.fail(new AuthError({ action: name, code: envelope.Code ?? `HTTP${status}`, status, requestId }))
  }
  if (status >= 400 || status < 200 || envelope.Success === false) {
    // A server may echo the request (and so the key) in its message.
    const description = Wire.redact(envelope.Message ?? "")
    if (envelope.Code === undefined || envelope.Code === "") {
      return status >= 400
        ? Effect.fail(new TransportError({ action: name, reason: "HttpStatus", status }))
        : Effect.fail(new ApiError({ action: name, code: "Unknown", description, status, requestId }))
    }
    return Effect.fail(new ApiError({ action: name, code: envelope.Code, description, status, requestId }))
  }
  return Schema.decodeUnknown(action.data)(envelope.Data).pipe(
    Effect.map((data) => ({ data, envelope })),
    Effect.mapError((e) => new DecodeError({ action: name, detail: e.message, requestId }))
  )
}

/**
 * Needs an `HttpClient` (see `@effect-agentbay/platform-node`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AgentBayConfig.Options
): Layer.Layer<AgentBayClient, ValidationError, HttpClient.HttpClient> => Layer.effect(AgentBayClient, make(options))
