/**
 * Where the backend keeps what outlives sessions: contexts and their stored
 * files, the sync tasks GetContextInfo reports, volumes, networks, the tokens
 * of pre-signed file URLs and the recycle lifetimes of synced data. The
 * interface both vaults implement: the local runtime's (`LocalVault`: SQLite
 * rows, files under the data directory) and the fake's (`MemoryVault`).
 *
 * Every write is durable before its effect succeeds (the local vault commits
 * and fsyncs), so an acknowledged request survives a SIGKILL. Record failures
 * are defects, as in `BackendStore`; file operations fail with `FileError`.
 *
 * Context files are addressed by **sandbox absolute paths** (`/home/wuying/data/a.txt`):
 * files synced from sandbox directory D are stored under D (spec: semantics.md §4.7).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { FileError } from "./BackendSandbox.js"

/**
 * `State` values of a context (spec: semantics.md §4.1).
 *
 * @since 0.1.0
 * @category models
 */
export type ContextState = "available" | "in-use" | "pre-available" | "clearing"

/**
 * A context as stored. Times are epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextRow {
  /** Insertion order, for keyset paging. */
  readonly seq: number
  readonly id: string
  /** SHA-256 (hex) of the API key that created it, as for sessions. */
  readonly owner: string
  /** Unique per owner. */
  readonly name: string
  readonly state: ContextState
  /** `file_transfer` contexts (one per session, GetAndLoadInternalContext) are not listed by ListContexts. */
  readonly kind: "user" | "file_transfer"
  readonly createdAt: number
  readonly lastUsedAt: number
}

/**
 * One context sync task, as GetContextInfo reports it (times in Unix seconds
 * there; epoch milliseconds here).
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncTaskRow {
  readonly sessionId: string
  readonly contextId: string
  readonly path: string
  readonly taskType: "upload" | "download"
  readonly status: "Running" | "Success" | "Failed"
  readonly startTime: number
  readonly finishTime: number | null
  readonly errorMessage: string
}

/**
 * A volume as stored. `status` is `Available` (the cloud's values are open).
 *
 * @since 0.1.0
 * @category models
 */
export interface VolumeRow {
  readonly seq: number
  readonly id: string
  readonly owner: string
  /** Unique per owner and image. */
  readonly name: string
  readonly imageId: string
  readonly status: string
  readonly createdAt: number
}

/**
 * A network as stored: its latest bind token and whether it is online.
 *
 * @since 0.1.0
 * @category models
 */
export interface NetworkRow {
  readonly id: string
  readonly owner: string
  readonly token: string
  readonly online: boolean
  readonly createdAt: number
}

/**
 * What a pre-signed URL's token grants: one `PUT` (upload) or `GET`
 * (download) of one context file until `expiresAt` (epoch milliseconds).
 * The token itself is 128 random bits, hex; only its SHA-256 need be stored.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileToken {
  readonly token: string
  readonly kind: "upload" | "download"
  readonly owner: string
  readonly contextId: string
  readonly path: string
  readonly expiresAt: number
}

/**
 * How long synced data under `path` of a context is kept (from a sync policy's
 * `recyclePolicy`): past `expiresAt` the sweep removes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecycleRow {
  readonly contextId: string
  /** Absolute sandbox path; the whole context when `""`. */
  readonly path: string
  readonly expiresAt: number
}

/**
 * A stored file or folder of a context.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredFile {
  /** Last path component. */
  readonly name: string
  /** Absolute sandbox path. */
  readonly path: string
  readonly isDirectory: boolean
  readonly size: number
  /** Epoch milliseconds. */
  readonly modTime: number
}

/**
 * The stored files of contexts. Folders exist as the parents of files (and may
 * be listed); removing the last file of a folder may leave or drop the folder.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextFiles {
  readonly stat: (contextId: string, path: string) => Effect.Effect<Option.Option<StoredFile>, FileError>
  /** The direct children of a folder, sorted by name (empty when it does not exist). */
  readonly list: (contextId: string, folder: string) => Effect.Effect<ReadonlyArray<StoredFile>, FileError>
  /** Every file (not folder) at or below `path`, sorted by path. */
  readonly walk: (contextId: string, path: string) => Effect.Effect<ReadonlyArray<StoredFile>, FileError>
  /** The bytes of one file, in chunks (never all in memory at once). */
  readonly read: (contextId: string, path: string) => Stream.Stream<Uint8Array, FileError>
  /**
   * Stores `bytes` at `path`, replacing any file there, atomically: readers see
   * the old file or the whole new one, never a part (a failed or interrupted
   * write leaves the old one). Durable before it succeeds. Returns the size.
   */
  readonly write: <E>(
    contextId: string,
    path: string,
    bytes: Stream.Stream<Uint8Array, E>
  ) => Effect.Effect<number, FileError | E>
  /** Removes a file, or a folder with everything below; whether anything was there. */
  readonly remove: (contextId: string, path: string) => Effect.Effect<boolean, FileError>
  /** Removes every stored file of the context. */
  readonly clear: (contextId: string) => Effect.Effect<void, FileError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendVault
  extends Context.Tag("@effect-agentbay/backend/BackendVault")<BackendVault, BackendVault.Service>()
{}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendVault {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    // Contexts
    readonly insertContext: (row: Omit<ContextRow, "seq">) => Effect.Effect<void>
    /** By id; with `owner`, only when that owner's. */
    readonly findContext: (id: string, owner?: string) => Effect.Effect<Option.Option<ContextRow>>
    readonly findContextByName: (owner: string, name: string) => Effect.Effect<Option.Option<ContextRow>>
    /** `user` contexts of an owner after `seq` `after`, oldest first, and how many there are in all. */
    readonly listContexts: (
      query: { readonly owner: string; readonly after: number; readonly limit: number }
    ) => Effect.Effect<{ readonly rows: ReadonlyArray<ContextRow>; readonly total: number }>
    readonly updateContext: (
      id: string,
      patch: Partial<Pick<ContextRow, "name" | "state" | "lastUsedAt">>
    ) => Effect.Effect<void>
    /** Removes the record, its files, its tokens and its recycle rows. */
    readonly deleteContext: (id: string) => Effect.Effect<void, FileError>
    readonly files: ContextFiles

    // Sync tasks
    /** Inserts or replaces the task of (sessionId, contextId, path, taskType). */
    readonly putTask: (task: SyncTaskRow) => Effect.Effect<void>
    /** A session's tasks, oldest first. */
    readonly tasks: (sessionId: string) => Effect.Effect<ReadonlyArray<SyncTaskRow>>
    /** Drops the tasks of sessions whose records are gone. */
    readonly dropTasks: (sessionIds: ReadonlyArray<string>) => Effect.Effect<void>

    // Volumes
    readonly insertVolume: (row: Omit<VolumeRow, "seq">) => Effect.Effect<void>
    readonly findVolume: (id: string, owner?: string) => Effect.Effect<Option.Option<VolumeRow>>
    readonly findVolumeByName: (owner: string, imageId: string, name: string) => Effect.Effect<Option.Option<VolumeRow>>
    /** An owner's volumes of one image, filtered by name and ids, after `seq` `after`, oldest first. */
    readonly listVolumes: (query: {
      readonly owner: string
      readonly imageId: string
      readonly name?: string | undefined
      readonly ids?: ReadonlyArray<string> | undefined
      readonly after: number
      readonly limit: number
    }) => Effect.Effect<ReadonlyArray<VolumeRow>>
    /** Removes the record (the sandbox removes the data: `BackendSandbox.removeVolume`). */
    readonly deleteVolume: (id: string) => Effect.Effect<void>

    // Networks
    readonly insertNetwork: (row: NetworkRow) => Effect.Effect<void>
    readonly findNetwork: (id: string, owner?: string) => Effect.Effect<Option.Option<NetworkRow>>
    readonly updateNetwork: (id: string, patch: Partial<Pick<NetworkRow, "token" | "online">>) => Effect.Effect<void>

    // Pre-signed URL tokens
    readonly insertToken: (token: FileToken) => Effect.Effect<void>
    readonly findToken: (token: string) => Effect.Effect<Option.Option<FileToken>>
    readonly deleteToken: (token: string) => Effect.Effect<void>
    /** Drops the tokens of a context's file or folder: `path` itself and everything below it. */
    readonly deleteTokensFor: (contextId: string, path: string) => Effect.Effect<void>
    /** Drops tokens that expired before `now`. */
    readonly purgeTokens: (now: number) => Effect.Effect<void>

    // Recycle lifetimes
    /** Inserts or replaces the lifetime of (contextId, path). */
    readonly setRecycle: (row: RecycleRow) => Effect.Effect<void>
    /** Lifetimes past `now`. */
    readonly dueRecycles: (now: number) => Effect.Effect<ReadonlyArray<RecycleRow>>
    readonly deleteRecycle: (contextId: string, path: string) => Effect.Effect<void>
  }
}
