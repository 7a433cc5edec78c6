// Helpers shared by the modules that touch files on the host (LocalFiles, LocalVault): errno codes to
// `FileError`s that name only the caller's path, and bounded parallel mapping. Internal: not exported
// from the package.
import { FileError } from "@effect-agentbay/backend/BackendSandbox"
import * as Effect from "effect/Effect"
import * as FsP from "node:fs/promises"

/** The errno code of a Node error (`ENOENT`, ...), if it has one. */
export const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/** Maps a Node error to a `FileError` about `path` (the caller's path): only the errno code, never its message. */
export const fromErrno = (path: string, error: unknown): FileError => {
  if (error instanceof FileError) return error
  const code = codeOf(error)
  const make = (reason: FileError["reason"], detail: string) => new FileError({ reason, path, detail })
  switch (code) {
    case "ENOENT":
      return make("NotFound", "no such file or directory")
    case "EEXIST":
      return make("Exists", "already exists")
    case "EISDIR":
      return make("IsDirectory", "is a directory")
    case "ENOTDIR":
      return make("NotDirectory", "not a directory")
    case "ENOTEMPTY":
      return make("NotEmpty", "directory not empty")
    case "ELOOP":
      return make("Escape", "is a symbolic link")
    case "EINVAL":
    case "ENAMETOOLONG":
      return make("Invalid", `invalid path (${code})`)
    default:
      return make("Io", `i/o error (${code ?? "unknown"})`)
  }
}

/** Throws a `FileError` (inside the promises `attempt` runs). */
export const fail = (reason: FileError["reason"], path: string, detail: string): never => {
  throw new FileError({ reason, path, detail })
}

/** Runs `f`, mapping whatever it throws to a `FileError` about `path`. */
export const attempt = <A>(path: string, f: () => Promise<A>): Effect.Effect<A, FileError> =>
  Effect.tryPromise({ try: f, catch: (error) => fromErrno(path, error) })

/** Maps `f` over `items`, at most `limit` at a time, keeping the order. */
export const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A) => Promise<B>) => {
  const out: Array<B> = []
  for (let i = 0; i < items.length; i += limit) {
    for (const b of await Promise.all(items.slice(i, i + limit).map(f))) out.push(b)
  }
  return out
}

/** Whether something (a file, a directory, a symlink) is at `path`; a last symlink is not followed. */
export const present = (path: string): Promise<boolean> => FsP.lstat(path).then(() => true, () => false)
