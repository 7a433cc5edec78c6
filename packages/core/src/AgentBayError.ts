/**
 * Typed failures. Schema-backed, so the local runtime and logs can encode them.
 * Fields hold actions, ids, codes and statuses only: never a key, a URL or a body.
 *
 * @since 0.1.0
 */
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

/**
 * The kinds of resource an error can name.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Resource = Schema.Literal("Session", "Context", "ContextFile", "Volume", "Network")

/**
 * @since 0.1.0
 * @category models
 */
export type Resource = typeof Resource.Type

/**
 * The key was missing, wrong, or not allowed to do this (HTTP 401/403 or the
 * `InvalidApiKey` code).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthError extends Schema.TaggedError<AuthError>("@effect-agentbay/core/AuthError")("AuthError", {
  action: Schema.String,
  code: Schema.String,
  status: Schema.optional(Schema.Number),
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.action}: the API key was rejected (${this.code})`
  }
}

/**
 * An id-addressed call named something that does not exist.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@effect-agentbay/core/NotFound")("NotFound", {
  resource: Resource,
  id: Schema.String,
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.resource} ${this.id} not found`
  }
}

/**
 * The operation is not valid in the resource's current status, or a wait ended
 * in a status other than its target. `status` is the status seen, when known.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidState extends Schema.TaggedError<InvalidState>("@effect-agentbay/core/InvalidState")(
  "InvalidState",
  {
    resource: Resource,
    id: Schema.String,
    operation: Schema.String,
    status: Schema.optional(Schema.String),
    requestId: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `cannot ${this.operation} ${this.resource.toLowerCase()} ${this.id}: it is ${
      this.status ?? "in a state that does not allow it"
    }`
  }
}

/**
 * The server answered with an error code we do not map to a more specific error.
 *
 * @since 0.1.0
 * @category errors
 */
export class ApiError extends Schema.TaggedError<ApiError>("@effect-agentbay/core/ApiError")("ApiError", {
  action: Schema.String,
  code: Schema.String,
  description: Schema.String,
  status: Schema.optional(Schema.Number),
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.action} failed with ${this.code}: ${this.description}`
  }
}

/**
 * The request did not produce a usable answer: the network failed, the request
 * timed out, or a non-2xx status came without an error envelope. `cause` is a
 * sanitised copy of the low-level error (name, message, code), never the request.
 *
 * @since 0.1.0
 * @category errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("@effect-agentbay/core/TransportError")(
  "TransportError",
  {
    action: Schema.String,
    reason: Schema.Literal("Network", "Timeout", "HttpStatus"),
    status: Schema.optional(Schema.Number),
    cause: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    const detail = this.reason === "HttpStatus" ? `HTTP ${this.status}` : this.reason
    return `${this.action}: transport failure (${detail})${this.cause ? `: ${this.cause}` : ""}`
  }
}

/**
 * The response was not what the action's schema expects.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("@effect-agentbay/core/DecodeError")("DecodeError", {
  action: Schema.String,
  detail: Schema.String,
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.action}: unexpected response: ${this.detail}`
  }
}

/**
 * An input was rejected before anything was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends Schema.TaggedError<ValidationError>("@effect-agentbay/core/ValidationError")(
  "ValidationError",
  { operation: Schema.String, field: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `${this.operation}: ${this.field} ${this.reason}`
  }
}

/**
 * A wait (pause, resume, delete, context sync, context clear) did not reach its
 * target in time. `lastStatus` is the last status seen, if any.
 *
 * @since 0.1.0
 * @category errors
 */
export class WaitTimeout extends Schema.TaggedError<WaitTimeout>("@effect-agentbay/core/WaitTimeout")("WaitTimeout", {
  resource: Resource,
  id: Schema.String,
  target: Schema.String,
  timeout: Schema.String,
  lastStatus: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `${this.resource.toLowerCase()} ${this.id} did not reach ${this.target} within ${this.timeout}` +
      (this.lastStatus ? ` (last seen: ${this.lastStatus})` : "")
  }
}

/**
 * One context sync task as a `ContextSyncError` reports it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SyncTask = Schema.Struct({
  contextId: Schema.String,
  path: Schema.String,
  taskType: Schema.String,
  status: Schema.String,
  errorMessage: Schema.optional(Schema.String)
})

/**
 * A context sync (the initial download of `create`, the upload of `delete` with
 * `syncContext`) ended with failed tasks. `tasks` are the failed ones, with the
 * server's messages.
 *
 * @since 0.1.0
 * @category errors
 */
export class ContextSyncError extends Schema.TaggedError<ContextSyncError>("@effect-agentbay/core/ContextSyncError")(
  "ContextSyncError",
  {
    sessionId: Schema.String,
    operation: Schema.String,
    tasks: Schema.Array(SyncTask)
  }
) {
  override get message(): string {
    const detail = this.tasks.map((t) => `${t.taskType} ${t.contextId}:${t.path}: ${t.errorMessage || t.status}`)
    return `${this.operation}: context sync of session ${this.sessionId} failed: ${detail.join("; ")}`
  }
}

/**
 * A tool run in the session reported an error (`isError` in its MCP result).
 * `text` is the tool's own text: every content text joined with `"; "`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ToolError extends Schema.TaggedError<ToolError>("@effect-agentbay/core/ToolError")("ToolError", {
  sessionId: Schema.String,
  tool: Schema.String,
  text: Schema.String
}) {
  override get message(): string {
    return `${this.tool} failed in session ${this.sessionId}: ${this.text}`
  }
}

/**
 * A command (`shell`) or code run (`run_code`) did not finish within its
 * timeout. `stdout` and `stderr` hold the output produced until then (empty
 * when the server did not answer at all). The command or code itself is never
 * part of the error.
 *
 * @since 0.1.0
 * @category errors
 */
export class CommandTimeout extends Schema.TaggedError<CommandTimeout>("@effect-agentbay/core/CommandTimeout")(
  "CommandTimeout",
  {
    sessionId: Schema.String,
    tool: Schema.Literal("shell", "run_code"),
    timeout: Schema.String,
    stdout: Schema.String,
    stderr: Schema.String
  }
) {
  override get message(): string {
    return `${this.tool} in session ${this.sessionId} did not finish within ${this.timeout}`
  }
}

/**
 * What any network call can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type CommonError = AuthError | TransportError | DecodeError | ApiError

/**
 * Every error above, as one schema: for encoding errors in fixtures and logs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const AgentBayError = Schema.Union(
  AuthError,
  NotFound,
  InvalidState,
  ApiError,
  TransportError,
  DecodeError,
  ValidationError,
  WaitTimeout,
  ContextSyncError,
  ToolError,
  CommandTimeout
)

/**
 * @since 0.1.0
 * @category models
 */
export type AgentBayError = typeof AgentBayError.Type

/**
 * @since 0.1.0
 * @category guards
 */
export const isAgentBayError: (u: unknown) => u is AgentBayError = Schema.is(AgentBayError)

/**
 * True when sending the same request again may succeed: a network failure or
 * timeout, HTTP 408/429/5xx, or a throttling/unavailable code. Only idempotent
 * reads act on it.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: unknown): boolean => {
  if (!Predicate.isTagged(error, "TransportError") && !Predicate.isTagged(error, "ApiError")) return false
  const e = error as TransportError | ApiError
  if (e._tag === "TransportError") {
    return e.reason !== "HttpStatus" || [408, 429, 500, 502, 503, 504].includes(e.status ?? 0)
  }
  return /Throttling|ServiceUnavailable/.test(e.code) || [429, 503].includes(e.status ?? 0)
}
