/**
 * Files in a session, over the MCP file tools (`read_file`, `write_file`, ...).
 * Named `AgentBayFileSystem`, not `FileSystem`, which is `@effect/platform`'s.
 * Every operation takes the session first (a `Session` or its id), so they
 * compose and can be stubbed; `session.filesystem` offers them bound.
 *
 * Large files move in 61 440-byte windows, transparently. Reads ask
 * `get_file_info` for the size and read binary windows (base64), decoded to
 * text once at the end, so a multi-byte character split across windows is
 * exact (the official client corrupts it). Writes go in pieces of at most
 * 61 440 bytes of UTF-8 cut on code-point boundaries: the first with the
 * requested mode, the rest appended.
 *
 * Binary content: `write_file` carries text only, so `writeFile` accepts bytes
 * that are UTF-8 (they round-trip exactly) and refuses any other bytes with a
 * `ValidationError` before sending; binary and large files go with the file
 * transfer. Reading is exact for any bytes (`readFileBytes`, `readFileStream`).
 *
 * File transfer (`uploadFile`, `downloadFile` and their variants) moves any
 * bytes, of any size, through the session's file-transfer context (spec:
 * semantics.md §4.8), as the official client does: upload = the context's
 * upload URL, a `PUT` of the bytes, a sync of the path into the sandbox
 * (`download`) and a wait for its task, then the staging copy is deleted;
 * download = a sync of the path out of the sandbox (`upload`), its wait, the
 * download URL, a `GET` streamed to the caller, then the copy is deleted. The
 * bytes stream both ways (a 50 MiB file is never whole in memory unless the
 * caller collects it). The pre-signed URLs are credentials: never traced,
 * logged or put in errors. Unlike the official client, a failed sync is not
 * retried with fewer arguments (its retries can only fail).
 *
 * @since 0.1.0
 */
import type { PlatformError } from "@effect/platform/Error"
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"

import type { WaitOptions } from "./AgentBay.js"
import * as AgentBayClient from "./AgentBayClient.js"
import type {
  CommonError,
  ContextSyncError,
  InvalidState,
  NotFound,
  ToolError,
  ValidationError,
  WaitTimeout
} from "./AgentBayError.js"
import * as Internal from "./internal/agentBayFileSystem.js"
import * as Transfer from "./internal/fileTransfer.js"
import type * as McpTool from "./McpTool.js"
import type { Bound as BoundTo, SessionRef } from "./Session.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayFileSystem extends Context.Tag("@effect-agentbay/core/AgentBayFileSystem")<
  AgentBayFileSystem,
  AgentBayFileSystem.Service
>() {}

/**
 * What a file operation can fail with. `ToolError` carries the tool's own
 * message (a missing file, a refused path).
 *
 * @since 0.1.0
 * @category models
 */
export type FileError = CommonError | NotFound | InvalidState | ValidationError | ToolError

/**
 * What a file transfer can fail with: the network; `NotFound` for an unknown
 * session (or a file the sandbox does not have, on download); `ValidationError`
 * before anything is sent (a relative `remotePath`, bad options); `InvalidState`
 * when the session is paused; `ContextSyncError` when the sync task between storage and sandbox failed;
 * `WaitTimeout` when it did not finish within the wait. A storage URL that
 * refuses (expired) is `AuthError`, any other refusing status `TransportError`.
 *
 * @since 0.1.0
 * @category models
 */
export type TransferError = CommonError | NotFound | InvalidState | ValidationError | ContextSyncError | WaitTimeout

/**
 * @since 0.1.0
 * @category options
 */
export interface TransferOptions {
  /**
   * How the sync task is waited for (first poll at once; one bound covers the
   * whole wait). Each field left out takes the service's default: under
   * `AgentBay.layer` (and the fake, the local runtime) the layer's
   * context-sync wait (`AgentBay.WaitDefaults`; the cloud's: every 1.5 s for
   * up to 225 s); built with `fromClient` alone, `defaults`.
   */
  readonly wait?: WaitOptions | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface UploadOptions extends TransferOptions {
  /**
   * The byte count of a `Stream` source, sent as `content-length` (bytes and
   * local files send theirs). Without it a stream goes chunked, which some
   * storage refuses.
   */
  readonly contentLength?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type FileInfo = McpTool.FileInfo

/**
 * @since 0.1.0
 * @category models
 */
export type DirectoryEntry = typeof McpTool.DirectoryEntry.Type

/**
 * @since 0.1.0
 * @category models
 */
export type FileChange = typeof McpTool.FileChange.Type

/**
 * One find/replace of `editFile`.
 *
 * @since 0.1.0
 * @category models
 */
export type FileEdit = typeof McpTool.FileEdit.Type

/**
 * One file of `readMultipleFiles`.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileContent {
  readonly path: string
  readonly content: string
}

/**
 * @since 0.1.0
 * @category options
 */
export interface WriteOptions {
  /** `overwrite` (default), `append`, or `create_new` (fails if the file exists). */
  readonly mode?: typeof McpTool.WriteMode.Type | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface SearchOptions {
  /** Glob patterns of paths to leave out. */
  readonly exclude?: ReadonlyArray<string> | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface EditOptions {
  /** Check that every edit applies without writing. Default false. */
  readonly dryRun?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayFileSystem {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The whole file as UTF-8 text (invalid sequences become U+FFFD), read in windows. */
    readonly readFile: (session: SessionRef, path: string) => Effect.Effect<string, FileError>
    /** The whole file, byte for byte, read in windows. */
    readonly readFileBytes: (session: SessionRef, path: string) => Effect.Effect<Uint8Array, FileError>
    /** The file as a stream of its 61 440-byte windows, each read when the consumer pulls. */
    readonly readFileStream: (session: SessionRef, path: string) => Stream.Stream<Uint8Array, FileError>
    /** Text, or bytes that are UTF-8 (see the module note on binary content). */
    readonly writeFile: (
      session: SessionRef,
      path: string,
      content: string | Uint8Array,
      options?: WriteOptions
    ) => Effect.Effect<void, FileError>
    /** Creates the directory and its missing parents. */
    readonly createDirectory: (session: SessionRef, path: string) => Effect.Effect<void, FileError>
    /** Deletes a file, or a directory with its contents. */
    readonly deleteFile: (session: SessionRef, path: string) => Effect.Effect<void, FileError>
    readonly moveFile: (session: SessionRef, source: string, destination: string) => Effect.Effect<void, FileError>
    readonly getFileInfo: (session: SessionRef, path: string) => Effect.Effect<FileInfo, FileError>
    readonly listDirectory: (
      session: SessionRef,
      path: string
    ) => Effect.Effect<ReadonlyArray<DirectoryEntry>, FileError>
    /** Paths below `path` whose name matches the glob `pattern`. */
    readonly searchFiles: (
      session: SessionRef,
      path: string,
      pattern: string,
      options?: SearchOptions
    ) => Effect.Effect<ReadonlyArray<string>, FileError>
    readonly readMultipleFiles: (
      session: SessionRef,
      paths: ReadonlyArray<string>
    ) => Effect.Effect<ReadonlyArray<FileContent>, FileError>
    /** Applies the edits in order (each `oldText` must occur); the tool's summary text. */
    readonly editFile: (
      session: SessionRef,
      path: string,
      edits: ReadonlyArray<FileEdit>,
      options?: EditOptions
    ) => Effect.Effect<string, FileError>
    /** Changes below `path` since the previous call for it (the first call starts watching). */
    readonly getFileChanges: (session: SessionRef, path: string) => Effect.Effect<ReadonlyArray<FileChange>, FileError>
    /**
     * Puts `source` (bytes, or a stream pulled as the connection takes it) at
     * the absolute `remotePath` in the sandbox, through the file-transfer
     * context (see the module note). A failure of the stream is the call's.
     */
    readonly uploadFile: <E = never>(
      session: SessionRef,
      source: Uint8Array | Stream.Stream<Uint8Array, E>,
      remotePath: string,
      options?: UploadOptions
    ) => Effect.Effect<void, TransferError | E>
    /** `uploadFile` of a local file, streamed from `FileSystem` with its size as `content-length`. */
    readonly uploadFileFrom: (
      session: SessionRef,
      localPath: string,
      remotePath: string,
      options?: TransferOptions
    ) => Effect.Effect<void, TransferError | PlatformError, FileSystem.FileSystem>
    /**
     * The file at the absolute `remotePath` as a stream, read as the consumer
     * pulls (nothing is sent until it runs). The staging copy is deleted when
     * the stream ends, however it ends.
     */
    readonly downloadFile: (
      session: SessionRef,
      remotePath: string,
      options?: TransferOptions
    ) => Stream.Stream<Uint8Array, TransferError>
    /** `downloadFile`, collected. */
    readonly downloadFileBytes: (
      session: SessionRef,
      remotePath: string,
      options?: TransferOptions
    ) => Effect.Effect<Uint8Array, TransferError>
    /**
     * `downloadFile` written to `localPath`: into a new file beside it, renamed
     * over it once complete (a failed download leaves no partial file).
     */
    readonly downloadFileTo: (
      session: SessionRef,
      remotePath: string,
      localPath: string,
      options?: TransferOptions
    ) => Effect.Effect<void, TransferError | PlatformError, FileSystem.FileSystem>
  }

  /**
   * The service with the session bound, as `session.filesystem` offers it.
   * (`Bound` alone would lose the type of `uploadFile`'s stream errors.)
   *
   * @since 0.1.0
   * @category models
   */
  export interface Bound extends BoundTo<Omit<Service, "uploadFile">> {
    readonly uploadFile: <E = never>(
      source: Uint8Array | Stream.Stream<Uint8Array, E>,
      remotePath: string,
      options?: UploadOptions
    ) => Effect.Effect<void, TransferError | E>
  }
}

/**
 * What the service needs besides a client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Defaults {
  /** The default of a transfer's sync wait. */
  readonly wait: WaitOptions
}

/**
 * The defaults when none are given: the official client's file-transfer wait
 * (a poll every 1.5 s for up to 30 s). The services of `AgentBay.layer` use the
 * layer's context-sync wait instead.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Defaults = Transfer.defaults

/**
 * The operations over a client (what `layer` provides, with `defaults`;
 * `AgentBay.layer` builds them with the layer's context-sync wait).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (
  client: AgentBayClient.AgentBayClient.Service,
  options: Defaults = defaults
): AgentBayFileSystem.Service => Internal.make(client, options)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBayFileSystem.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBayFileSystem, never, AgentBayClient.AgentBayClient> = Layer.effect(
  AgentBayFileSystem,
  make
)
