/**
 * A `BackendVault` in memory: the fake's vault. Same semantics as the local
 * runtime's (keyset paging by `seq`, names unique per owner, atomic file
 * writes: the stream is collected first, then the file is replaced at once),
 * nothing kept after the layer is gone. File times come from the Effect
 * `Clock`. A test can make the next file reads or writes fail (`Faults`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { FileError, normalize } from "./BackendSandbox.js"
import {
  BackendVault,
  type ContextFiles,
  type ContextRow,
  type FileToken,
  type NetworkRow,
  type RecycleRow,
  type StoredFile,
  type SyncTaskRow,
  type VolumeRow
} from "./BackendVault.js"
import * as Bytes from "./internal/bytes.js"

/**
 * The size of the chunks `files.read` yields.
 *
 * @since 0.1.0
 * @category constants
 */
export const chunkSize = 1024 * 1024

/**
 * Failures a test can inject into the stored files.
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults {
  /** The next `times` file reads (`read`) or writes (`write`) fail with an `Io` `FileError`. */
  readonly failNext: (operation: "read" | "write", times?: number) => Effect.Effect<void>
}

interface Stored {
  readonly bytes: Uint8Array
  readonly createdAt: number
  readonly modTime: number
}

const nameOf = (path: string) => path.slice(path.lastIndexOf("/") + 1)
const prefixOf = (folder: string) => (folder === "/" ? "/" : `${folder}/`)
const byPath = (a: StoredFile, b: StoredFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

// The stored files of every context, path -> file, with folders as the parents of files.
const makeTree = () => {
  const all = new Map<string, Map<string, Stored>>()
  const of = (contextId: string) => {
    let files = all.get(contextId)
    if (files === undefined) all.set(contextId, files = new Map())
    return files
  }
  const fileStat = (path: string, f: Stored): StoredFile => ({
    name: nameOf(path),
    path,
    isDirectory: false,
    size: f.bytes.length,
    modTime: f.modTime
  })
  const below = (contextId: string, folder: string) => {
    const prefix = prefixOf(folder)
    return [...of(contextId)].filter(([p]) => p.startsWith(prefix))
  }
  const folderStat = (contextId: string, path: string): Option.Option<StoredFile> => {
    const inside = below(contextId, path)
    if (inside.length === 0) return Option.none()
    const modTime = Math.max(...inside.map(([, f]) => f.modTime))
    return Option.some({ name: nameOf(path), path, isDirectory: true, size: 0, modTime })
  }
  const stat = (contextId: string, given: string) => {
    const path = normalize(given)
    const file = of(contextId).get(path)
    return file !== undefined ? Option.some(fileStat(path, file)) : folderStat(contextId, path)
  }
  // A file may not sit where a folder is, nor below another file.
  const conflict = (contextId: string, path: string) => {
    if (below(contextId, path).length > 0) return new FileError({ reason: "IsDirectory", path, detail: "is a folder" })
    const parts = path.split("/")
    for (let i = 2; i < parts.length; i++) {
      if (of(contextId).has(parts.slice(0, i).join("/"))) {
        return new FileError({ reason: "NotDirectory", path, detail: "a parent is a file" })
      }
    }
    return undefined
  }
  return { all, of, fileStat, below, folderStat, stat, conflict }
}

const makeFiles = (
  faults: { read: number; write: number }
): ContextFiles & { readonly drop: (contextId: string) => void } => {
  const { all, below, conflict, fileStat, folderStat, of, stat } = makeTree()
  const fault = (operation: "read" | "write", path: string) => {
    if (faults[operation] === 0) return undefined
    faults[operation]--
    return new FileError({ reason: "Io", path, detail: `injected ${operation} failure` })
  }
  return {
    stat: (contextId, path) => Effect.sync(() => stat(contextId, path)),
    list: (contextId, given) =>
      Effect.sync(() => {
        const folder = normalize(given)
        const prefix = prefixOf(folder)
        const children = new Map<string, StoredFile>()
        for (const [path, f] of below(contextId, folder)) {
          const name = path.slice(prefix.length).split("/")[0]!
          const child = prefix + name
          if (children.has(name)) continue
          children.set(name, child === path ? fileStat(path, f) : Option.getOrThrow(folderStat(contextId, child)))
        }
        return [...children.values()].sort(byPath)
      }),
    walk: (contextId, given) =>
      Effect.sync(() => {
        const path = normalize(given)
        const file = of(contextId).get(path)
        const inside = below(contextId, path).map(([p, f]) => fileStat(p, f))
        return (file === undefined ? inside : [fileStat(path, file), ...inside]).sort(byPath)
      }),
    read: (contextId, given) =>
      Stream.unwrap(Effect.sync(() => {
        const path = normalize(given)
        const injected = fault("read", given)
        if (injected !== undefined) return Stream.fail(injected)
        const file = of(contextId).get(path)
        if (file === undefined) {
          const isFolder = Option.isSome(folderStat(contextId, path))
          return Stream.fail(
            new FileError({ reason: isFolder ? "IsDirectory" : "NotFound", path: given, detail: "no such stored file" })
          )
        }
        const chunks: Array<Uint8Array> = []
        for (let at = 0; at < file.bytes.length; at += chunkSize) chunks.push(file.bytes.subarray(at, at + chunkSize))
        return Stream.fromIterable(chunks)
      })),
    write: (contextId, given, bytes) =>
      Effect.gen(function*() {
        const path = normalize(given)
        const injected = fault("write", given)
        if (injected !== undefined) return yield* injected
        const content = yield* Bytes.collect(bytes)
        const blocked = conflict(contextId, path)
        if (blocked !== undefined) return yield* blocked
        const now = yield* Clock.currentTimeMillis
        const files = of(contextId)
        files.set(path, { bytes: content, createdAt: files.get(path)?.createdAt ?? now, modTime: now })
        return content.length
      }),
    remove: (contextId, given) =>
      Effect.sync(() => {
        const path = normalize(given)
        const files = of(contextId)
        const inside = below(contextId, path)
        for (const [p] of inside) files.delete(p)
        return files.delete(path) || inside.length > 0
      }),
    clear: (contextId) => Effect.sync(() => void all.delete(contextId)),
    drop: (contextId) => void all.delete(contextId)
  }
}

/**
 * A fresh, empty vault and its fault switches.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithFaults: Effect.Effect<{ readonly vault: BackendVault.Service; readonly faults: Faults }> = Effect
  .sync(() => {
    const pending = { read: 0, write: 0 }
    const files = makeFiles(pending)
    const contexts = new Map<string, ContextRow>()
    const tasks = new Map<string, SyncTaskRow>()
    const volumes = new Map<string, VolumeRow>()
    const networks = new Map<string, NetworkRow>()
    const tokens = new Map<string, FileToken>()
    const recycles = new Map<string, RecycleRow>()
    let seq = 0
    const owned = <R extends { readonly owner: string }>(row: R | undefined, owner?: string) =>
      Option.filter(Option.fromNullable(row), (r) => owner === undefined || r.owner === owner)
    const taskKey = (t: SyncTaskRow) => JSON.stringify([t.sessionId, t.contextId, t.path, t.taskType])
    const recycleKey = (contextId: string, path: string) => JSON.stringify([contextId, path])

    const vault = BackendVault.of({
      insertContext: (row) => Effect.sync(() => void contexts.set(row.id, { ...row, seq: ++seq })),
      findContext: (id, owner) => Effect.sync(() => owned(contexts.get(id), owner)),
      findContextByName: (owner, name) =>
        Effect.sync(() =>
          Option.fromNullable([...contexts.values()].find((c) => c.owner === owner && c.name === name))
        ),
      listContexts: ({ after, limit, owner }) =>
        Effect.sync(() => {
          const mine = [...contexts.values()].filter((c) => c.owner === owner && c.kind === "user")
          return { rows: mine.filter((c) => c.seq > after).slice(0, limit), total: mine.length }
        }),
      updateContext: (id, patch) =>
        Effect.sync(() => {
          const row = contexts.get(id)
          if (row !== undefined) contexts.set(id, { ...row, ...patch })
        }),
      deleteContext: (id) =>
        Effect.sync(() => {
          contexts.delete(id)
          files.drop(id)
          for (const [token, t] of tokens) if (t.contextId === id) tokens.delete(token)
          for (const [key, r] of recycles) if (r.contextId === id) recycles.delete(key)
        }),
      files,
      putTask: (task) => Effect.sync(() => void tasks.set(taskKey(task), task)),
      tasks: (sessionId) => Effect.sync(() => [...tasks.values()].filter((t) => t.sessionId === sessionId)),
      dropTasks: (ids) =>
        Effect.sync(() => {
          const gone = new Set(ids)
          for (const [key, t] of tasks) if (gone.has(t.sessionId)) tasks.delete(key)
        }),
      insertVolume: (row) => Effect.sync(() => void volumes.set(row.id, { ...row, seq: ++seq })),
      findVolume: (id, owner) => Effect.sync(() => owned(volumes.get(id), owner)),
      findVolumeByName: (owner, imageId, name) =>
        Effect.sync(() =>
          Option.fromNullable(
            [...volumes.values()].find((v) => v.owner === owner && v.imageId === imageId && v.name === name)
          )
        ),
      listVolumes: (q) =>
        Effect.sync(() =>
          [...volumes.values()].filter((v) =>
            v.owner === q.owner && v.imageId === q.imageId && v.seq > q.after &&
            (q.name === undefined || v.name === q.name) && (q.ids === undefined || q.ids.includes(v.id))
          ).slice(0, q.limit)
        ),
      deleteVolume: (id) => Effect.sync(() => void volumes.delete(id)),
      insertNetwork: (row) => Effect.sync(() => void networks.set(row.id, row)),
      findNetwork: (id, owner) => Effect.sync(() => owned(networks.get(id), owner)),
      updateNetwork: (id, patch) =>
        Effect.sync(() => {
          const row = networks.get(id)
          if (row !== undefined) networks.set(id, { ...row, ...patch })
        }),
      insertToken: (token) => Effect.sync(() => void tokens.set(token.token, token)),
      findToken: (token) => Effect.sync(() => Option.fromNullable(tokens.get(token))),
      deleteToken: (token) => Effect.sync(() => void tokens.delete(token)),
      deleteTokensFor: (contextId, path) =>
        Effect.sync(() => {
          const below = path.endsWith("/") ? path : `${path}/`
          for (const [token, t] of tokens) {
            if (t.contextId === contextId && (t.path === path || t.path.startsWith(below))) tokens.delete(token)
          }
        }),
      purgeTokens: (now) =>
        Effect.sync(() => {
          for (const [token, t] of tokens) if (t.expiresAt < now) tokens.delete(token)
        }),
      setRecycle: (row) => Effect.sync(() => void recycles.set(recycleKey(row.contextId, row.path), row)),
      dueRecycles: (now) => Effect.sync(() => [...recycles.values()].filter((r) => r.expiresAt <= now)),
      deleteRecycle: (contextId, path) => Effect.sync(() => void recycles.delete(recycleKey(contextId, path)))
    })
    const faults: Faults = {
      failNext: (operation, times = 1) => Effect.sync(() => void (pending[operation] += times))
    }
    return { vault, faults }
  })

/**
 * A fresh, empty vault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BackendVault.Service> = Effect.map(makeWithFaults, ({ vault }) => vault)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BackendVault> = Layer.effect(BackendVault, make)
