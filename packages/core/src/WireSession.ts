/**
 * Session actions on the wire: request fields, `Data` and mapped error codes,
 * one descriptor each (tools run through `CallMcpTool`, whose `Args` and result
 * texts `McpTool` declares). AgentBayClient encodes requests and decodes `Data`
 * with them; the local runtime decodes the same requests and encodes `Data`
 * back (spec: wire-protocol.md §6.1).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

import { McpResult } from "./McpTool.js"
import { labelLimits, Labels, NonBlank } from "./Session.js"
import { ListStatus, SessionStatus } from "./SessionStatus.js"
import { action, type AnyAction, Code, invalidState, notFound, PageSizeFromString } from "./Wire.js"

const Str = Schema.optional(Schema.String)
const SessionId = NonBlank
const BySession = Schema.Struct({ SessionId })

// An unknown session id is NotFound on every call that names one.
const sessionErrors = { [Code.SessionNotFound]: notFound("Session", "SessionId") } as const

/**
 * The longest labels JSON text a request may carry: room for `labelLimits`
 * at their worst (every character escaped as `\uXXXX`), so that a server
 * refuses anything larger before parsing it.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxLabelsText = 256 * 1024

// Checked on the parsed JSON before `Labels` decodes it pair by pair: a request
// with far too many labels costs one count, not a decode of every pair.
const LabelCount = Schema.Unknown.pipe(
  Schema.filter((u) =>
    typeof u !== "object" || u === null || Object.keys(u).length <= labelLimits.maxLabels ||
    `at most ${labelLimits.maxLabels} labels (got ${Object.keys(u).length})`
  )
)

const LabelsText = Schema.String.pipe(
  Schema.filter((text) => text.length <= maxLabelsText || `is longer than ${maxLabelsText} characters`)
)

/**
 * Labels in a request: JSON text on the wire, validated as `Labels` (with its
 * `labelLimits`) in code; text past `maxLabelsText` is refused unparsed.
 *
 * @since 0.1.0
 * @category schemas
 */
export const LabelsJson: Schema.Schema<Labels, string> = Schema.compose(LabelsText, Schema.parseJson(LabelCount)).pipe(
  Schema.compose(Labels, { strict: false })
)

/**
 * Labels in a response: any string map (a server may hold labels we would
 * not accept in a request, and reading them must still work).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LabelsLooseJson = Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.String }))

/**
 * One `ToolList` entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WireTool = Schema.Struct({
  name: Schema.String,
  server: Str,
  description: Str,
  inputSchema: Schema.optional(Schema.Unknown),
  tool: Str
})

/**
 * `ToolList` is JSON text of an array, not an array (spec: wire-protocol.md §2.1).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ToolListJson = Schema.parseJson(Schema.Array(WireTool))

/**
 * One `PersistenceDataList` item. `Policy` is JSON text inside the JSON text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PersistenceData = Schema.Struct({
  ContextId: NonBlank,
  Path: NonBlank,
  Policy: Schema.optional(Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })))
})

/**
 * @since 0.1.0
 * @category actions
 */
export const CreateMcpSession = action("CreateMcpSession", {
  params: Schema.Struct({
    ImageId: Str,
    Labels: Schema.optional(LabelsJson),
    McpPolicyId: Str,
    NetworkId: Str,
    VolumeId: Str,
    PersistenceDataList: Schema.optional(Schema.parseJson(Schema.Array(PersistenceData))),
    ExtraConfigs: Schema.optional(Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
    EnableRecord: Schema.optional(Schema.BooleanFromString),
    SdkStats: Schema.optional(Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
    LoginRegionId: Str
  }),
  data: Schema.Struct({
    SessionId,
    Success: Schema.optional(Schema.Boolean),
    ErrMsg: Str,
    ResourceUrl: Str,
    Token: Str,
    LinkUrl: Str,
    AppInstanceId: Str,
    ResourceId: Str,
    HttpPort: Str,
    NetworkInterfaceIp: Str,
    VpcResource: Schema.optional(Schema.Boolean),
    ToolList: Schema.optional(ToolListJson)
  }),
  idempotent: false
})

/**
 * @since 0.1.0
 * @category actions
 */
export const GetSession = action("GetSession", {
  params: BySession,
  data: Schema.Struct({
    SessionId,
    Status: SessionStatus,
    Success: Schema.optional(Schema.Boolean),
    ResourceUrl: Str,
    Token: Str,
    AppInstanceId: Str,
    ResourceId: Str,
    HttpPort: Str,
    NetworkInterfaceIp: Str,
    VpcResource: Schema.optional(Schema.Boolean),
    ToolList: Schema.optional(ToolListJson),
    // lower-case keys, unlike everything else (spec: wire-protocol.md §6.1)
    contexts: Schema.optional(Schema.Array(Schema.Struct({ id: Schema.String, name: Schema.String })))
  }),
  idempotent: true,
  errors: sessionErrors
})

/**
 * The status probe. `SessionId` travels in the query, the key in the body.
 *
 * @since 0.1.0
 * @category actions
 */
export const GetSessionDetail = action("GetSessionDetail", {
  params: BySession,
  data: Schema.Struct({
    Status: SessionStatus,
    Aliuid: Str,
    ApikeyId: Str,
    AppInstanceGroupId: Str,
    AppInstanceId: Str,
    AppUserId: Str,
    EndReason: Str,
    ImageId: Str,
    ImageType: Str,
    PolicyId: Str,
    RegionId: Str,
    ResourceConfigId: Str,
    BizType: Schema.optional(Schema.Number),
    Id: Schema.optional(Schema.Number),
    IsDeleted: Schema.optional(Schema.Number)
  }),
  idempotent: true,
  query: ["SessionId"],
  errors: sessionErrors
})

/**
 * @since 0.1.0
 * @category actions
 */
export const ListSession = action("ListSession", {
  params: Schema.Struct({
    Labels: Schema.optional(LabelsJson),
    Status: Schema.optional(ListStatus),
    MaxResults: Schema.optional(PageSizeFromString),
    NextToken: Str
  }),
  data: Schema.Array(Schema.Struct({ SessionId, SessionStatus: Schema.optional(SessionStatus) })),
  idempotent: true
})

// A state change: an unknown session is NotFound, a refused transition InvalidState.
const asyncOp = <const Name extends string, const Operation extends string>(name: Name, operation: Operation) =>
  action(name, {
    params: BySession,
    data: Schema.Unknown,
    idempotent: false,
    errors: {
      [Code.SessionNotFound]: notFound("Session", "SessionId"),
      [Code.InvalidStatus]: invalidState("Session", "SessionId", operation)
    }
  })

/**
 * @since 0.1.0
 * @category actions
 */
export const DeleteSessionAsync = asyncOp("DeleteSessionAsync", "delete")

/**
 * @since 0.1.0
 * @category actions
 */
export const PauseSessionAsync = asyncOp("PauseSessionAsync", "pause")

/**
 * @since 0.1.0
 * @category actions
 */
export const ResumeSessionAsync = asyncOp("ResumeSessionAsync", "resume")

/**
 * Exists in the official client but is never called by it; deletion uses
 * DeleteSessionAsync. The local runtime treats it as an immediate delete.
 *
 * @since 0.1.0
 * @category actions
 */
export const ReleaseMcpSession = asyncOp("ReleaseMcpSession", "release")

/**
 * Replaces the session's labels.
 *
 * @since 0.1.0
 * @category actions
 */
export const SetLabel = action("SetLabel", {
  params: Schema.Struct({ SessionId, Labels: LabelsJson }),
  data: Schema.Unknown,
  idempotent: false,
  errors: sessionErrors
})

/**
 * @since 0.1.0
 * @category actions
 */
export const GetLabel = action("GetLabel", {
  params: Schema.Struct({ SessionId, MaxResults: Schema.optional(PageSizeFromString), NextToken: Str }),
  data: Schema.Struct({ Labels: Schema.optional(LabelsLooseJson) }),
  idempotent: true,
  errors: sessionErrors
})

/**
 * @since 0.1.0
 * @category actions
 */
export const GetMcpResource = action("GetMcpResource", {
  params: BySession,
  data: Schema.Struct({
    SessionId,
    ResourceUrl: Str,
    DesktopInfo: Schema.optional(Schema.Struct({
      AppId: Str,
      AuthCode: Str,
      ConnectionProperties: Str,
      ResourceId: Str,
      ResourceType: Str,
      Ticket: Str
    }))
  }),
  idempotent: true,
  errors: sessionErrors
})

/**
 * Forwarded ports the API accepts (checked client-side by the official SDK too).
 *
 * @since 0.1.0
 * @category schemas
 */
export const LinkPort = Schema.Int.pipe(Schema.between(30100, 30199))

/**
 * @since 0.1.0
 * @category actions
 */
export const GetLink = action("GetLink", {
  params: Schema.Struct({
    SessionId,
    ProtocolType: Str,
    Port: Schema.optional(Schema.compose(Schema.NumberFromString, LinkPort)),
    Option: Str
  }),
  data: Schema.Struct({ Url: Schema.String }),
  idempotent: true,
  errors: sessionErrors
})

/**
 * Runs one MCP tool in the session. `Args` is JSON text of the tool's
 * arguments; `Server` is always sent, `""` unless the session's `ToolList`
 * names a server for the tool; `AutoGenSession` is always `false`, as the
 * official client sends it. `Data` is the MCP result. Never retried: a tool may
 * have effects (spec: wire-protocol.md §6.1, sdk-gaps.md §1.18).
 *
 * @since 0.1.0
 * @category actions
 */
export const CallMcpTool = action("CallMcpTool", {
  params: Schema.Struct({
    SessionId,
    Name: NonBlank,
    Args: Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
    Server: Schema.String,
    AutoGenSession: Schema.BooleanFromString
  }),
  data: McpResult,
  idempotent: false,
  // A session that is not RUNNING (paused, pausing, resuming, deleted) refuses work.
  errors: { ...sessionErrors, [Code.InvalidStatus]: invalidState("Session", "SessionId", "callMcpTool") }
})

/**
 * The tool catalogue of an image. `Data` is JSON text of an array, not an
 * array (spec: wire-protocol.md §2.1).
 *
 * @since 0.1.0
 * @category actions
 */
export const ListMcpTools = action("ListMcpTools", {
  params: Schema.Struct({ ImageId: NonBlank }),
  data: ToolListJson,
  idempotent: true
})

/**
 * Every session action, for registries and tests that cover them all.
 *
 * @since 0.1.0
 * @category registry
 */
export const actions: ReadonlyArray<AnyAction> = [
  CreateMcpSession,
  GetSession,
  GetSessionDetail,
  ListSession,
  DeleteSessionAsync,
  PauseSessionAsync,
  ResumeSessionAsync,
  ReleaseMcpSession,
  SetLabel,
  GetLabel,
  GetMcpResource,
  GetLink,
  CallMcpTool,
  ListMcpTools
]
