/**
 * Sessions: labels, the decoded session record and the `Session` value handed
 * to users, with operations bound to it (the status vocabulary is
 * `SessionStatus`, re-exported here).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

import type * as AgentBayCode from "./AgentBayCode.js"
import type * as AgentBayCommand from "./AgentBayCommand.js"
import type * as AgentBayContext from "./AgentBayContext.js"
import type { CommonError, NotFound, ValidationError } from "./AgentBayError.js"
import type * as AgentBayFileSystem from "./AgentBayFileSystem.js"
import type * as AgentBayMcp from "./AgentBayMcp.js"
import { SessionStatus } from "./SessionStatus.js"

export {
  /**
   * The status vocabulary lives in `SessionStatus`; re-exported here.
   *
   * @since 0.1.0
   * @category schemas
   */
  ListStatus,
  /**
   * @since 0.1.0
   * @category schemas
   */
  SessionStatus
} from "./SessionStatus.js"

/**
 * A non-blank string: used for ids, label keys and label values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NonBlank = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0, { message: () => "must be a non-blank string" })
)

/**
 * Limits on labels, the same for the client and every server of ours: at most
 * `maxLabels` pairs, keys of 1..`maxKeyLength` characters, values of
 * 1..`maxValueLength` (characters are UTF-16 code units, as `String.length`
 * counts them). They bound what one session stores and what one list filter
 * asks (a filter has the same limits), so that no single request can make the
 * server parse or match without bound.
 *
 * @since 0.1.0
 * @category constants
 */
export const labelLimits = {
  maxLabels: 64,
  maxKeyLength: 128,
  maxValueLength: 256
} as const

const labelProblem = (labels: Readonly<Record<string, string>>): string | undefined => {
  const keys = Object.keys(labels)
  if (keys.length > labelLimits.maxLabels) return `at most ${labelLimits.maxLabels} labels (got ${keys.length})`
  for (const key of keys) {
    // Not `key: NonBlank` in the Record: a Record drops keys that fail its key
    // schema instead of rejecting them, so `{ " ": "x" }` would pass and go out as `{}`.
    if (key.trim().length === 0) return "label keys must be non-blank strings"
    if (key.length > labelLimits.maxKeyLength) {
      const start = JSON.stringify(key.slice(0, 20))
      return `label keys must be at most ${labelLimits.maxKeyLength} characters (${start}...)`
    }
    if (labels[key]!.length > labelLimits.maxValueLength) {
      return `label values must be at most ${labelLimits.maxValueLength} characters (the value of ${
        JSON.stringify(key.slice(0, 20))
      })`
    }
  }
  return undefined
}

/**
 * Labels: string keys to string values, neither blank, within `labelLimits`.
 * The same rule applies to `create`, `list` filters and `setLabels` (the
 * official SDK checks only the last).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Labels = Schema.Record({ key: Schema.String, value: NonBlank }).pipe(
  Schema.filter((labels) => labelProblem(labels) ?? true)
)

/**
 * @since 0.1.0
 * @category models
 */
export type Labels = typeof Labels.Type

/**
 * One MCP tool a session offers (from `ToolList`).
 *
 * @since 0.1.0
 * @category schemas
 */
export class ToolInfo extends Schema.Class<ToolInfo>("@effect-agentbay/core/ToolInfo")({
  name: Schema.String,
  server: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  inputSchema: Schema.optional(Schema.Unknown),
  tool: Schema.optional(Schema.String)
}) {}

/**
 * What the API tells us about a session. Only `id` and `status` are always
 * known: a list entry carries just those, `create` and `get` fill in the rest.
 * Credentials (`token`, `linkUrl`) are `Redacted`.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionRecord extends Schema.Class<SessionRecord>("@effect-agentbay/core/SessionRecord")({
  id: Schema.String,
  status: SessionStatus,
  imageId: Schema.optional(Schema.String),
  labels: Schema.optional(Labels),
  resourceUrl: Schema.optional(Schema.String),
  token: Schema.optional(Schema.Redacted(Schema.String)),
  linkUrl: Schema.optional(Schema.Redacted(Schema.String)),
  appInstanceId: Schema.optional(Schema.String),
  resourceId: Schema.optional(Schema.String),
  httpPort: Schema.optional(Schema.String),
  networkInterfaceIp: Schema.optional(Schema.String),
  vpcResource: Schema.optional(Schema.Boolean),
  tools: Schema.optional(Schema.Array(ToolInfo)),
  requestId: Schema.optional(Schema.String)
}) {}

/**
 * GetSessionDetail: the status probe that delete waits on.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionDetail extends Schema.Class<SessionDetail>("@effect-agentbay/core/SessionDetail")({
  id: Schema.String,
  status: SessionStatus,
  imageId: Schema.optional(Schema.String),
  regionId: Schema.optional(Schema.String),
  appInstanceId: Schema.optional(Schema.String),
  requestId: Schema.optional(Schema.String)
}) {}

/**
 * GetMcpResource: how to reach the session's desktop.
 *
 * @since 0.1.0
 * @category models
 */
export class ResourceInfo extends Schema.Class<ResourceInfo>("@effect-agentbay/core/ResourceInfo")({
  sessionId: Schema.String,
  resourceUrl: Schema.optional(Schema.String),
  appId: Schema.optional(Schema.String),
  authCode: Schema.optional(Schema.Redacted(Schema.String)),
  connectionProperties: Schema.optional(Schema.String),
  resourceId: Schema.optional(Schema.String),
  resourceType: Schema.optional(Schema.String),
  ticket: Schema.optional(Schema.Redacted(Schema.String))
}) {}

/**
 * @since 0.1.0
 * @category options
 */
export interface LinkOptions {
  /** e.g. `"https"` or `"wss"`. */
  readonly protocolType?: string | undefined
  /** A forwarded port; the API accepts 30100..30199. */
  readonly port?: number | undefined
}

/**
 * Errors of an operation addressed to one session.
 *
 * @since 0.1.0
 * @category models
 */
export type SessionOpError = CommonError | NotFound | ValidationError

/**
 * A session: the record as last read, plus operations that address it by id.
 * The record is a snapshot; `refresh` reads the current one.
 *
 * @since 0.1.0
 * @category models
 */
export interface Session extends SessionRecord {
  /** Replaces all labels (non-empty, no blank keys or values). */
  readonly setLabels: (labels: Labels) => Effect.Effect<void, SessionOpError>
  readonly getLabels: () => Effect.Effect<Labels, SessionOpError>
  /** GetMcpResource. */
  readonly info: () => Effect.Effect<ResourceInfo, SessionOpError>
  /** GetLink: an access URL for the session or one of its forwarded ports. */
  readonly getLink: (options?: LinkOptions) => Effect.Effect<string, SessionOpError>
  /** GetSessionDetail: the current status and image. */
  readonly getStatus: () => Effect.Effect<SessionDetail, SessionOpError>
  /** GetSession again: a fresh record with the same bound operations. */
  readonly refresh: () => Effect.Effect<Session, SessionOpError>
  /** Files in the session: `AgentBayFileSystem`, bound to it. */
  readonly filesystem: AgentBayFileSystem.AgentBayFileSystem.Bound
  /** `executeCommand`: `AgentBayCommand`, bound to the session. */
  readonly command: Bound<AgentBayCommand.AgentBayCommand.Service>
  /** `runCode`: `AgentBayCode`, bound to the session. */
  readonly code: Bound<AgentBayCode.AgentBayCode.Service>
  /** `listTools`, `callTool`, `getMetrics`: `AgentBayMcp`, bound to the session. */
  readonly mcp: Bound<AgentBayMcp.AgentBayMcp.Service>
  /** `sync` and `info` of `AgentBayContext`, bound to the session. */
  readonly context: Bound<AgentBayContext.SessionSyncs>
  /** CPU, memory, disk and network use (`get_metrics`). */
  readonly getMetrics: () => Effect.Effect<AgentBayMcp.Metrics, AgentBayMcp.ToolCallError>
}

/**
 * A service whose operations take a session first, with that argument bound:
 * what `session.filesystem`, `session.command`, ... are.
 *
 * @since 0.1.0
 * @category models
 */
export type Bound<S> = {
  readonly [K in keyof S]: S[K] extends (session: SessionRef, ...args: infer A) => infer R ? (...args: A) => R : never
}

/**
 * Anything that names a session: a `Session` (or record) or its id.
 *
 * @since 0.1.0
 * @category models
 */
export type SessionRef = string | { readonly id: string }

/**
 * @since 0.1.0
 * @category utils
 */
export const idOf = (ref: SessionRef): string => typeof ref === "string" ? ref : ref.id
