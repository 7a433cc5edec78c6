/**
 * What the backend needs of a session's sandbox: its lifecycle (start, pause,
 * resume, destroy), running a command in it, and its files. The local runtime
 * implements it with directory trees and (bubblewrap) processes on this
 * machine; the fake (`@effect-agentbay/testing`) in memory, with commands a
 * test programs.
 *
 * Paths are the session's own: absolute sandbox paths such as
 * `/home/wuying/notes.txt` or `/tmp/x`, or relative to the session's home
 * (`/home/wuying`). An implementation confines them to the session's writable
 * tree (its home and its `/tmp`): `..` that climbs out, other absolute paths
 * and symlinks that lead out are a `FileError` with reason `Escape`. The
 * exception is the sandbox's read-only system view (`systemRoots`: `/etc`,
 * `/usr`, ...), which a session's commands see too: an implementation may let
 * `stat`, `read`, `list` and `walk` read it; writing there is `ReadOnly`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * The session's home, as its commands and file tools see it.
 *
 * @since 0.1.0
 * @category constants
 */
export const home = "/home/wuying"

/**
 * Where a session's volume (`VolumeId` at create) appears inside it: bound
 * there under bubblewrap, linked in process mode, mapped by the file tools.
 * The cloud's mount path is not known (spec: semantics.md §6); this is the
 * local choice.
 *
 * @since 0.1.0
 * @category constants
 */
export const volumeMount = `${home}/volume`

/**
 * What a session starts with besides its own tree.
 *
 * @since 0.1.0
 * @category options
 */
export interface StartOptions {
  /** The volume mounted at `volumeMount`: its data outlives the session. */
  readonly volume?: { readonly id: string } | undefined
}

/**
 * The read-only system directories a session sees (bound from the host under
 * bubblewrap).
 *
 * @since 0.1.0
 * @category constants
 */
export const systemRoots: ReadonlyArray<string> = [
  "/etc",
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32"
]

/**
 * The normalised absolute path when `path` lies in the read-only system view
 * (`systemRoots`), else undefined. Relative paths start at the session's home.
 *
 * @since 0.1.0
 * @category utils
 */
export const systemPath = (path: string): string | undefined => {
  if (path.includes("\0")) return undefined
  const normal = normalize(path)
  return systemRoots.some((root) => normal === root || normal.startsWith(`${root}/`)) ? normal : undefined
}

/**
 * A sandbox path made absolute and normalised with POSIX rules, lexically:
 * relative paths start at the session's home, `.` and `..` are applied (`..`
 * at the root stays at the root).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalize = (path: string): string => {
  const parts: Array<string> = path.startsWith("/") ? [] : home.split("/").filter((p) => p !== "")
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") parts.pop()
    else parts.push(part)
  }
  return `/${parts.join("/")}`
}

/**
 * How isolated the sessions are.
 *
 * @since 0.1.0
 * @category models
 */
export interface Isolation {
  readonly level: "bubblewrap" | "process" | "memory"
  /** One sentence for people: what isolates the sessions, or that nothing does and how to fix it. */
  readonly detail: string
}

/**
 * What one command produced. Each of stdout and stderr is capped by the
 * implementation; a note at its end says what was dropped.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExecResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  /** The command ran past its timeout and was killed (with everything it started). */
  readonly timedOut: boolean
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ExecOptions {
  /** Real time. Default 60 s. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Working directory as the command sees it; relative paths start at the session's home. */
  readonly cwd?: string | undefined
  /** Added to (and overriding) the base environment `PATH`, `HOME`, `LANG`. */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Written to the command's standard input (otherwise it reads /dev/null). */
  readonly stdin?: string | Uint8Array | undefined
}

/**
 * A sandbox operation failed (spawn failed, session unknown to the sandbox,
 * the session is paused, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class SandboxError extends Schema.TaggedError<SandboxError>("@effect-agentbay/backend/SandboxError")(
  "SandboxError",
  { sessionId: Schema.String, operation: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `Sandbox.${this.operation}${this.sessionId === "" ? "" : ` ${this.sessionId}`}: ${this.reason}`
  }
}

/**
 * Why a file operation was refused.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileErrorReason = Schema.Literal(
  "NotFound",
  "Exists",
  "IsDirectory",
  "NotDirectory",
  "NotEmpty",
  "Escape",
  "Invalid",
  "TooLarge",
  "ReadOnly",
  "Io"
)

/**
 * A file operation failed. `path` is the path as the caller gave it.
 *
 * @since 0.1.0
 * @category errors
 */
export class FileError extends Schema.TaggedError<FileError>("@effect-agentbay/backend/FileError")("FileError", {
  reason: FileErrorReason,
  path: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FileStat {
  /** The last path component. */
  readonly name: string
  /** The absolute sandbox path. */
  readonly path: string
  readonly isDirectory: boolean
  /** Bytes. */
  readonly size: number
  /** Last modification, epoch milliseconds. */
  readonly modTime: number
  /** Permission bits, e.g. 0o644. */
  readonly mode: number
}

/**
 * How `write` treats an existing file.
 *
 * @since 0.1.0
 * @category models
 */
export type WriteMode = "overwrite" | "append" | "create_new"

/**
 * One session's files. Every path is confined to the session's tree (see the
 * module's description).
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionFiles {
  readonly stat: (path: string) => Effect.Effect<FileStat, FileError>
  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  readonly read: (path: string, offset: number, length: number) => Effect.Effect<Uint8Array, FileError>
  /** Writes `bytes`; parent directories are created as needed. */
  readonly write: (path: string, bytes: Uint8Array, mode: WriteMode) => Effect.Effect<void, FileError>
  /** Creates the directory and its missing parents; an existing directory is fine. */
  readonly makeDirectory: (path: string) => Effect.Effect<void, FileError>
  /** Removes a file, or a directory with everything in it. */
  readonly remove: (path: string) => Effect.Effect<void, FileError>
  /** Moves (renames) a file or directory; the destination must not exist. */
  readonly move: (source: string, destination: string) => Effect.Effect<void, FileError>
  /** The entries of a directory, sorted by name. */
  readonly list: (path: string) => Effect.Effect<ReadonlyArray<FileStat>, FileError>
  /**
   * Every file and directory below `path` (not `path` itself), depth first,
   * sorted by path. Bounded by the implementation (a `TooLarge` error past it).
   */
  readonly walk: (path: string) => Effect.Effect<ReadonlyArray<FileStat>, FileError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendSandbox extends Context.Tag("@effect-agentbay/backend/BackendSandbox")<
  BackendSandbox,
  BackendSandbox.Service
>() {}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendSandbox {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly isolation: Isolation
    /**
     * Makes the session's tree (if missing) and starts it. Idempotent: called
     * again after a server restart it keeps the tree.
     */
    readonly start: (sessionId: string, options?: StartOptions) => Effect.Effect<void, SandboxError>
    /**
     * Runs `argv` inside the session, cwd = its home unless given. Fails if
     * the session is not started or is paused. Nothing it starts outlives it.
     */
    readonly exec: (
      sessionId: string,
      argv: ReadonlyArray<string>,
      options?: ExecOptions
    ) => Effect.Effect<ExecResult, SandboxError>
    /** Freezes every process of the session; returns once they are all stopped. */
    readonly pause: (sessionId: string) => Effect.Effect<void, SandboxError>
    readonly resume: (sessionId: string) => Effect.Effect<void, SandboxError>
    /** Kills every process of the session and removes its tree. Idempotent. */
    readonly destroy: (sessionId: string) => Effect.Effect<void>
    /** The session's files (whether it is started or not). */
    readonly files: (sessionId: string) => SessionFiles
    /**
     * Removes a volume's data (DeleteVolume). Implementations without volumes
     * leave it out; the backend then refuses to mount volumes.
     */
    readonly removeVolume?: ((volumeId: string) => Effect.Effect<void>) | undefined
    /** The size in bytes of the disk the session's files are on (`get_metrics`), when known. */
    readonly diskTotal?: ((sessionId: string) => Effect.Effect<number>) | undefined
  }
}
