// The stored files of contexts, on disk, for LocalVault. Internal: not exported from the package.
//
//   <contexts>/<contextId>/files/<sandbox path>   the stored files (`/home/wuying/a.txt` is files/home/wuying/a.txt)
//   <contexts>/<contextId>/staging/                files being written, trees being removed
//
// Paths are checked lexically (no `..`, no NUL, normalised), so nothing can name a place outside the context's
// `files`; symlinks are never made there and never followed (O_NOFOLLOW, lstat). A write streams into a temp
// file in `staging` (same filesystem as `files`), fsyncs it, renames it over the target and fsyncs the target's
// directory. The temp file is in `staging` rather than beside the target so that listings never show a write in
// progress and a SIGKILL mid-write leaves nothing a listing could see: `sweep` empties `staging` at start-up.
// Removals rename into `staging` first (atomic), then delete.
import { type FileError, normalize } from "@effect-agentbay/backend/BackendSandbox"
import type { ContextFiles, StoredFile } from "@effect-agentbay/backend/BackendVault"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as FsP from "node:fs/promises"
import * as Path from "node:path"
import { directoryMode, isValidId } from "../LocalDataDir.js"
import { attempt, codeOf, fail, mapLimit, present } from "./localFiles.js"

/** Bytes per chunk of a read. */
export const chunkSize = 64 * 1024

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = Fs.constants

/** A context file path, normalised: the absolute path and its components (none for `/`). */
interface Located {
  readonly path: string
  readonly components: ReadonlyArray<string>
}

/** The lexical check: refuses NUL and any `..`; relative paths start at the session's home, as in sandboxes. */
const locate = (given: string): Located => {
  if (given === "" || given.includes("\0")) fail("Invalid", given, "invalid path (empty or with a NUL byte)")
  if (given.split("/").includes("..")) fail("Escape", given, "a `..` component")
  const path = normalize(given)
  return { path, components: path.split("/").filter((part) => part !== "") }
}

const storedFile = (path: string, stats: Fs.Stats): StoredFile => ({
  name: path.slice(path.lastIndexOf("/") + 1),
  path,
  isDirectory: stats.isDirectory(),
  size: stats.isDirectory() ? 0 : stats.size,
  modTime: Math.floor(stats.mtimeMs)
})

const byName = (a: StoredFile, b: StoredFile) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
const byPath = (a: StoredFile, b: StoredFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

/** lstat, or undefined when nothing is there (or a parent is a file). */
const lstatOrNone = (host: string) =>
  FsP.lstat(host).catch((error) => {
    if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return undefined
    throw error
  })

/** Flushes a directory's entries to disk (after a create, rename or unlink in it). */
const syncDirectory = async (dir: string) => {
  const handle = await FsP.open(dir, O_RDONLY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Creates `dir` below `base` one level at a time (0700), each new one made durable in its parent. */
const makeDirs = async (base: string, components: ReadonlyArray<string>) => {
  let current = base
  for (const part of components) {
    const next = Path.join(current, part)
    const made = await FsP.mkdir(next, { mode: directoryMode }).then(() => true, (error) => {
      if (codeOf(error) !== "EEXIST") throw error
      return false
    })
    if (made) await syncDirectory(current)
    current = next
  }
}

const writeAll = async (handle: FsP.FileHandle, chunk: Uint8Array) => {
  for (let done = 0; done < chunk.length;) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten
}

const randomName = (prefix: string) => `${prefix}-${Crypto.randomBytes(12).toString("hex")}`

/** The context files over `root` (`<dataDir>/contexts`), plus what LocalVault needs besides. */
export interface DiskFiles extends ContextFiles {
  /** Removes the context's whole directory (DeleteContext, after its record). */
  readonly removeContext: (contextId: string) => Effect.Effect<void, FileError>
  /**
   * At start-up: removes the directories of contexts `known` says have no record (a kill between a delete's
   * record removal and its files'), and every context's `staging` (writes and removals cut short).
   */
  readonly sweep: (known: (contextId: string) => Effect.Effect<boolean>) => Effect.Effect<void>
}

export const make = (root: string): DiskFiles => {
  const contextDir = (contextId: string, given: string) =>
    isValidId(contextId) ? Path.join(root, contextId) : fail("Invalid", given, "invalid context id")
  /** The context's directory and the host path of `given` (its `files` for `/`), checked. */
  const locateIn = (contextId: string, given: string) => {
    const located = locate(given)
    const dir = contextDir(contextId, given)
    return { ...located, dir, host: Path.join(dir, "files", ...located.components) }
  }
  /** Makes `<root>/<components...>` as needed (the root included). */
  const ensure = (...components: ReadonlyArray<string>) =>
    makeDirs(Path.dirname(root), [Path.basename(root), ...components])

  /** Renames `host` into the context's staging (atomic, durable), then deletes it; whether anything was there. */
  const discard = async (contextId: string, host: string) => {
    if (!(await present(host))) return false
    await ensure(contextId, "staging")
    const trash = Path.join(root, contextId, "staging", randomName("removed"))
    await FsP.rename(host, trash)
    await syncDirectory(Path.dirname(host))
    await FsP.rm(trash, { recursive: true, force: true })
    return true
  }

  const stat = (contextId: string, given: string) =>
    attempt(given, async () => {
      const at = locateIn(contextId, given)
      const stats = await lstatOrNone(at.host)
      return stats !== undefined && (stats.isFile() || stats.isDirectory())
        ? Option.some(storedFile(at.path, stats))
        : Option.none()
    })

  /** The files and folders directly in `host` (sandbox path `path`), sorted by name; symlinks and such left out. */
  const children = async (path: string, host: string) => {
    const names = await FsP.readdir(host).catch((error) => {
      if (codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR") return [] as Array<string>
      throw error
    })
    const prefix = path === "/" ? "" : path
    const entries = await mapLimit(names, 64, async (name) => {
      const stats = await lstatOrNone(Path.join(host, name))
      return stats !== undefined && (stats.isFile() || stats.isDirectory())
        ? storedFile(`${prefix}/${name}`, stats)
        : undefined
    })
    return entries.filter((entry) => entry !== undefined).sort(byName)
  }

  const list = (contextId: string, folder: string) =>
    attempt(folder, () => {
      const at = locateIn(contextId, folder)
      return children(at.path, at.host)
    })

  const walk = (contextId: string, given: string) =>
    attempt(given, async () => {
      const at = locateIn(contextId, given)
      const top = await lstatOrNone(at.host)
      if (top?.isFile()) return [storedFile(at.path, top)]
      const out: Array<StoredFile> = []
      const visit = async (path: string, host: string): Promise<void> => {
        for (const entry of await children(path, host)) {
          if (entry.isDirectory) await visit(entry.path, Path.join(host, entry.name))
          else out.push(entry)
        }
      }
      if (top?.isDirectory()) await visit(at.path, at.host)
      return out.sort(byPath)
    })

  /** Opens a stored regular file for reading (never through a symlink, never blocking on a FIFO). */
  const openFile = async (contextId: string, given: string) => {
    const at = locateIn(contextId, given)
    if (at.components.length === 0) fail("IsDirectory", given, "is a directory")
    const handle = await FsP.open(at.host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
    try {
      const stats = await handle.stat()
      if (stats.isDirectory()) fail("IsDirectory", given, "is a directory")
      if (!stats.isFile()) fail("Invalid", given, "not a regular file")
      return handle
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  const read = (contextId: string, given: string): Stream.Stream<Uint8Array, FileError> =>
    Stream.unwrapScoped(Effect.map(
      Effect.acquireRelease(
        attempt(given, () => openFile(contextId, given)),
        (handle) => Effect.promise(() => handle.close().catch(() => undefined))
      ),
      (handle) =>
        Stream.repeatEffectOption(
          attempt(given, async () => {
            const buffer = new Uint8Array(chunkSize)
            const { bytesRead } = await handle.read(buffer, 0, chunkSize, null)
            return bytesRead === 0 ? undefined : buffer.subarray(0, bytesRead)
          }).pipe(
            Effect.mapError(Option.some),
            Effect.flatMap((chunk) => chunk === undefined ? Effect.fail(Option.none()) : Effect.succeed(chunk))
          )
        )
    ))

  // Fails when an existing parent of the target is not a directory (parents not made yet are fine).
  const checkParents = async (at: ReturnType<typeof locateIn>, given: string) => {
    let current = Path.join(at.dir, "files")
    for (const part of at.components.slice(0, -1)) {
      current = Path.join(current, part)
      const stat = await lstatOrNone(current)
      if (stat === undefined) return
      if (!stat.isDirectory()) fail("NotDirectory", given, "a parent is a file")
    }
  }

  /**
   * Checks the target and makes staging; the paths of the target and of a fresh temp file. The target's
   * parents are made only when the write completes (`placeWrite`), so a refused or cut write leaves no folder.
   */
  const prepareWrite = async (contextId: string, given: string) => {
    const at = locateIn(contextId, given)
    if (at.components.length === 0 || (await lstatOrNone(at.host))?.isDirectory()) {
      fail("IsDirectory", given, "is a directory")
    }
    await checkParents(at, given)
    await ensure(contextId, "staging")
    return {
      host: at.host,
      temp: Path.join(at.dir, "staging", randomName("write")),
      parents: at.components.slice(0, -1)
    }
  }

  const write = <E>(contextId: string, given: string, bytes: Stream.Stream<Uint8Array, E>) =>
    Effect.flatMap(attempt(given, () => prepareWrite(contextId, given)), ({ host, parents, temp }) => {
      let renamed = false
      const finish = (handle: FsP.FileHandle) =>
        Effect.uninterruptible(attempt(given, async () => {
          await handle.sync()
          await ensure(contextId, "files", ...parents)
          if (!(await FsP.lstat(Path.dirname(host))).isDirectory()) fail("NotDirectory", given, "a parent is a file")
          await FsP.rename(temp, host)
          renamed = true
          await syncDirectory(Path.dirname(host))
        }))
      return Effect.acquireUseRelease(
        attempt(given, () => FsP.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)),
        (handle) =>
          Stream.runFoldEffect(
            bytes,
            0,
            (size, chunk) => Effect.as(attempt(given, () => writeAll(handle, chunk)), size + chunk.length)
          ).pipe(Effect.tap(() => finish(handle))),
        (handle) =>
          Effect.promise(async () => {
            await handle.close().catch(() => undefined)
            if (!renamed) await FsP.rm(temp, { force: true }).catch(() => undefined)
          })
      )
    })

  const remove = (contextId: string, given: string) =>
    attempt(given, () => discard(contextId, locateIn(contextId, given).host))

  const clear = (contextId: string) =>
    attempt("/", async () => {
      await discard(contextId, locateIn(contextId, "/").host)
    })

  const removeContext = (contextId: string) =>
    attempt("/", async () => {
      await FsP.rm(contextDir(contextId, "/"), { recursive: true, force: true })
      await syncDirectory(root).catch(() => undefined)
    })

  const sweep = (known: (contextId: string) => Effect.Effect<boolean>) =>
    Effect.gen(function*() {
      const ids = yield* Effect.promise(() => FsP.readdir(root).catch(() => [] as Array<string>))
      for (const id of ids) {
        const keep = isValidId(id) && (yield* known(id))
        const target = keep ? Path.join(root, id, "staging") : Path.join(root, id)
        yield* Effect.promise(() => FsP.rm(target, { recursive: true, force: true })).pipe(
          Effect.catchAllDefect(() => Effect.logWarning(`LocalVault: could not remove ${target}`))
        )
      }
    })

  return { stat, list, walk, read, write, remove, clear, removeContext, sweep }
}
