/**
 * A session's files on this machine: the backend's `SessionFiles` over the
 * session's tree (`<dataDir>/sandboxes/<id>/{home,tmp}`). `/home/wuying/...`
 * maps to `<tree>/home/...`, `/tmp/...` to `<tree>/tmp/...`, relative paths
 * start at the home. A session with a volume (`Tree.volume`) sees it at
 * `/home/wuying/volume` (`BackendSandbox.volumeMount`): those paths map to the
 * volume's directory, a third root, whatever is at `<tree>/home/volume` (the
 * mount point under bubblewrap, a symlink in process mode). Without a volume
 * that path is an ordinary home path.
 *
 * Confinement: paths are normalised first (`..` that climbs out and other
 * absolute paths are an `Escape`), then resolved with `realpath` (of the path,
 * or of its nearest existing parent for a path to be created), which must stay
 * inside the session's home, tmp or volume; a symlink that leads out, or to a missing
 * target, is an `Escape`. Files are opened with `O_NOFOLLOW` (a symlink swapped
 * in for the last component after the check is refused) and `O_NONBLOCK` (a
 * FIFO never blocks the server). Symlinks are resolved against the host's
 * filesystem, so under bubblewrap an absolute link made inside the sandbox
 * (`ln -s /tmp/x`) points at the host's `/tmp/x` and is refused; relative links
 * inside the tree work. Residual risk: a process of the session racing to swap
 * a middle component for a symlink between the check and the use (Node has no
 * `openat2(RESOLVE_BENEATH)`).
 *
 * Error messages name the sandbox path as given, never the host path.
 *
 * @since 0.1.0
 */
import type { FileError, FileStat, SessionFiles, WriteMode } from "@effect-agentbay/backend/BackendSandbox"
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fs from "node:fs"
import * as FsP from "node:fs/promises"
import * as Path from "node:path"
import { attempt, codeOf, fail, fromErrno, mapLimit, present } from "./internal/localFiles.js"

/**
 * Host paths of one session's tree.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tree {
  readonly root: string
  readonly home: string
  readonly tmp: string
  /** The session's volume (`<dataDir>/volumes/<id>`), seen at `BackendSandbox.volumeMount`, if it has one. */
  readonly volume?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Largest `read`, in bytes. Default 64 MiB. */
  readonly maxReadBytes?: number | undefined
  /** Largest single `write`, in bytes. Default 64 MiB. */
  readonly maxWriteBytes?: number | undefined
  /** Most entries of a `list` or `walk` before `TooLarge`. Default 100 000. */
  readonly maxEntries?: number | undefined
}

const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC, O_WRONLY } = Fs.constants

const writeFlags: Record<WriteMode, number> = {
  overwrite: O_TRUNC,
  append: O_APPEND,
  create_new: O_EXCL
}

/** The volume's name in the home (`volume` for `/home/wuying/volume`). */
const volumeName = Path.posix.relative(BackendSandbox.home, BackendSandbox.volumeMount)

const byPath = (a: FileStat, b: FileStat) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

const statOf = (path: string, stats: Fs.Stats): FileStat => ({
  name: path.slice(path.lastIndexOf("/") + 1),
  path,
  isDirectory: stats.isDirectory(),
  size: stats.size,
  modTime: Math.floor(stats.mtimeMs),
  mode: stats.mode & 0o777
})

/**
 * The session's files over its tree (made by `Sandbox.start`). A missing tree
 * (a deleted session) is `NotFound` for every operation, writes included:
 * nothing here recreates it, so a tool call racing its session's delete cannot
 * bring the tree back.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (tree: Tree, options: Options = {}): SessionFiles => {
  const maxRead = options.maxReadBytes ?? 64 * 1024 * 1024
  const maxWrite = options.maxWriteBytes ?? 64 * 1024 * 1024
  const maxEntries = options.maxEntries ?? 100_000

  /** The host path of a normalised sandbox path; `components` are below its root (home, tmp or the volume). */
  const resolve = (given: string) => {
    const r = Either.getOrThrowWith(MemoryFiles.resolvePath(given), (e) => e)
    if (tree.volume !== undefined && r.root === "home" && r.components[0] === volumeName) {
      const components = r.components.slice(1)
      return { path: r.path, components, host: Path.join(tree.volume, ...components) }
    }
    return { ...r, host: Path.join(r.root === "home" ? tree.home : tree.tmp, ...r.components) }
  }

  /** The host path of a directory's entry: the volume for its mount point, else the entry in `dirReal`. */
  const entryHost = (path: string, dirReal: string, name: string) =>
    tree.volume !== undefined && path === BackendSandbox.volumeMount ? tree.volume : Path.join(dirReal, name)

  /** The real paths of the session's home, tmp and volume; `NotFound` when the tree is gone. */
  const realRoots = (given: string) =>
    Promise.all(
      [tree.home, tree.tmp, ...(tree.volume === undefined ? [] : [tree.volume])].map((dir) => FsP.realpath(dir))
    ).catch(() => fail("NotFound", given, "the session's files do not exist"))

  /**
   * Creates `dir` (a real path below the home or tmp) and its missing parents,
   * one level at a time and never a root itself: if the tree goes away meanwhile
   * (the session is deleted), this fails instead of bringing it back.
   */
  const makeDirs = async (given: string, dir: string) => {
    const roots = await realRoots(given)
    const missing: Array<string> = []
    for (let current = dir; !roots.includes(current);) {
      if (await present(current)) break
      missing.push(current)
      const parent = Path.dirname(current)
      if (parent === current) fail("NotFound", given, "the session's files do not exist")
      current = parent
    }
    for (const d of missing.reverse()) {
      await FsP.mkdir(d).catch((error) => {
        if (codeOf(error) !== "EEXIST") throw error
      })
    }
  }

  /** The real path of `host` (its missing tail appended), checked to lie in the session's home or tmp. */
  const confine = async (given: string, host: string): Promise<{ readonly real: string; readonly exists: boolean }> => {
    const roots = await realRoots(given)
    const missing: Array<string> = []
    let current = host
    for (;;) {
      const real = await FsP.realpath(current).catch(async (error) => {
        // ENOTDIR: a file in the middle; go up all the same, so a link out is an Escape before anything else.
        if (codeOf(error) !== "ENOENT" && codeOf(error) !== "ENOTDIR") throw error
        const link = await FsP.lstat(current).catch(() => undefined)
        if (link !== undefined) fail("Escape", given, "a symbolic link to a missing target")
        return undefined
      })
      if (real !== undefined) {
        if (!roots.some((root) => real === root || real.startsWith(`${root}/`))) {
          return fail("Escape", given, "leads outside the session's files (symbolic link)")
        }
        if (missing.length > 0 && !(await FsP.stat(real)).isDirectory()) {
          fail("NotDirectory", given, "a parent is not a directory")
        }
        return { real: Path.join(real, ...missing.reverse()), exists: missing.length === 0 }
      }
      missing.push(Path.basename(current))
      current = Path.dirname(current)
    }
  }

  /** Resolves symlinks, the last component's included. */
  const follow = async (given: string) => {
    const r = resolve(given)
    return { ...r, ...await confine(given, r.host) }
  }

  /** Resolves symlinks in the parents only: the target is the last component itself (for remove, move). */
  const noFollow = async (given: string) => {
    const r = resolve(given)
    if (r.components.length === 0) fail("Invalid", given, "cannot remove or move the session's home, /tmp or volume")
    const parent = await confine(given, Path.dirname(r.host))
    const target = Path.join(parent.real, Path.basename(r.host))
    const exists = parent.exists && (await present(target))
    return { ...r, target, exists }
  }

  // The sandbox's read-only system view (/etc, /usr, ...): the host's own
  // directories, as bubblewrap binds them; a symlink must stay among them.
  const system = async (given: string, normal: string) => {
    const real = await FsP.realpath(normal)
    const roots = await Promise.all(
      BackendSandbox.systemRoots.map((root) => FsP.realpath(root).catch(() => undefined))
    )
    if (!roots.some((root) => root !== undefined && (real === root || real.startsWith(`${root}/`)))) {
      fail("Escape", given, "leads outside the sandbox's system directories (symbolic link)")
    }
    return { real, path: normal, exists: true, components: [normal] }
  }

  const existing = async (given: string) => {
    const normal = BackendSandbox.systemPath(given)
    if (normal !== undefined) return system(given, normal)
    const located = await follow(given)
    if (!located.exists) fail("NotFound", given, "no such file or directory")
    return located
  }

  /** Opens the (resolved) file, refusing symlinks and anything but regular files. */
  const open = async (given: string, real: string, flags: number) => {
    const handle = await FsP.open(real, flags | O_NOFOLLOW | O_NONBLOCK, 0o644)
    try {
      const stats = await handle.stat()
      if (stats.isDirectory()) fail("IsDirectory", given, "is a directory")
      if (!stats.isFile()) fail("Invalid", given, "not a regular file")
      return { handle, stats }
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  const read = async (given: string, offset: number, length: number) => {
    if (length > maxRead) fail("TooLarge", given, `a read of more than ${maxRead} bytes`)
    const { real } = await existing(given)
    const { handle, stats } = await open(given, real, O_RDONLY)
    try {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, stats.size - offset)))
      let filled = 0
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
      return buffer.subarray(0, filled)
    } finally {
      await handle.close()
    }
  }

  const write = async (given: string, bytes: Uint8Array, mode: WriteMode) => {
    if (bytes.length > maxWrite) fail("TooLarge", given, `a write of more than ${maxWrite} bytes`)
    const { real, exists, components } = await follow(given)
    if (components.length === 0) fail("IsDirectory", given, "is a directory")
    if (!exists) await makeDirs(given, Path.dirname(real))
    const { handle } = await open(given, real, O_WRONLY | O_CREAT | writeFlags[mode])
    try {
      await handle.writeFile(bytes)
    } finally {
      await handle.close()
    }
  }

  const makeDirectory = async (given: string) => {
    const { real, exists } = await follow(given)
    if (!exists) await makeDirs(given, real)
    else if (!(await FsP.stat(real)).isDirectory()) fail("Exists", given, "exists and is a file")
  }

  const remove = async (given: string) => {
    const { target, exists } = await noFollow(given)
    if (!exists) fail("NotFound", given, "no such file or directory")
    await FsP.rm(target, { recursive: true })
  }

  const move = async (source: string, destination: string) => {
    const from = await noFollow(source)
    if (!from.exists) fail("NotFound", source, "no such file or directory")
    if (resolve(destination).components.length === 0) fail("Exists", destination, "already exists")
    const to = await noFollow(destination)
    if (to.exists) fail("Exists", destination, "already exists")
    if (to.target === from.target || to.target.startsWith(`${from.target}/`)) {
      fail("Invalid", destination, `cannot move ${source} into itself`)
    }
    await makeDirs(destination, Path.dirname(to.target)).catch((error) => {
      throw fromErrno(destination, error)
    })
    await FsP.rename(from.target, to.target)
  }

  /** The entries of the (resolved) directory `real` (sandbox path `path`) by name, with their host paths. */
  const entries = async (given: string, path: string, real: string, budget: number) => {
    const names = (await FsP.readdir(real)).sort()
    if (names.length > budget) fail("TooLarge", given, `more than ${maxEntries} entries`)
    return mapLimit(names, 64, async (name) => {
      const host = entryHost(`${path}/${name}`, real, name)
      return { stat: statOf(`${path}/${name}`, await FsP.lstat(host)), host }
    })
  }

  const list = async (given: string) => {
    const { real, path } = await existing(given)
    return (await entries(given, path, real, maxEntries)).map((entry) => entry.stat)
  }

  const walk = async (given: string) => {
    const { real, path } = await existing(given)
    if (!(await FsP.stat(real)).isDirectory()) fail("NotDirectory", given, "not a directory")
    const out: Array<FileStat> = []
    const visit = async (dirPath: string, dirReal: string): Promise<void> => {
      for (const { host, stat } of await entries(given, dirPath, dirReal, maxEntries - out.length)) {
        out.push(stat)
        if (stat.isDirectory) await visit(stat.path, host)
      }
    }
    await visit(path, real)
    return out.sort(byPath)
  }

  return {
    stat: (path) =>
      attempt(path, async () => {
        const { real, path: absolute } = await existing(path)
        return statOf(absolute, await FsP.stat(real))
      }),
    read: (path, offset, length) => attempt(path, () => read(path, offset, length)),
    write: (path, bytes, mode) => attempt(path, () => write(path, bytes, mode)),
    makeDirectory: (path) => attempt(path, () => makeDirectory(path)),
    remove: (path) => attempt(path, () => remove(path)),
    move: (source, destination) => attempt(source, () => move(source, destination)),
    list: (path) => attempt(path, () => list(path)),
    walk: (path) => attempt(path, () => walk(path))
  }
}

/**
 * Size and free space of the filesystem holding `path`, in bytes (for
 * `get_metrics`' `disk_total`).
 *
 * @since 0.1.0
 * @category utils
 */
export const diskSpace = (path: string): Effect.Effect<{ readonly total: number; readonly free: number }, FileError> =>
  attempt(path, async () => {
    const stats = await FsP.statfs(path)
    return { total: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize }
  })
