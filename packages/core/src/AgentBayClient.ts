/**
 * The wire client: one method per API action, typed errors, no waiting. The only
 * module of core that imports `@effect/platform` (spec: wire-protocol.md §1-2, §4).
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import * as AgentBayConfig from "./AgentBayConfig.js"
import {
  ApiError,
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
import * as Rpc from "./internal/rpc.js"
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

const formType = "application/x-www-form-urlencoded"

const readRetry = Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(3)))

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
  const http = yield* HttpClient.HttpClient
  const url = base.right + "/"
  const timeoutText = `no answer within ${Duration.format(timeout)}`

  // The request of each action without its per-attempt fields: method, URL, headers.
  const templates = new Map<string, HttpClientRequest.HttpClientRequest>()
  const template = (action: Wire.AnyAction) => {
    let request = templates.get(action.name)
    if (request === undefined) {
      request = HttpClientRequest.make(action.method)(url, {
        headers: { "x-acs-version": Wire.version, "x-acs-action": action.name }
      })
      templates.set(action.name, request)
    }
    return request
  }

  // The one place that talks HTTP: encode, send, read the envelope, map errors,
  // bound the attempt, retry idempotent reads, span.
  const rpc = <P, PI extends Wire.Form, D, DI>(
    action: Wire.Action<string, P, PI, D, DI>,
    params: P
  ): Effect.Effect<Reply<D>, CommonError | ValidationError> => {
    const name = action.name
    const compiled = Rpc.compile(action)
    const call = (span: Tracer.Span) => Effect.suspend((): Effect.Effect<Reply<D>, CommonError | ValidationError> => {
      const encoded = compiled.encode(params)
      if (Either.isLeft(encoded)) {
        return Effect.fail(new ValidationError({ operation: name, field: "params", reason: encoded.left.message }))
      }
      // The fields are the same for every attempt; Timestamp and nonce are not.
      const fields = Wire.compact(encoded.right)
      const key = `Bearer ${Redacted.value(options.apiKey)}`
      const body: Record<string, string> = {}
      const extraQuery: Array<[string, string]> = []
      if (action.keyIn === "query") extraQuery.push(["Authorization", key])
      else body.Authorization = key
      for (const k in fields) {
        if (action.query.includes(k)) extraQuery.push([k, fields[k]!])
        else body[k] = fields[k]!
      }
      // What `bodyUrlParams` would send, encoded once for every attempt.
      const form = new URLSearchParams(body).toString()
      const enter = Effect.zipRight(
        // Our span is the parent of whatever the attempt traces...
        FiberRef.update(FiberRef.currentContext, (context) => Context.add(context, Tracer.ParentSpan, span)),
        // ...and the platform's HTTP span is off: it would record the full URL,
        // which holds the key for SyncContext; ours covers every call.
        FiberRef.set(HttpClient.currentTracerDisabledWhen, constTrue)
      )
      const once = Effect.clockWith((clock) => {
        const query: Array<[string, string]> = [
          ["Action", name],
          ["Format", "json"],
          ["Version", Wire.version],
          ["Timestamp", Rpc.timestamp(clock.unsafeCurrentTimeMillis())],
          ["SignatureNonce", Rpc.nonce()],
          ...extraQuery
        ]
        let request = HttpClientRequest.setUrlParams(template(action), query)
        if (action.method === "POST") request = HttpClientRequest.bodyText(request, form, formType)
        const exchange = Effect.flatMap(
          Effect.mapError(
            http.execute(request),
            (e) => new TransportError({ action: name, reason: "Network", cause: describeCause(e.cause) })
          ),
          (response) =>
            Effect.flatMap(
              Effect.mapError(response.text, (e) =>
                new TransportError({
                  action: name,
                  reason: "Network",
                  status: response.status,
                  cause: describeCause(e.cause)
                })),
              (text) => Rpc.decodeReply(name, compiled.decode, response.status, text)
            )
        )
        return Rpc.bounded(exchange, {
          duration: timeout,
          onTimeout: () => new TransportError({ action: name, reason: "Timeout", cause: timeoutText }),
          enter
        })
      })
      if (!action.idempotent) return once
      // The retry machinery is built only once a first attempt fails and may be
      // retried; `first` replays that failure so that the schedule (and so every
      // delay and the number of attempts) is exactly Effect.retry's over `once`.
      return Effect.catchIf(once, isRetryable, (error) => {
        let first = true
        const replay = Effect.suspend(() => {
          if (!first) return once
          first = false
          return Effect.fail(error)
        })
        return Effect.retry(replay, { schedule: readRetry, while: isRetryable })
      })
    })
    // The span is the caller's child; it is made the parent inside each attempt
    // (see `enter`), nothing else in the call traces.
    return Effect.useSpan(`AgentBayClient.${name}`, compiled.span, call)
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
      (e) => Effect.fail(new InvalidState({ resource: "Session", id, operation, requestId: e.requestId }))
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
): Effect.Effect<Reply<D>, CommonError> => Rpc.decodeReply(action.name, Schema.decodeUnknownEither(action.data), status, text)

/**
 * Needs an `HttpClient` (see `@effect-agentbay/platform-node`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: AgentBayConfig.Options
): Layer.Layer<AgentBayClient, ValidationError, HttpClient.HttpClient> => Layer.effect(AgentBayClient, make(options))
