// What sessions do with contexts, volumes and networks (spec: semantics.md
// §4.3, §5, §6): the checks of CreateMcpSession's `PersistenceDataList`,
// `VolumeId` and `NetworkId`, the downloads after create, the uploads before a
// release, SyncContext, and which contexts, volumes and networks live sessions
// use. Internal: BackendSessions.ts builds it.
import { NotFound, ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { SessionStatus } from "@effect-agentbay/core/Session"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type BackendSandbox, normalize, type StartOptions } from "../BackendSandbox.js"
import type * as BackendStore from "../BackendStore.js"
import * as BackendSync from "../BackendSync.js"
import type { SyncTarget, Usage } from "../BackendSync.js"
import type { BackendVault } from "../BackendVault.js"
import * as SyncPolicy from "./syncPolicy.js"

const text = (u: unknown) => (typeof u === "string" && u !== "" ? u : undefined)

/** The volume a session mounts (from its stored params). */
export const startOptions = (params: Readonly<Record<string, unknown>>): StartOptions | undefined => {
  const volume = text(params.VolumeId)
  return volume === undefined ? undefined : { volume: { id: volume } }
}

/** Live: not gone, and not on its way to gone (a delete accepted, its sandbox destroyed). */
export const isLive = (row: BackendStore.SessionRow) =>
  !Lifecycle.isGone(row.status) && !(row.pendingStatus !== null && Lifecycle.isGone(row.pendingStatus))

export interface Deps {
  readonly store: BackendStore.BackendStore.Service
  readonly sandbox: BackendSandbox.Service
  readonly vault: BackendVault.Service
  readonly engine: BackendSync.Engine
  /** The statuses of sessions that no longer exist. */
  readonly gone: ReadonlyArray<SessionStatus>
}

const prepare = ({ sandbox, vault }: Deps, owner: string, params: Readonly<Record<string, unknown>>) =>
  Effect.gen(function*() {
    yield* SyncPolicy.check(params)
    for (const id of new Set(BackendSync.entriesOf(params).map((e) => e.contextId))) {
      const found = yield* vault.findContext(id, owner)
      if (Option.isNone(found) || found.value.kind !== "user") return yield* new NotFound({ resource: "Context", id })
    }
    const volume = text(params.VolumeId)
    if (volume !== undefined) {
      if (sandbox.removeVolume === undefined) {
        return yield* new ValidationError({
          operation: "CreateMcpSession",
          field: "VolumeId",
          reason: "volumes are not supported by this sandbox"
        })
      }
      if (Option.isNone(yield* vault.findVolume(volume, owner))) {
        return yield* new NotFound({ resource: "Volume", id: volume })
      }
    }
    const network = text(params.NetworkId)
    if (network !== undefined && Option.isNone(yield* vault.findNetwork(network, owner))) {
      return yield* new NotFound({ resource: "Network", id: network })
    }
  })

const run = (
  { engine, sandbox }: Deps,
  row: BackendStore.SessionRow,
  entry: BackendSync.SyncEntry,
  mode: SyncTarget["mode"]
) => engine.run(row.id, sandbox.files(row.id), entry, mode)

// The cloud runs these downloads asynchronously (`DownloadAsync`) and the
// client waits for their tasks; here they finish before CreateMcpSession
// answers, and the client's wait (GetContextInfo) then ends at once. A failed
// download is a `Failed` task: the session stays (the SDK decides).
const download = (d: Deps, row: BackendStore.SessionRow) =>
  Effect.forEach(
    BackendSync.entriesOf(row.params).filter((e) => e.policy.autoDownload),
    (entry) => run(d, row, entry, "download"),
    { discard: true }
  )

// UploadBeforeResourceRelease: every autoUpload entry is saved before the
// session goes; a context deleted meanwhile is skipped. Any failure keeps the session.
const upload = (d: Deps, row: BackendStore.SessionRow) =>
  Effect.gen(function*() {
    let failed = 0
    for (const entry of BackendSync.entriesOf(row.params).filter((e) => e.policy.autoUpload)) {
      if (Option.isNone(yield* d.vault.findContext(entry.contextId))) continue
      if ((yield* run(d, row, entry, "upload")).status === "Failed") failed++
    }
    if (failed > 0) {
      const error = new BackendSync.ContextSyncFailed({ sessionId: row.id, failed })
      yield* Effect.logWarning(`agentbay backend: ${error.message}`)
      return yield* error
    }
  })

// A session's file-transfer context goes with it, with its files.
const dropFileTransfer = ({ vault }: Deps, row: BackendStore.SessionRow) =>
  Effect.gen(function*() {
    const found = yield* vault.findContextByName(row.owner, BackendSync.fileTransferName(row.id))
    if (Option.isNone(found) || found.value.kind !== "file_transfer") return
    yield* vault.deleteContext(found.value.id).pipe(
      Effect.catchAll((e) =>
        Effect.logWarning(`agentbay backend: could not remove the file-transfer context of ${row.id}: ${e.reason}`)
      )
    )
  })

const usage = ({ gone, store }: Deps, owner: string) =>
  Effect.map(store.sessionsExcept(gone), (rows): Usage => {
    const contexts = new Map<string, Array<string>>()
    const volumes = new Set<string>()
    const networks = new Set<string>()
    for (const row of rows) {
      if (row.owner !== owner || !isLive(row)) continue
      for (const e of BackendSync.entriesOf(row.params)) {
        const users = contexts.get(e.contextId) ?? []
        if (!users.includes(row.id)) contexts.set(e.contextId, [...users, row.id])
      }
      const volume = text(row.params.VolumeId)
      if (volume !== undefined) volumes.add(volume)
      const network = text(row.params.NetworkId)
      if (network !== undefined) networks.add(network)
    }
    return { contexts, volumes, networks }
  })

// SyncContext: one (context, path) of the caller's, any path in the session's
// tree (with the session's policy for it when it syncs that pair, else the
// default policy), or every entry of the session.
const sync = (d: Deps, row: BackendStore.SessionRow, target: SyncTarget) =>
  Effect.gen(function*() {
    const entries = BackendSync.entriesOf(row.params)
    const { contextId, path } = target
    if ((contextId === undefined) !== (path === undefined)) {
      const field = contextId === undefined ? "ContextId" : "Path"
      return yield* new ValidationError({
        operation: "SyncContext",
        field,
        reason: "give both ContextId and Path, or neither"
      })
    }
    if (contextId === undefined || path === undefined) {
      return yield* Effect.forEach(entries, (e) => run(d, row, e, target.mode), { discard: true })
    }
    if (Option.isNone(yield* d.vault.findContext(contextId, row.owner))) {
      return yield* new NotFound({ resource: "Context", id: contextId })
    }
    const normal = normalize(path)
    const entry = entries.find((e) => e.contextId === contextId && e.path === normal) ??
      { contextId, path: normal, policy: BackendSync.defaultPolicy }
    yield* run(d, row, entry, target.mode)
  })

export const make = (deps: Deps) => ({
  prepare: (owner: string, params: Readonly<Record<string, unknown>>) => prepare(deps, owner, params),
  download: (row: BackendStore.SessionRow) => download(deps, row),
  upload: (row: BackendStore.SessionRow) => upload(deps, row),
  dropFileTransfer: (row: BackendStore.SessionRow) => dropFileTransfer(deps, row),
  usage: (owner: string) => usage(deps, owner),
  sync: (row: BackendStore.SessionRow, target: SyncTarget) => sync(deps, row, target)
})
