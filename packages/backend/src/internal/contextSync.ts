// The copying of context syncs: upload (sandbox -> context) and download
// (context -> sandbox) of one entry by its policy (spec: semantics.md §4.4).
// Paths are absolute sandbox paths on both sides (semantics.md §4.7). Files
// move in windows: a file is never whole in memory. Internal: the public
// surface is BackendSync.ts.
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { FileError, FileStat, SessionFiles } from "../BackendSandbox.js"
import type * as BackendSync from "../BackendSync.js"
import type { BackendVault } from "../BackendVault.js"
import * as Tar from "./tar.js"

export const defaultWindow = 1024 * 1024

const day = 24 * 60 * 60 * 1000

/** Why a sync failed, in words safe to report (sandbox paths only). */
export class SyncError {
  readonly _tag = "SyncError"
  constructor(readonly message: string) {}
}

const reasons: Record<FileError["reason"], string> = {
  NotFound: "no such file or directory",
  Exists: "already exists",
  IsDirectory: "is a directory",
  NotDirectory: "a parent is not a directory",
  NotEmpty: "the directory is not empty",
  Escape: "outside the session's files",
  Invalid: "invalid path",
  TooLarge: "too large",
  ReadOnly: "read-only",
  Io: "input/output error"
}

// A FileError's own path is reported only when it lies under the entry's path
// (what we passed); anything else (an implementation's own path) is not shown.
const describe = (root: string) => (e: FileError | Tar.TarError): SyncError => {
  if (e._tag === "TarError") return new SyncError(`${root}: ${e.message}`)
  const path = e.path === root || e.path.startsWith(`${root}/`) ? e.path : root
  return new SyncError(`${path}: ${reasons[e.reason]}`)
}

export const join = (root: string, relative: string) =>
  relative === "" ? root : root === "/" ? `/${relative}` : `${root}/${relative}`

const relativeTo = (root: string, path: string) => path === root ? "" : path.slice(root === "/" ? 1 : root.length + 1)

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1)

/** A policy path as a clean path relative to the entry's `root` (it may be given absolute, under root). */
export const relativePath = (root: string, raw: string): string => {
  const trimmed = raw.trim()
  const inner = trimmed === root ? "" : trimmed.startsWith(`${root}/`) ? trimmed.slice(root.length + 1) : trimmed
  return inner.split("/").filter((p) => p !== "" && p !== ".").join("/")
}

const within = (relative: string, base: string) => base === "" || relative === base || relative.startsWith(`${base}/`)

/**
 * Which paths at or below `root` sync: those under a whitelist path, minus its
 * excluded paths. Exclude paths are read relative to the entry's path or to
 * their whitelist path (open: the cloud's reading is unknown; both are taken).
 */
export const selector = (root: string, whiteLists: BackendSync.Policy["whiteLists"]) => {
  const lists = whiteLists.map((w) => {
    const base = relativePath(root, w.path)
    const excluded = w.excludePaths.map((e) => relativePath(root, e)).filter((e) => e !== "")
    return { base, excluded: [...excluded, ...excluded.map((e) => (base === "" ? e : `${base}/${e}`))] }
  })
  return (path: string): boolean => {
    const relative = relativeTo(root, path)
    return lists.some((w) => within(relative, w.base) && !w.excluded.some((e) => within(relative, e)))
  }
}

/** The bytes of a sandbox file, `window` at a time, up to `size`. */
export const windows = (
  files: SessionFiles,
  path: string,
  size: number,
  window: number
): Stream.Stream<Uint8Array, FileError> =>
  Stream.unfoldEffect(0, (offset) =>
    offset >= size
      ? Effect.succeed(Option.none())
      : Effect.map(
        files.read(path, offset, Math.min(window, size - offset)),
        (bytes) => bytes.length === 0 ? Option.none() : Option.some([bytes, offset + bytes.length] as const)
      ))

/** Writes a stream into a sandbox file: the first piece replaces it, the rest append. */
export const writeInto = <E>(files: SessionFiles, path: string, bytes: Stream.Stream<Uint8Array, E>) =>
  Effect.gen(function*() {
    let first = true
    yield* Stream.runForEach(bytes, (chunk) => {
      const mode = first ? "overwrite" : "append"
      first = false
      return files.write(path, chunk, mode)
    })
    if (first) yield* files.write(path, new Uint8Array(0), "overwrite")
  })

/** What the copies work with: the vault, and how many bytes to move at a time. */
export interface Copy {
  readonly vault: BackendVault.Service
  readonly window: number
}

// Stores a file, replacing a stored folder at that path (the sandbox's file won).
const store = <E>({ vault }: Copy, contextId: string, path: string, bytes: Stream.Stream<Uint8Array, E>) =>
  Effect.gen(function*() {
    const existing = yield* vault.files.stat(contextId, path)
    if (Option.isSome(existing) && existing.value.isDirectory) yield* vault.files.remove(contextId, path)
    return yield* vault.files.write(contextId, path, bytes)
  })

const recycle = ({ vault }: Copy, entry: BackendSync.SyncEntry, now: number) =>
  Effect.forEach(entry.policy.recyclePaths, (raw) => {
    const path = join(entry.path, relativePath(entry.path, raw))
    const days = entry.policy.lifecycleDays
    return days === undefined
      ? vault.deleteRecycle(entry.contextId, path)
      : vault.setRecycle({ contextId: entry.contextId, path, expiresAt: now + days * day })
  }, { discard: true })

const uploadFiles = (c: Copy, files: SessionFiles, entry: BackendSync.SyncEntry, selected: ReadonlyArray<FileStat>) =>
  Effect.gen(function*() {
    const { vault } = c
    const { contextId, path: root } = entry
    const included = selector(root, entry.policy.whiteLists)
    const present = new Set(selected.map((f) => f.path))
    // Deletions first: a stored file where the sandbox now has a folder would block its files.
    const stored = yield* vault.files.walk(contextId, root)
    for (const s of stored) {
      const stale = s.path === root || (entry.policy.syncLocalFile && included(s.path) && !present.has(s.path))
      if (stale) yield* vault.files.remove(contextId, s.path)
    }
    for (const f of selected) yield* store(c, contextId, f.path, windows(files, f.path, f.size, c.window))
  })

// The Path packed into `<Path>/<basename(Path)>.tar`, written before anything
// else is removed, so a failed archive loses nothing.
const uploadArchive = (c: Copy, files: SessionFiles, entry: BackendSync.SyncEntry, selected: ReadonlyArray<FileStat>) =>
  Effect.gen(function*() {
    const { vault } = c
    const { contextId, path: root } = entry
    const archive = archivePath(root)
    const entries = selected.filter((s) => s.path !== archive).map((s): Tar.TarEntry => ({
      path: relativeTo(root, s.path),
      isDirectory: s.isDirectory,
      size: s.isDirectory ? 0 : s.size,
      modTime: s.modTime
    }))
    const packed = Tar.pack(entries, (e) => windows(files, join(root, e.path), e.size, c.window))
    yield* store(c, contextId, archive, packed)
    if (!entry.policy.syncLocalFile) return
    for (const s of yield* vault.files.walk(contextId, root)) {
      if (s.path !== archive) yield* vault.files.remove(contextId, s.path)
    }
  })

export const upload = (
  c: Copy,
  files: SessionFiles,
  entry: BackendSync.SyncEntry,
  now: number
): Effect.Effect<void, SyncError> =>
  Effect.gen(function*() {
    const root = entry.path
    const found = yield* files.stat(root).pipe(
      Effect.map(Option.some),
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeedNone)
    )
    // Nothing at Path in the sandbox: nothing to upload, and the stored data is
    // kept (open: a missing Path is not read as "everything was deleted").
    if (Option.isNone(found)) return
    const stat = found.value
    if (!stat.isDirectory) {
      yield* store(c, entry.contextId, root, windows(files, root, stat.size, c.window))
    } else {
      const included = selector(root, entry.policy.whiteLists)
      const selected = (yield* files.walk(root)).filter((s) => included(s.path))
      if (entry.policy.uploadMode === "Archive") yield* uploadArchive(c, files, entry, selected)
      else yield* uploadFiles(c, files, entry, selected.filter((s) => !s.isDirectory))
    }
    yield* recycle(c, entry, now)
  }).pipe(Effect.mapError(describe(entry.path)))

// Unpacks an archive into the entry's path: its entries are relative to that
// path. `extractToCurrentFolder` changes nothing here: the archive lies in
// the path it was packed from, so "its folder" and "the current folder" are
// the same (open: the cloud's layout of archives is unknown).
const extract = ({ vault }: Copy, files: SessionFiles, entry: BackendSync.SyncEntry, archive: string) =>
  Effect.suspend(() => {
    const included = selector(entry.path, entry.policy.whiteLists)
    let current: string | undefined
    return Tar.unpack(vault.files.read(entry.contextId, archive), {
      directory: (p) => included(join(entry.path, p)) ? files.makeDirectory(join(entry.path, p)) : Effect.void,
      file: (p) => {
        const path = join(entry.path, p)
        current = included(path) ? path : undefined
        return current === undefined ? Effect.void : files.write(current, new Uint8Array(0), "overwrite")
      },
      data: (bytes) => current === undefined ? Effect.void : files.write(current, bytes, "append"),
      end: Effect.void
    })
  })

export const download = (c: Copy, files: SessionFiles, entry: BackendSync.SyncEntry): Effect.Effect<void, SyncError> =>
  Effect.gen(function*() {
    const { vault } = c
    const { contextId, path: root } = entry
    const found = yield* vault.files.stat(contextId, root)
    if (Option.isNone(found)) return
    if (!found.value.isDirectory) return yield* writeInto(files, root, vault.files.read(contextId, root))
    const included = selector(root, entry.policy.whiteLists)
    const archive = entry.policy.uploadMode === "Archive" ? archivePath(root) : undefined
    let archived = false
    for (const s of yield* vault.files.walk(contextId, root)) {
      if (s.path === archive) archived = true
      else if (included(s.path)) yield* writeInto(files, s.path, vault.files.read(contextId, s.path))
    }
    if (archive === undefined || !archived) return
    if (entry.policy.extract) yield* extract(c, files, entry, archive)
    if (!entry.policy.extract || !entry.policy.deleteSrcFile) {
      yield* writeInto(files, archive, vault.files.read(contextId, archive))
    }
  }).pipe(Effect.mapError(describe(entry.path)))

/** Where Archive mode stores a path: `<path>/<basename(path)>.tar`. */
export const archivePath = (root: string) => join(root, `${basename(root) || "root"}.tar`)
