// The code → typed-error mapping, once for every declared action: the table
// below is what each declaration says, and each row is exercised through the
// real client (an error envelope with the code comes back as the typed error,
// its id read from the request field the rule names). Codes an action does not
// declare stay ApiError.
import * as Internal from "@effect-agentbay/core/internal/agentBayClient"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

import * as Fixtures from "./fixtures.js"

const all: ReadonlyArray<Wire.AnyAction> = [
  ...WireSession.actions,
  ...WireContext.actions,
  ...WireVolume.actions,
  ...WireNetwork.actions
]

const session = "NotFound Session SessionId"
const state = (operation: string) => `InvalidState Session SessionId ${operation}`
// Both codes of an unknown context (the fixtures' and the official SDK's mocks') name it by `field`.
const contextCodes = (field: string): ReadonlyArray<readonly [string, string]> => [
  [Wire.Code.ContextNotFound, `NotFound Context ${field}`],
  [Wire.Code.ContextNotFoundMock, `NotFound Context ${field}`]
]
const contextFile = [Wire.Code.ContextFileNotFound, "NotFound ContextFile FilePath"] as const
const network = [Wire.Code.NetworkNotFound, "NotFound Network NetworkId"] as const

// Every action and the codes it maps: [code, "<tag> <resource> <id field> [operation]"].
const expected: Readonly<Record<string, ReadonlyArray<readonly [string, string]>>> = {
  CreateMcpSession: [],
  GetSession: [[Wire.Code.SessionNotFound, session]],
  GetSessionDetail: [[Wire.Code.SessionNotFound, session]],
  ListSession: [],
  DeleteSessionAsync: [[Wire.Code.SessionNotFound, session], [Wire.Code.InvalidStatus, state("delete")]],
  PauseSessionAsync: [[Wire.Code.SessionNotFound, session], [Wire.Code.InvalidStatus, state("pause")]],
  ResumeSessionAsync: [[Wire.Code.SessionNotFound, session], [Wire.Code.InvalidStatus, state("resume")]],
  ReleaseMcpSession: [[Wire.Code.SessionNotFound, session], [Wire.Code.InvalidStatus, state("release")]],
  SetLabel: [[Wire.Code.SessionNotFound, session]],
  GetLabel: [[Wire.Code.SessionNotFound, session]],
  GetMcpResource: [[Wire.Code.SessionNotFound, session]],
  GetLink: [[Wire.Code.SessionNotFound, session]],
  CallMcpTool: [[Wire.Code.SessionNotFound, session], [Wire.Code.InvalidStatus, state("callMcpTool")]],
  ListMcpTools: [],
  SyncContext: [[Wire.Code.SessionNotFound, session], ...contextCodes("ContextId"), [
    Wire.Code.InvalidStatus,
    state("syncContext")
  ]],
  GetContextInfo: [[Wire.Code.SessionNotFound, session], ...contextCodes("ContextId")],
  // By id or by name: the first given names it.
  GetContext: contextCodes("ContextId,Name"),
  ListContexts: [],
  ModifyContext: contextCodes("Id"),
  DeleteContext: [...contextCodes("Id"), [Wire.Code.ContextInUse, "InvalidState Context Id delete"]],
  ClearContext: [...contextCodes("Id"), [Wire.Code.ContextInUse, "InvalidState Context Id clear"]],
  GetContextFileUploadUrl: contextCodes("ContextId"),
  GetContextFileDownloadUrl: [...contextCodes("ContextId"), contextFile],
  DeleteContextFile: [...contextCodes("ContextId"), contextFile],
  DescribeContextFiles: contextCodes("ContextId"),
  GetAndLoadInternalContext: [[Wire.Code.SessionNotFound, session]],
  GetVolume: [[Wire.Code.VolumeNotFound, "NotFound Volume VolumeName"]],
  ListVolumes: [],
  DeleteVolume: [
    [Wire.Code.VolumeNotFound, "NotFound Volume VolumeId"],
    [Wire.Code.VolumeInUse, "InvalidState Volume VolumeId delete"]
  ],
  CreateNetwork: [network],
  DescribeNetwork: [network]
}

// Actions whose `SessionId` is a filter, not the resource addressed: an unknown
// session there is not an error of the call (ListContexts lists what it mounts).
const sessionFilters = ["ListContexts"]

const describeRule = (rule: Wire.ErrorRule) =>
  [rule._tag, rule.resource, rule.id, ...(rule._tag === "InvalidState" ? [rule.operation] : [])].join(" ")

// One form that every action's params schema can decode (extra fields are ignored).
const form: Record<string, string> = {
  SessionId: "sess-9",
  ContextId: "ctx-9",
  Labels: "{\"team\":\"qa\"}",
  Name: "shell",
  Args: "{}",
  Server: "",
  AutoGenSession: "false",
  ImageId: "linux_latest",
  AllowCreate: "false",
  Id: "ctx-8",
  FilePath: "/home/wuying/data/a.txt",
  VolumeName: "vol-name",
  VolumeId: "vol-9",
  NetworkId: "net-9"
}
const paramsOf = (action: Wire.AnyAction) => Schema.decodeUnknownSync(action.params)(form)

const errorEnvelope = (code: string) =>
  new Response(
    JSON.stringify({ RequestId: "r-err", Success: false, Code: code, Message: "refused", HttpStatusCode: 400 }),
    {
      status: 400,
      headers: { "content-type": "application/json" }
    }
  )

// The real client's generic call over a server that answers every request with `code`.
const callWith = (action: Wire.AnyAction, code: string) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted(() => errorEnvelope(code))
    const { call } = yield* Internal.make({ apiKey: Redacted.make("sk-errors"), endpoint: "http://127.0.0.1:1" }).pipe(
      Effect.provideService(HttpClient.HttpClient, fake.client)
    )
    const error = yield* Effect.flip(call(action, paramsOf(action)))
    return { error: error as unknown as Record<string, unknown>, requests: (yield* fake.requests).length }
  })

describe("Wire: error codes by declaration", () => {
  it("every action is in the table, and each declares exactly the table's codes", () => {
    assert.deepStrictEqual(all.map((a) => a.name).sort(), Object.keys(expected).sort())
    for (const action of all) {
      const declared = Object.entries(action.errors).map(([code, rule]) => [code, describeRule(rule)] as const)
      assert.deepStrictEqual(declared, expected[action.name], action.name)
    }
  })

  it("every action that names a session maps the not-found code", () => {
    for (const action of all) {
      const fields = Object.keys((action.params as unknown as { readonly fields?: object }).fields ?? {})
      if (fields.includes("SessionId") && !sessionFilters.includes(action.name)) {
        assert.isDefined(Wire.ruleFor(action, Wire.Code.SessionNotFound), action.name)
      }
    }
  })

  for (const action of all) {
    for (const [code, rule] of expected[action.name] ?? []) {
      it.effect(`${action.name}: ${code} is ${rule}`, () =>
        Effect.gen(function*() {
          const [tag, resource, fields, operation] = rule.split(" ")
          const { error, requests } = yield* callWith(action, code)
          assert.strictEqual(requests, 1, "a mapped code is an answer: never retried")
          assert.strictEqual(error._tag, tag)
          assert.strictEqual(error.resource, resource)
          // The first of the rule's fields the request carries names the resource.
          const field = fields!.split(",").find((f) => form[f] !== undefined)
          assert.strictEqual(error.id, form[field!])
          assert.strictEqual(error.requestId, "r-err")
          if (operation !== undefined) assert.strictEqual(error.operation, operation)
        }))
    }

    it.effect(`${action.name}: an undeclared code stays ApiError`, () =>
      Effect.gen(function*() {
        const undeclared = [Wire.Code.SessionNotFound, Wire.Code.InvalidStatus, Wire.Code.ContextNotFound, "Some.Other"]
          .filter((code) => Wire.ruleFor(action, code) === undefined)
        for (const code of undeclared) {
          const { error } = yield* callWith(action, code)
          assert.strictEqual(error._tag, "ApiError", `${action.name} ${code}`)
          assert.strictEqual(error.code, code)
        }
      }))
  }

  it("a code named like an Object.prototype member maps nothing", () => {
    assert.isUndefined(Wire.ruleFor(WireSession.GetSession, "constructor"))
    assert.isUndefined(Wire.ruleFor(WireSession.GetSession, "toString"))
  })
})
