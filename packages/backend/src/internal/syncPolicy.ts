// How the backend reads sync policies and a session's `PersistenceDataList`,
// with core's `SyncPolicy` (the client's own schema and defaults, so both sides
// agree): any subset of keys, `null` sub-policies, unknown keys ignored.
// CreateMcpSession refuses a policy that does not decode (`check`); stored
// params were checked then, and read back with the defaults for anything
// unreadable. Internal: the public surface is BackendSync.ts.
import { ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as SyncPolicy from "@effect-agentbay/core/SyncPolicy"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { normalize } from "../BackendSandbox.js"
import type * as BackendSync from "../BackendSync.js"

export interface WhiteList {
  /** Relative to the entry's path; "" = all of it. */
  readonly path: string
  readonly excludePaths: ReadonlyArray<string>
}

export interface Policy {
  readonly autoUpload: boolean
  readonly uploadMode: "File" | "Archive"
  readonly autoDownload: boolean
  readonly syncLocalFile: boolean
  readonly extract: boolean
  readonly deleteSrcFile: boolean
  readonly extractToCurrentFolder: boolean
  /** Days the uploaded data is kept; undefined = forever (`Lifecycle_Forever`). */
  readonly lifecycleDays: number | undefined
  /** Relative to the entry's path; "" = all of it. */
  readonly recyclePaths: ReadonlyArray<string>
  /** Empty: nothing syncs (core's reading of an empty list). */
  readonly whiteLists: ReadonlyArray<WhiteList>
}

const flat = (e: SyncPolicy.Effective): Policy => ({
  autoUpload: e.uploadPolicy.autoUpload,
  uploadMode: e.uploadPolicy.uploadMode,
  autoDownload: e.downloadPolicy.autoDownload,
  syncLocalFile: e.deletePolicy.syncLocalFile,
  extract: e.extractPolicy.extract,
  deleteSrcFile: e.extractPolicy.deleteSrcFile,
  extractToCurrentFolder: e.extractPolicy.extractToCurrentFolder,
  lifecycleDays: SyncPolicy.lifecycleDays[e.recyclePolicy.lifecycle],
  recyclePaths: e.recyclePolicy.paths,
  whiteLists: e.bwList.whiteLists
})

export const defaults: Policy = flat(SyncPolicy.effective(undefined))

// A policy as sent (an object, or its JSON text when read from elsewhere), or why it is refused.
const read = (raw: unknown): Either.Either<Policy, string> => {
  if (raw === undefined || raw === null) return Either.right(defaults)
  const decoded = typeof raw === "string" ? SyncPolicy.decodeText(raw) : SyncPolicy.decode(raw)
  return Either.map(decoded, (p) => flat(SyncPolicy.effective(p)))
}

export const decode = (raw: unknown): Policy => Either.getOrElse(read(raw), () => defaults)

type Obj = Readonly<Record<string, unknown>>

const isObject = (u: unknown): u is Obj => typeof u === "object" && u !== null && !Array.isArray(u)

const items = (params: Obj): ReadonlyArray<Obj> => {
  const list = typeof params.PersistenceDataList === "string"
    ? Either.getOrElse(Either.try(() => JSON.parse(params.PersistenceDataList as string) as unknown), () => undefined)
    : params.PersistenceDataList
  return Array.isArray(list) ? list.filter(isObject) : []
}

export const entriesOf = (params: Obj): ReadonlyArray<BackendSync.SyncEntry> =>
  items(params).flatMap((item) =>
    typeof item.ContextId === "string" && item.ContextId !== "" && typeof item.Path === "string" && item.Path !== ""
      ? [{ contextId: item.ContextId, path: normalize(item.Path), policy: decode(item.Policy) }]
      : []
  )

/** Refuses (at create) an entry whose policy does not decode, naming it. */
export const check = (params: Obj): Effect.Effect<void, ValidationError> =>
  Effect.forEach(items(params), (item, i) =>
    Either.match(read(item.Policy), {
      onLeft: (reason) =>
        Effect.fail(
          new ValidationError({ operation: "CreateMcpSession", field: `PersistenceDataList.${i}.Policy`, reason })
        ),
      onRight: () => Effect.void
    }), { discard: true })
