// Wire `Data` to our records. Internal: not exported from the package.
import * as Redacted from "effect/Redacted"

import type { CreateParams } from "../AgentBayClient.js"
import { ResourceInfo, SessionDetail, SessionRecord, ToolInfo } from "../Session.js"
import type * as WireSession from "../WireSession.js"

type Tools = typeof WireSession.ToolListJson.Type
type Create = typeof WireSession.CreateMcpSession.data.Type
type Get = typeof WireSession.GetSession.data.Type
type Detail = typeof WireSession.GetSessionDetail.data.Type
type ListItem = typeof WireSession.ListSession.data.Type[number]
type Resource = typeof WireSession.GetMcpResource.data.Type

// Every record is built from `Data` its wire schema has already decoded, so the
// constructors skip validating it again: a Schema.Class constructor
// re-derives its type schema on every call (tens of µs per record).
const skipValidation = true

export const tools = (list: Tools | undefined): Array<ToolInfo> | undefined =>
  list?.map((t) => new ToolInfo(t, skipValidation))
const secret = (value: string | undefined) => value === undefined || value === "" ? undefined : Redacted.make(value)
const text = (value: string | undefined) => value === "" ? undefined : value

// The fields CreateMcpSession and GetSession share.
const common = (d: Create | Get, requestId: string | undefined) => ({
  id: d.SessionId,
  resourceUrl: text(d.ResourceUrl),
  token: secret(d.Token),
  appInstanceId: text(d.AppInstanceId),
  resourceId: text(d.ResourceId),
  httpPort: text(d.HttpPort),
  networkInterfaceIp: text(d.NetworkInterfaceIp),
  vpcResource: d.VpcResource,
  tools: tools(d.ToolList),
  requestId
})

export const fromCreate = (d: Create, params: CreateParams, requestId: string | undefined): SessionRecord =>
  new SessionRecord({
    ...common(d, requestId),
    status: "RUNNING", // create returns only when the session is usable (spec: semantics.md §1.2)
    imageId: params.imageId,
    labels: params.labels,
    linkUrl: secret(d.LinkUrl)
  }, skipValidation)

export const fromGet = (d: Get, requestId: string | undefined): SessionRecord =>
  new SessionRecord({ ...common(d, requestId), status: d.Status }, skipValidation)

export const fromDetail = (id: string, d: Detail, requestId: string | undefined): SessionDetail =>
  new SessionDetail({
    id,
    status: d.Status,
    imageId: text(d.ImageId),
    regionId: text(d.RegionId),
    appInstanceId: text(d.AppInstanceId),
    requestId
  }, skipValidation)

export const fromListItem = (d: ListItem): SessionRecord =>
  new SessionRecord({ id: d.SessionId, status: d.SessionStatus ?? "UNKNOWN" }, skipValidation)

export const fromResource = (d: Resource): ResourceInfo =>
  new ResourceInfo({
    sessionId: d.SessionId,
    resourceUrl: text(d.ResourceUrl),
    appId: text(d.DesktopInfo?.AppId),
    authCode: secret(d.DesktopInfo?.AuthCode),
    connectionProperties: text(d.DesktopInfo?.ConnectionProperties),
    resourceId: text(d.DesktopInfo?.ResourceId),
    resourceType: text(d.DesktopInfo?.ResourceType),
    ticket: secret(d.DesktopInfo?.Ticket)
  }, skipValidation)
