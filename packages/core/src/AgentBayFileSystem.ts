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
 * `ValidationError` before sending; binary files need the file-transfer API
 * (uploads through context storage), which comes later. Reading is exact for
 * any bytes (`readFileBytes`, `readFileStream`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import * as AgentBayClient from "./AgentBayClient.js"
import type { CommonError, InvalidState, NotFound, ToolError, ValidationError } from "./AgentBayError.js"
import * as Internal from "./internal/agentBayFileSystem.js"
import type * as McpTool from "./McpTool.js"
import type { SessionRef } from "./Session.js"

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
    readonly listDirectory: (session: SessionRef, path: string) => Effect.Effect<ReadonlyArray<DirectoryEntry>, FileError>
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
  }
}

/**
 * The operations over a client (what `layer` provides).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): AgentBayFileSystem.Service =>
  Internal.make(client)

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
