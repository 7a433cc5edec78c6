// The handler machinery of the runtime: envelopes, decoding an action's fields
// with its own schema, encoding its `Data`, and the server's side of the code
// table. Each handler module (BackendRuntime's sessions, BackendContexts,
// BackendVolumes, BackendNetworks) builds its list with `on`/`onWire`; the
// runtime merges them. Internal: the public surface is BackendRuntime.ts.
import type { AuthError, InvalidState, NotFound, Resource } from "@effect-agentbay/core/AgentBayError"
import { ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as PageToken from "@effect-agentbay/core/PageToken"
import * as Wire from "@effect-agentbay/core/Wire"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type { FileError, SandboxError } from "../BackendSandbox.js"
import type { ContextSyncFailed } from "../BackendSync.js"
import type * as BackendTools from "../BackendTools.js"

export interface Reply {
  readonly status: number
  readonly body: Wire.Envelope
}

// Request ids are 16 upper-case hex digits (8 random bytes), cut from a pool
// refilled 1,024 ids at a time: building each from its own `getRandomValues`,
// `Array.from`, `map` and `join` was 2 % of the local server's CPU under 16
// GetSession callers (BENCHMARKS.md §3a). They are not secrets.
const hexByte = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0").toUpperCase())
const idBytes = new Uint8Array(8 * 1024)
let idNext = idBytes.length

export const makeRequestId = (): string => {
  if (idNext === idBytes.length) {
    crypto.getRandomValues(idBytes)
    idNext = 0
  }
  const b = idBytes
  const i = idNext
  idNext = i + 8
  return hexByte[b[i]!]! + hexByte[b[i + 1]!]! + hexByte[b[i + 2]!]! + hexByte[b[i + 3]!]! +
    hexByte[b[i + 4]!]! + hexByte[b[i + 5]!]! + hexByte[b[i + 6]!]! + hexByte[b[i + 7]!]!
}

// Web Crypto (a global in Node 20 and browsers): the backend imports no Node module.
export const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

/** ISO-8601 to the second, as the fixtures show times (`2026-01-05T08:00:00Z`). */
export const isoTime = (millis: number) => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

export const failure = (status: number, code: string, message: string): Reply => ({
  status,
  body: { RequestId: makeRequestId(), Success: false, Code: code, Message: message, HttpStatusCode: status }
})

export type Page = Pick<Wire.Envelope, "NextToken" | "MaxResults" | "TotalCount" | "Count">

export const success = (extra: Pick<Wire.Envelope, "Data"> & Page = {}): Reply => ({
  status: 200,
  body: { RequestId: makeRequestId(), Success: true, Code: Wire.Code.Ok, Message: "", HttpStatusCode: 200, ...extra }
})

export const unauthorized = (): Reply => failure(401, Wire.Code.InvalidApiKey, "The API key is invalid or missing")

export type Failure =
  | AuthError
  | NotFound
  | InvalidState
  | ValidationError
  | SandboxError
  | BackendTools.UnknownTool
  | FileError
  | ContextSyncFailed

const notFoundCodes: Record<Resource, string> = {
  Session: Wire.Code.SessionNotFound,
  Context: Wire.Code.ContextNotFound,
  ContextFile: Wire.Code.ContextFileNotFound,
  Volume: Wire.Code.VolumeNotFound,
  Network: Wire.Code.NetworkNotFound
}

const invalidStateCodes: Record<Resource, string> = {
  Session: Wire.Code.InvalidStatus,
  Context: Wire.Code.ContextInUse,
  ContextFile: Wire.Code.InvalidStatus,
  Volume: Wire.Code.VolumeInUse,
  Network: Wire.Code.InvalidStatus
}

// The server's side of the shared code table.
export const toReply = (e: Failure): Reply => {
  switch (e._tag) {
    case "AuthError":
      return unauthorized()
    case "NotFound":
      return failure(400, notFoundCodes[e.resource], e.message)
    case "InvalidState":
      return failure(400, invalidStateCodes[e.resource], e.message)
    case "ValidationError":
      return failure(400, Wire.Code.InvalidParameter, `${e.field}: ${e.reason}`)
    case "SandboxError":
      return failure(500, Wire.Code.InternalError, `The session's sandbox could not ${e.operation}`)
    case "UnknownTool":
      return failure(
        400,
        Wire.Code.InvalidParameter,
        `Name: no tool ${JSON.stringify(e.name.slice(0, 100))} in this session`
      )
    case "FileError":
      return failure(500, Wire.Code.InternalError, "The stored files could not be read or written")
    case "ContextSyncFailed":
      return failure(409, Wire.Code.ContextSyncFailed, e.message)
  }
}

export interface Caller {
  readonly owner: string
  readonly host: string
}

export interface Outcome<D> {
  readonly data?: D | undefined
  readonly page?: Page | undefined
}

export type Handler = (fields: Wire.Form, ctx: Caller) => Effect.Effect<Reply, Failure>

/** One action's name and handler; each handler module exports a list of them. */
export type Entry = readonly [string, Handler]

export const invalid = (action: string, field: string, reason: string) =>
  new ValidationError({ operation: action, field, reason })

export const maxJsonDepth = 64

// Whether JSON text nests arrays and objects deeper than `limit`. Inside a
// string, brackets are counted apart (from the string's start): a string can be
// JSON text again (`PersistenceDataList[].Policy`), decoded later.
const nestsDeeper = (text: string, limit: number): boolean => {
  let depth = 0
  let inner = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash escapes the next character
      else if (c === 0x22) inString = false
      else if ((c === 0x7b || c === 0x5b) && ++inner > limit) return true
      else if (c === 0x7d || c === 0x5d) inner--
    } else if (c === 0x22) {
      inString = true
      inner = 0
    } else if ((c === 0x7b || c === 0x5b) && ++depth > limit) return true
    else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}

// Decodes an action's fields: JSON text (an object or array) nested past
// `maxJsonDepth` is refused first. Describing a bad value walks it, so one still
// too deep to describe (JSON text in a JSON string) gets a plain reason, not a stack overflow.
const decodeParams = <P, PI extends Wire.Form>(action: Wire.Action<string, P, PI, any, any>, fields: Wire.Form) => {
  const deep = Object.keys(fields).find((key) => {
    const value = fields[key] ?? ""
    return /^\s*[[{]/.test(value) && nestsDeeper(value, maxJsonDepth)
  })
  if (deep !== undefined) {
    return Effect.fail(invalid(action.name, deep, `is JSON nested deeper than ${maxJsonDepth} levels`))
  }
  return Effect.mapError(Schema.decodeUnknown(action.params)(fields), (e) => {
    try {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      const field = issue === undefined || issue.path.length === 0 ? "params" : issue.path.map(String).join(".")
      return invalid(action.name, field, issue?.message ?? e.message)
    } catch {
      return invalid(action.name, "params", "is invalid (nested too deep to describe)")
    }
  })
}

const reply = ({ data, page }: Outcome<unknown>): Reply =>
  data === undefined ? success(page) : success({ Data: data, ...page })

// Decode the fields with the action's own schema, run, encode `Data` with the same descriptor.
export const on = <P, PI extends Wire.Form, D, DI>(
  action: Wire.Action<string, P, PI, D, DI>,
  run: (params: P, ctx: Caller) => Effect.Effect<Outcome<D>, Failure>
): Entry => [action.name, (fields, ctx) =>
  Effect.suspend(() => decodeParams(action, fields)).pipe(
    Effect.flatMap((params) => run(params, ctx)),
    Effect.flatMap(({ data, page }) =>
      data === undefined
        ? Effect.succeed(success(page))
        : Effect.map(Effect.orDie(Schema.encode(action.data)(data)), (Data) => success({ Data, ...page }))
    )
  )]

// Hot path (BENCHMARKS.md §3a: Schema-encoding every reply's `Data` was 9.9 %
// of the local server's CPU under 16 GetSession callers): for `Data` the
// backend builds itself from stored rows, `run` returns it already in its wire
// form (`DI`, checked by the compiler) and it is sent as is, with no Schema
// pass. Schema output follows the schema's field order, so `run` writes the
// fields in that order too (the bytes stay identical).
export const onWire = <P, PI extends Wire.Form, D, DI>(
  action: Wire.Action<string, P, PI, D, DI>,
  run: (params: P, ctx: Caller) => Effect.Effect<Outcome<DI>, Failure>
): Entry => [action.name, (fields, ctx) =>
  Effect.suspend(() => decodeParams(action, fields)).pipe(
    Effect.flatMap((params) => run(params, ctx)),
    Effect.map(reply)
  )]

export const none = <D>(): Outcome<D> => ({})

/** The `seq` a `NextToken` resumes after (0 for none), or the refusal of a token we never issued. */
export const afterOf = (action: string, token: string | undefined): Effect.Effect<number, ValidationError> => {
  if (token === undefined || token === "") return Effect.succeed(0)
  const after = PageToken.decode(token)
  return Option.isSome(after)
    ? Effect.succeed(after.value)
    : Effect.fail(invalid(action, "NextToken", "is not a token this server issued"))
}

/** One page of rows fetched with `limit + 1`: the rows and the token of the next page ("" on the last). */
export const pageOf = <R extends { readonly seq: number }>(rows: ReadonlyArray<R>, limit: number) => {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { rows: page, nextToken: rows.length > limit && last !== undefined ? PageToken.encode(last.seq) : "" }
}
