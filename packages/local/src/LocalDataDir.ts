/**
 * The data directory of the local runtime: its layout, and the marker that says
 * a server is using it (`server.json`: pid and endpoint), so that two servers
 * never share one directory and the CLI does not edit sessions under a running one.
 *
 * ```
 * <dataDir>/agentbay.db   SQLite (WAL: also agentbay.db-wal, agentbay.db-shm)
 * <dataDir>/api-key       the generated key, mode 0600 (first start only)
 * <dataDir>/server.json   present while a server runs
 * <dataDir>/sandboxes/    one tree per session (Sandbox)
 * <dataDir>/contexts/     one directory per context with stored files (LocalVault)
 * <dataDir>/volumes/      one directory per volume: its data, mounted into sessions (Sandbox)
 * ```
 *
 * The directories are created 0700 (as needed); the database files and the key file are 0600.
 * Contexts and volumes outlive sessions: nothing that cleans up sessions (`sweepOrphans`,
 * `Sandbox.destroy`) touches them.
 * A server killed between creating a session's tree and recording the session
 * leaves a tree with no row, and one killed between a delete's status write and
 * its tree's removal leaves a gone session with a tree; `sweepOrphans` removes
 * both at start-up.
 *
 * @since 0.1.0
 */
import type * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as NodePath from "node:path"
import { keyFileName } from "./LocalAuth.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const files = {
  database: "agentbay.db",
  apiKey: keyFileName,
  server: "server.json",
  sandboxes: "sandboxes",
  contexts: "contexts",
  volumes: "volumes"
} as const

/**
 * The mode of every directory the local runtime makes in the data dir (owner only).
 *
 * @since 0.1.0
 * @category constants
 */
export const directoryMode = 0o700

/**
 * An id that names a directory in the data dir (a session's tree, a context's
 * files, a volume): 1 to 128 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValidId = (id: string): boolean => /^[A-Za-z0-9._-]{1,128}$/.test(id) && id !== "." && id !== ".."

/**
 * `<dataDir>/volumes/<volumeId>`, the host directory of a volume's data;
 * undefined for an id that is not `isValidId`.
 *
 * @since 0.1.0
 * @category utils
 */
export const volumeDirectory = (dataDir: string, volumeId: string): string | undefined =>
  isValidId(volumeId) ? NodePath.join(dataDir, files.volumes, volumeId) : undefined

/**
 * What `server.json` holds.
 *
 * @since 0.1.0
 * @category models
 */
export const ServerMarker = Schema.Struct({
  pid: Schema.Number,
  endpoint: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ServerMarker = typeof ServerMarker.Type

/**
 * Another live process serves this data dir.
 *
 * @since 0.1.0
 * @category errors
 */
export class InUse extends Schema.TaggedError<InUse>("@effect-agentbay/local/InUse")("InUse", {
  dataDir: Schema.String,
  marker: ServerMarker
}) {
  override get message(): string {
    const at = this.marker.endpoint === undefined ? "" : ` at ${this.marker.endpoint}`
    return `${this.dataDir} is in use by a running agentbay-local server (pid ${this.marker.pid}${at})`
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * The server currently using `dataDir`, if its process is alive. A marker left
 * by a killed server is ignored.
 *
 * @since 0.1.0
 * @category utils
 */
export const running = (
  dataDir: string
): Effect.Effect<Option.Option<ServerMarker>, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const text = yield* fs.readFileString(path.join(dataDir, files.server))
    const marker = yield* Schema.decodeUnknown(Schema.parseJson(ServerMarker))(text)
    return marker.pid !== process.pid && alive(marker.pid) ? Option.some(marker) : Option.none()
  }).pipe(Effect.orElseSucceed(() => Option.none<ServerMarker>()))

/**
 * Claims `dataDir` for this process until the scope closes; fails with `InUse`
 * when another live server holds it. `publish` records the endpoint once known.
 *
 * @since 0.1.0
 * @category constructors
 */
export const claim = (
  dataDir: string
): Effect.Effect<
  { readonly publish: (endpoint: string) => Effect.Effect<void, PlatformError> },
  InUse | PlatformError,
  FileSystem.FileSystem | Path.Path | Scope.Scope
> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dataDir, files.server)
    const other = yield* running(dataDir)
    if (Option.isSome(other)) return yield* new InUse({ dataDir, marker: other.value })
    const write = (marker: ServerMarker) => fs.writeFileString(file, JSON.stringify(marker) + "\n", { mode: 0o600 })
    yield* Effect.acquireRelease(write({ pid: process.pid }), () => Effect.ignore(fs.remove(file)))
    return { publish: (endpoint: string) => write({ pid: process.pid, endpoint }) }
  })

/**
 * Removes the session trees under `<dataDir>/sandboxes` that have no session
 * record (left by a server killed while creating the session), and logs how
 * many. Only that directory: contexts and volumes are never touched, and a
 * volume linked into a removed tree (process mode) is unlinked, not followed.
 * Run it before the server takes requests: a create in progress has a tree
 * and no record yet. Returns the ids removed.
 *
 * @since 0.1.0
 * @category utils
 */
export const sweepOrphans = (
  dataDir: string,
  store: BackendStore.BackendStore.Service
): Effect.Effect<ReadonlyArray<string>, PlatformError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const root = path.join(dataDir, files.sandboxes)
    if (!(yield* fs.exists(root))) return []
    const removed: Array<string> = []
    for (const id of yield* fs.readDirectory(root)) {
      // A tree stays only while its session is live: a kill between a delete's
      // status write and its tree's removal leaves a DELETED record with a tree.
      const row = yield* store.findSession(id)
      if (Option.isSome(row) && !Lifecycle.isGone(row.value.status)) continue
      const tree = path.join(root, id)
      yield* fs.remove(tree, { recursive: true }).pipe(
        Effect.zipRight(Effect.sync(() => removed.push(id))),
        Effect.catchAll((e) => Effect.logWarning(`agentbay-local: could not remove ${tree}: ${e.message}`))
      )
    }
    if (removed.length > 0) {
      yield* Effect.logInfo(`agentbay-local: removed ${removed.length} session tree(s) with no session record`)
    }
    return removed
  }).pipe(Effect.withSpan("LocalDataDir.sweepOrphans"))
