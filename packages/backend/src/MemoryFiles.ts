/**
 * In-memory session files, for the fake backend: a tree of directories and
 * files rooted at the session's home (`/home/wuying`) and its `/tmp`, with the
 * confinement and error rules of the real (on-disk) files. Modification times
 * come from the Effect `Clock`, so a `TestClock` drives them.
 *
 * Also the path rules both implementations share ({@link resolvePath}) and two
 * helpers for tests that work over any `SessionFiles` ({@link seed}, {@link snapshot}).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import {
  FileError,
  type FileStat,
  home,
  normalize,
  type SessionFiles,
  systemPath,
  type WriteMode
} from "./BackendSandbox.js"

/**
 * A sandbox path after normalisation.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResolvedPath {
  /** The normalised absolute sandbox path, e.g. `/home/wuying/a/b.txt`. */
  readonly path: string
  /** Which writable tree it lies in. */
  readonly root: "home" | "tmp"
  /** The components below that root (empty for the root itself). */
  readonly components: ReadonlyArray<string>
}

const rootPaths = { home, tmp: "/tmp" } as const

/**
 * Normalises a sandbox path with POSIX rules (relative paths start at the
 * session's home) and confines it: the result must be the home, `/tmp`, or
 * below one of them; anything else (`..` that climbs out, other absolute
 * paths) is an `Escape`. Empty paths and NUL bytes are `Invalid`. Symlinks are
 * the implementation's business (this is lexical only).
 *
 * @since 0.1.0
 * @category utils
 */
export const resolvePath = (path: string): Either.Either<ResolvedPath, FileError> => {
  if (path === "" || path.includes("\0")) {
    return Either.left(new FileError({ reason: "Invalid", path, detail: "invalid path (empty or with a NUL byte)" }))
  }
  const normal = normalize(path)
  for (const root of ["home", "tmp"] as const) {
    const base = rootPaths[root]
    if (normal === base || normal.startsWith(`${base}/`)) {
      const components = normal === base ? [] : normal.slice(base.length + 1).split("/")
      return Either.right({ path: normal, root, components })
    }
  }
  // The sandbox's system directories are visible but read-only: writing there
  // is `ReadOnly`; reading is the implementation's call (see `systemPath`).
  if (systemPath(path) !== undefined) {
    return Either.left(
      new FileError({ reason: "ReadOnly", path, detail: "in the sandbox's read-only system directories" })
    )
  }
  return Either.left(
    new FileError({ reason: "Escape", path, detail: "outside the session's files (its home and /tmp)" })
  )
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Most entries `walk` returns before failing with `TooLarge`. Default 100 000. */
  readonly maxWalkEntries?: number | undefined
  /** Largest file, in bytes. Default 256 MiB. */
  readonly maxFileBytes?: number | undefined
}

interface DirNode {
  readonly _tag: "Dir"
  readonly entries: Map<string, Node>
  modTime: number
}

interface FileNode {
  readonly _tag: "File"
  /** Capacity-managed buffer: the content is `data.subarray(0, size)`. */
  data: Uint8Array
  size: number
  modTime: number
}

type Node = DirNode | FileNode

const directorySize = 4096 // what ext4 reports for a small directory

const fail = (reason: FileError["reason"], path: string, detail: string): never => {
  throw new FileError({ reason, path, detail })
}

/** Runs a synchronous operation that throws `FileError`s (anything else is a defect) at the Clock's time. */
const run = <A>(f: (now: number) => A): Effect.Effect<A, FileError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.suspend(() => {
      try {
        return Effect.succeed(f(now))
      } catch (error) {
        if (error instanceof FileError) return Effect.fail(error)
        throw error
      }
    }))

/**
 * A fresh, empty tree (the home and `/tmp` exist). Each call makes an
 * independent tree: one per session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): SessionFiles => {
  const maxWalk = options.maxWalkEntries ?? 100_000
  const maxFile = options.maxFileBytes ?? 256 * 1024 * 1024
  const roots: Record<"home" | "tmp", DirNode> = {
    home: { _tag: "Dir", entries: new Map(), modTime: 0 },
    tmp: { _tag: "Dir", entries: new Map(), modTime: 0 }
  }

  const resolve = (path: string): ResolvedPath => Either.getOrThrowWith(resolvePath(path), (e) => e)

  /** The node at `r`, or undefined; a file in the middle of the path is `NotDirectory`. */
  const find = (given: string, r: ResolvedPath): Node | undefined => {
    let node: Node = roots[r.root]
    for (const name of r.components) {
      if (node._tag === "File") return fail("NotDirectory", given, "a parent is not a directory")
      const next: Node | undefined = node.entries.get(name)
      if (next === undefined) return undefined
      node = next
    }
    return node
  }

  /** The directory that holds `r`'s last component; with `create`, missing parents are made. */
  const parentOf = (given: string, r: ResolvedPath, create: boolean, now: number): DirNode => {
    let dir = roots[r.root]
    for (const name of r.components.slice(0, -1)) {
      let next = dir.entries.get(name)
      if (next === undefined) {
        if (!create) return fail("NotFound", given, "no such file or directory")
        next = { _tag: "Dir", entries: new Map(), modTime: now }
        dir.entries.set(name, next)
        dir.modTime = now
      }
      if (next._tag === "File") return fail("NotDirectory", given, "a parent is not a directory")
      dir = next
    }
    return dir
  }

  const statOf = (path: string, node: Node): FileStat => ({
    name: path.slice(path.lastIndexOf("/") + 1),
    path,
    isDirectory: node._tag === "Dir",
    size: node._tag === "Dir" ? directorySize : node.size,
    modTime: node.modTime,
    mode: node._tag === "Dir" ? 0o755 : 0o644
  })

  const existing = (given: string): [ResolvedPath, Node] => {
    // A fake sandbox has no system files: reading there finds nothing.
    if (systemPath(given) !== undefined) return fail("NotFound", given, "no such file (the fake has no system files)")
    const r = resolve(given)
    const node = find(given, r)
    return node === undefined ? fail("NotFound", given, "no such file or directory") : [r, node]
  }

  const write = (given: string, bytes: Uint8Array, mode: WriteMode, now: number): void => {
    const r = resolve(given)
    if (r.components.length === 0) return fail("IsDirectory", given, "is a directory")
    const dir = parentOf(given, r, true, now)
    const name = r.components[r.components.length - 1]!
    const current = dir.entries.get(name)
    if (current?._tag === "Dir") return fail("IsDirectory", given, "is a directory")
    if (current !== undefined && mode === "create_new") return fail("Exists", given, "already exists")
    const file: FileNode = current !== undefined && mode === "append"
      ? current
      : { _tag: "File", data: new Uint8Array(0), size: 0, modTime: now }
    const size = file.size + bytes.length
    if (size > maxFile) return fail("TooLarge", given, `larger than ${maxFile} bytes`)
    if (size > file.data.length) {
      const grown = new Uint8Array(Math.max(size, Math.min(maxFile, file.data.length * 2)))
      grown.set(file.data.subarray(0, file.size))
      file.data = grown
    }
    file.data.set(bytes, file.size)
    file.size = size
    file.modTime = now
    if (current !== file) {
      dir.entries.set(name, file)
      dir.modTime = now
    }
  }

  const makeDirectory = (given: string, now: number): void => {
    const r = resolve(given)
    let dir = roots[r.root]
    for (const [i, name] of r.components.entries()) {
      let next = dir.entries.get(name)
      if (next === undefined) {
        next = { _tag: "Dir", entries: new Map(), modTime: now }
        dir.entries.set(name, next)
        dir.modTime = now
      }
      if (next._tag === "File") {
        return i === r.components.length - 1
          ? fail("Exists", given, "exists and is a file")
          : fail("NotDirectory", given, "a parent is not a directory")
      }
      dir = next
    }
  }

  const detach = (given: string, r: ResolvedPath, now: number): Node => {
    if (r.components.length === 0) return fail("Invalid", given, "cannot remove or move the session's home or /tmp")
    const dir = parentOf(given, r, false, now)
    const name = r.components[r.components.length - 1]!
    const node = dir.entries.get(name)
    if (node === undefined) return fail("NotFound", given, "no such file or directory")
    dir.entries.delete(name)
    dir.modTime = now
    return node
  }

  const move = (source: string, destination: string, now: number): void => {
    const from = resolve(source)
    const to = resolve(destination)
    existing(source)
    if (to.path === from.path || to.path.startsWith(`${from.path}/`)) {
      return fail("Invalid", destination, `cannot move ${source} into itself`)
    }
    if (to.components.length === 0 || find(destination, to) !== undefined) {
      return fail("Exists", destination, "already exists")
    }
    const dir = parentOf(destination, to, true, now)
    const node = detach(source, from, now)
    dir.entries.set(to.components[to.components.length - 1]!, node)
    dir.modTime = now
  }

  const children = (path: string, node: DirNode): Array<FileStat> =>
    [...node.entries.keys()].sort().map((name) => statOf(`${path}/${name}`, node.entries.get(name)!))

  const walk = (given: string): Array<FileStat> => {
    const [r, node] = existing(given)
    if (node._tag === "File") return fail("NotDirectory", given, "not a directory")
    const out: Array<FileStat> = []
    const visit = (path: string, dir: DirNode) => {
      for (const stat of children(path, dir)) {
        if (out.length >= maxWalk) fail("TooLarge", given, `more than ${maxWalk} entries`)
        out.push(stat)
        const child = dir.entries.get(stat.name)!
        if (child._tag === "Dir") visit(stat.path, child)
      }
    }
    visit(r.path, node)
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  return {
    stat: (path) =>
      run(() => {
        const [r, node] = existing(path)
        return statOf(r.path, node)
      }),
    read: (path, offset, length) =>
      run(() => {
        const [, node] = existing(path)
        if (node._tag === "Dir") return fail("IsDirectory", path, "is a directory")
        const start = Math.min(Math.max(0, offset), node.size)
        return node.data.slice(start, Math.min(node.size, start + Math.max(0, length)))
      }),
    write: (path, bytes, mode) => run((now) => write(path, bytes, mode, now)),
    makeDirectory: (path) => run((now) => makeDirectory(path, now)),
    remove: (path) => run((now) => void detach(path, resolve(path), now)),
    move: (source, destination) => run((now) => move(source, destination, now)),
    list: (path) =>
      run(() => {
        const [r, node] = existing(path)
        return node._tag === "File" ? fail("NotDirectory", path, "not a directory") : children(r.path, node)
      }),
    walk: (path) => run(() => walk(path))
  }
}

/**
 * Puts files in: each key is a sandbox path, each value the file's content
 * (text as UTF-8). A key ending in `/` makes a directory (its value is ignored).
 * Works over any `SessionFiles`.
 *
 * @since 0.1.0
 * @category utils
 */
export const seed = (
  files: SessionFiles,
  entries: Readonly<Record<string, string | Uint8Array>>
): Effect.Effect<void, FileError> =>
  Effect.forEach(
    Object.entries(entries),
    ([path, content]) =>
      path.endsWith("/")
        ? files.makeDirectory(path)
        : files.write(path, typeof content === "string" ? new TextEncoder().encode(content) : content, "overwrite"),
    { discard: true }
  )

/**
 * What is below `path` (default: the home), in {@link seed}'s format: files
 * as their text (decoded as UTF-8), directories as `<path>/` with `""`.
 * Works over any `SessionFiles`.
 *
 * @since 0.1.0
 * @category utils
 */
export const snapshot = (
  files: SessionFiles,
  path: string = home
): Effect.Effect<Readonly<Record<string, string>>, FileError> =>
  Effect.gen(function*() {
    const out: Record<string, string> = {}
    for (const stat of yield* files.walk(path)) {
      if (stat.isDirectory) out[`${stat.path}/`] = ""
      else out[stat.path] = new TextDecoder().decode(yield* files.read(stat.path, 0, stat.size))
    }
    return out
  })
