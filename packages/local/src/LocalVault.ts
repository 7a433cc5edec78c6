/**
 * The local runtime's `BackendVault`: contexts, sync tasks, volumes, networks,
 * the tokens of pre-signed file URLs and recycle lifetimes as rows in the
 * SQLite database of `LocalStore` (the same connection, so the store's and the
 * vault's transactions never contend), and the contexts' stored files under
 * `<dataDir>/contexts/<contextId>/files/<sandbox path>`.
 *
 * Tables come from the vault's own migrations: code, in order, run by the
 * same mechanism as the store's (`SqliteMigrator`) but recorded in their own
 * ledger, `effect_sql_migrations_vault`. One ledger for both would make the
 * store's migrations depend on the vault's being present (the migrator skips
 * every id at or below the latest one it has recorded).
 *
 * - Names are unique per owner (contexts) and per owner and image (volumes);
 *   sync tasks are unique per (session, context, path, task type) and
 *   `putTask` keeps the first one's place in the session's order.
 * - A URL token is stored as its SHA-256 (hex), never as itself.
 * - Every record write is one statement or one transaction, committed (WAL)
 *   before its effect succeeds; record failures are defects, as in `LocalStore`.
 * - File writes are atomic and durable: streamed into a temp file in the
 *   context's `staging` directory, fsynced, renamed over the target, the
 *   target's directory fsynced. A failed or interrupted write leaves the old
 *   file and no temp file; the layer's start empties `staging` (a write cut by
 *   a SIGKILL) and removes the files of contexts with no record (a delete cut
 *   between its record and its files).
 * - Paths are checked lexically: a `..` component is an `Escape`, a NUL or an
 *   empty path `Invalid`; relative paths start at the session's home.
 *
 * @since 0.1.0
 */
import type { FileError } from "@effect-agentbay/backend/BackendSandbox"
import { BackendVault, type FileToken, type RecycleRow, type SyncTaskRow } from "@effect-agentbay/backend/BackendVault"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Path from "node:path"
import * as DiskFiles from "./internal/localVault.js"
import { hash } from "./LocalAuth.js"
import { files as dataDirFiles } from "./LocalDataDir.js"

// Never edit a shipped migration: add the next.
const migrations = Migrator.fromRecord({
  "0001_vault": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE contexts (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      owner TEXT NOT NULL,
      name TEXT NOT NULL,
      state TEXT NOT NULL,
      kind TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL,
      UNIQUE (owner, name)
    )`
    // ListContexts: an owner's contexts of one kind, by seq.
    yield* sql`CREATE INDEX contexts_owner_kind ON contexts (owner, kind, seq)`
    yield* sql`CREATE TABLE sync_tasks (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      session_id TEXT NOT NULL,
      context_id TEXT NOT NULL,
      path TEXT NOT NULL,
      task_type TEXT NOT NULL,
      status TEXT NOT NULL,
      start_time INTEGER NOT NULL,
      finish_time INTEGER,
      error_message TEXT NOT NULL,
      UNIQUE (session_id, context_id, path, task_type)
    )`
    yield* sql`CREATE TABLE volumes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      owner TEXT NOT NULL,
      name TEXT NOT NULL,
      image_id TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      UNIQUE (owner, image_id, name)
    )`
    // ListVolumes: an owner's volumes of one image, by seq.
    yield* sql`CREATE INDEX volumes_owner_image ON volumes (owner, image_id, seq)`
    yield* sql`CREATE TABLE networks (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      token TEXT NOT NULL,
      online INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    ) WITHOUT ROWID`
    yield* sql`CREATE TABLE file_tokens (
      hash TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      owner TEXT NOT NULL,
      context_id TEXT NOT NULL,
      path TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`
    yield* sql`CREATE INDEX file_tokens_expires ON file_tokens (expires_at)`
    yield* sql`CREATE INDEX file_tokens_context ON file_tokens (context_id, path)`
    yield* sql`CREATE TABLE recycles (
      context_id TEXT NOT NULL,
      path TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (context_id, path)
    ) WITHOUT ROWID`
    yield* sql`CREATE INDEX recycles_expires ON recycles (expires_at)`
  })
})

const ContextRecord = Schema.Struct({
  seq: Schema.Number,
  id: Schema.String,
  owner: Schema.String,
  name: Schema.String,
  state: Schema.Literal("available", "in-use", "pre-available", "clearing"),
  kind: Schema.Literal("user", "file_transfer"),
  createdAt: Schema.Number,
  lastUsedAt: Schema.Number
})

const TaskRecord = Schema.Struct({
  sessionId: Schema.String,
  contextId: Schema.String,
  path: Schema.String,
  taskType: Schema.Literal("upload", "download"),
  status: Schema.Literal("Running", "Success", "Failed"),
  startTime: Schema.Number,
  finishTime: Schema.NullOr(Schema.Number),
  errorMessage: Schema.String
})

const VolumeRecord = Schema.Struct({
  seq: Schema.Number,
  id: Schema.String,
  owner: Schema.String,
  name: Schema.String,
  imageId: Schema.String,
  status: Schema.String,
  createdAt: Schema.Number
})

const NetworkRecord = Schema.Struct({
  id: Schema.String,
  owner: Schema.String,
  token: Schema.String,
  online: Schema.transform(Schema.Number, Schema.Boolean, {
    strict: true,
    decode: (n) => n !== 0,
    encode: (b) => (b ? 1 : 0)
  }),
  createdAt: Schema.Number
})

const TokenRecord = Schema.Struct({
  kind: Schema.Literal("upload", "download"),
  owner: Schema.String,
  contextId: Schema.String,
  path: Schema.String,
  expiresAt: Schema.Number
})

const RecycleRecord = Schema.Struct({ contextId: Schema.String, path: Schema.String, expiresAt: Schema.Number })

/** Rows of a query, decoded; a failure is a defect (the database is the runtime's own). */
const decoded = <A, I>(schema: Schema.Schema<A, I>) => (query: Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
  Effect.orDie(Effect.flatMap(query, Schema.decodeUnknown(Schema.Array(schema))))

const first = <A, I>(schema: Schema.Schema<A, I>) => (query: Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
  Effect.map(decoded(schema)(query), Arr.head)

// Bound parameters of one batched `IN (...)`, far below SQLite's limit (32 766; ListVolumes' `VolumeIds.N`
// has at most 4 digits, so its ids go in one).
const inBatch = 500

type Service = BackendVault.Service

/** `AND owner = ?` when an owner is given. */
const ownedBy = (sql: SqlClient.SqlClient, owner: string | undefined) =>
  owner === undefined ? sql`` : sql`AND owner = ${owner}`

/** Sets the patch's defined fields of row `id` (a patch's `undefined` means "leave it"). */
const update = (sql: SqlClient.SqlClient, table: string, id: string, patch: object): Effect.Effect<void> => {
  const fields = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
  return Object.keys(fields).length === 0
    ? Effect.void
    : Effect.orDie(sql`UPDATE ${sql(table)} SET ${sql.update(fields)} WHERE id = ${id}`)
}

type ContextRecords = Pick<
  Service,
  "insertContext" | "findContext" | "findContextByName" | "listContexts" | "updateContext" | "deleteContext"
>

const contextRecords = (sql: SqlClient.SqlClient, disk: DiskFiles.DiskFiles): ContextRecords => ({
  insertContext: (row) => Effect.orDie(sql`INSERT INTO contexts ${sql.insert({ ...row })}`),
  findContext: (id, owner) => first(ContextRecord)(sql`SELECT * FROM contexts WHERE id = ${id} ${ownedBy(sql, owner)}`),
  findContextByName: (owner, name) =>
    first(ContextRecord)(sql`SELECT * FROM contexts WHERE owner = ${owner} AND name = ${name}`),
  listContexts: ({ after, limit, owner }) =>
    Effect.all({
      rows: decoded(ContextRecord)(sql`SELECT * FROM contexts
        WHERE owner = ${owner} AND kind = 'user' AND seq > ${after} ORDER BY seq LIMIT ${limit}`),
      total: Effect.orDie(
        sql<{ total: number }>`SELECT count(*) AS total FROM contexts WHERE owner = ${owner} AND kind = 'user'`
      ).pipe(Effect.map(([r]) => r?.total ?? 0))
    }),
  updateContext: (id, patch) => update(sql, "contexts", id, patch),
  // The record first, in one transaction with its tokens and lifetimes: a kill before the files are gone
  // leaves files with no record, which the next start removes.
  deleteContext: (id): Effect.Effect<void, FileError> =>
    Effect.zipRight(
      Effect.all([
        sql`DELETE FROM file_tokens WHERE context_id = ${id}`,
        sql`DELETE FROM recycles WHERE context_id = ${id}`,
        sql`DELETE FROM contexts WHERE id = ${id}`
      ], { discard: true }).pipe(sql.withTransaction, Effect.orDie),
      disk.removeContext(id)
    )
})

const taskRecords = (sql: SqlClient.SqlClient): Pick<Service, "putTask" | "tasks" | "dropTasks"> => ({
  putTask: (task: SyncTaskRow) =>
    Effect.orDie(sql`INSERT INTO sync_tasks ${sql.insert({ ...task })}
      ON CONFLICT (session_id, context_id, path, task_type) DO UPDATE SET
        status = excluded.status, start_time = excluded.start_time,
        finish_time = excluded.finish_time, error_message = excluded.error_message`),
  tasks: (sessionId) =>
    decoded(TaskRecord)(sql`SELECT session_id, context_id, path, task_type, status, start_time, finish_time,
      error_message FROM sync_tasks WHERE session_id = ${sessionId} ORDER BY seq`),
  dropTasks: (sessionIds) =>
    Effect.forEach(
      Arr.chunksOf(sessionIds, inBatch),
      (batch) => sql`DELETE FROM sync_tasks WHERE session_id IN ${sql.in(batch)}`,
      { discard: true }
    ).pipe(sql.withTransaction, Effect.orDie)
})

type VolumeRecords = Pick<Service, "insertVolume" | "findVolume" | "findVolumeByName" | "listVolumes" | "deleteVolume">

const volumeRecords = (sql: SqlClient.SqlClient): VolumeRecords => ({
  insertVolume: (row) => Effect.orDie(sql`INSERT INTO volumes ${sql.insert({ ...row })}`),
  findVolume: (id, owner) => first(VolumeRecord)(sql`SELECT * FROM volumes WHERE id = ${id} ${ownedBy(sql, owner)}`),
  findVolumeByName: (owner, imageId, name) =>
    first(VolumeRecord)(sql`SELECT * FROM volumes WHERE owner = ${owner} AND image_id = ${imageId} AND name = ${name}`),
  // `ids`, when given, is the set to pick from (empty: none), as in MemoryVault.
  listVolumes: (q) =>
    decoded(VolumeRecord)(sql`SELECT * FROM volumes WHERE ${
      sql.and([
        sql`owner = ${q.owner}`,
        sql`image_id = ${q.imageId}`,
        sql`seq > ${q.after}`,
        ...(q.name === undefined ? [] : [sql`name = ${q.name}`]),
        ...(q.ids === undefined ? [] : [q.ids.length === 0 ? sql`0` : sql`id IN ${sql.in(q.ids)}`])
      ])
    } ORDER BY seq LIMIT ${q.limit}`),
  deleteVolume: (id) => Effect.orDie(sql`DELETE FROM volumes WHERE id = ${id}`)
})

type NetworkRecords = Pick<Service, "insertNetwork" | "findNetwork" | "updateNetwork">

const networkRecords = (sql: SqlClient.SqlClient): NetworkRecords => ({
  insertNetwork: (row) => Effect.orDie(sql`INSERT INTO networks ${sql.insert({ ...row, online: row.online ? 1 : 0 })}`),
  findNetwork: (id, owner) => first(NetworkRecord)(sql`SELECT * FROM networks WHERE id = ${id} ${ownedBy(sql, owner)}`),
  updateNetwork: (id, { online, token }) =>
    update(sql, "networks", id, { token, online: online === undefined ? undefined : online ? 1 : 0 })
})

// Tokens are kept as their SHA-256 only: the database never holds one.
const tokenRecords = (
  sql: SqlClient.SqlClient
): Pick<Service, "insertToken" | "findToken" | "deleteToken" | "deleteTokensFor" | "purgeTokens"> => ({
  insertToken: ({ token, ...grant }: FileToken) =>
    Effect.orDie(sql`INSERT INTO file_tokens ${sql.insert({ hash: hash(token), ...grant })}`),
  findToken: (token) =>
    first(TokenRecord)(sql`SELECT kind, owner, context_id, path, expires_at FROM file_tokens
      WHERE hash = ${hash(token)}`).pipe(Effect.map(Option.map((grant): FileToken => ({ token, ...grant })))),
  deleteToken: (token) => Effect.orDie(sql`DELETE FROM file_tokens WHERE hash = ${hash(token)}`),
  // The path, and below it: compared by prefix with substr (a LIKE pattern would read `%` and `_` in names).
  deleteTokensFor: (contextId, path) => {
    const below = path.endsWith("/") ? path : `${path}/`
    return Effect.orDie(sql`DELETE FROM file_tokens WHERE context_id = ${contextId}
      AND (path = ${path} OR substr(path, 1, ${below.length}) = ${below})`)
  },
  purgeTokens: (now) => Effect.orDie(sql`DELETE FROM file_tokens WHERE expires_at < ${now}`)
})

type RecycleRecords = Pick<Service, "setRecycle" | "dueRecycles" | "deleteRecycle">

const recycleRecords = (sql: SqlClient.SqlClient): RecycleRecords => ({
  setRecycle: (row: RecycleRow) =>
    Effect.orDie(sql`INSERT INTO recycles ${sql.insert({ ...row })}
      ON CONFLICT (context_id, path) DO UPDATE SET expires_at = excluded.expires_at`),
  dueRecycles: (now) =>
    decoded(RecycleRecord)(sql`SELECT * FROM recycles WHERE expires_at <= ${now} ORDER BY expires_at`),
  deleteRecycle: (contextId, path) =>
    Effect.orDie(sql`DELETE FROM recycles WHERE context_id = ${contextId} AND path = ${path}`)
})

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** The data directory: stored files go under `<dataDir>/contexts`. */
  readonly dataDir: string
}

/**
 * Builds the vault over the database of the `SqlClient` (with the vault's
 * migrations run) and the data directory; sweeps `<dataDir>/contexts` first.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const disk = DiskFiles.make(Path.resolve(options.dataDir, dataDirFiles.contexts))
    const contexts = contextRecords(sql, disk)
    yield* disk.sweep((id) => Effect.map(contexts.findContext(id), Option.isSome))
    const { removeContext: _, sweep: __, ...files } = disk
    return BackendVault.of({
      ...contexts,
      files,
      ...taskRecords(sql),
      ...volumeRecords(sql),
      ...networkRecords(sql),
      ...tokenRecords(sql),
      ...recycleRecords(sql)
    })
  }).pipe(Effect.withSpan("LocalVault.make"))

/**
 * The vault over the `SqlClient` (`LocalStore.layer` provides it: one
 * database, one connection) and `options.dataDir`; runs the vault's
 * migrations first.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<BackendVault, SqlError | Migrator.MigrationError, SqlClient.SqlClient> =>
  Layer.effect(BackendVault, Effect.zipRight(migrate({ loader: migrations, table: migrationTable }), make(options)))

/**
 * The ledger of the vault's migrations (the store's is the migrator's default).
 *
 * @since 0.1.0
 * @category constants
 */
export const migrationTable = "effect_sql_migrations_vault"

// The migrator without a schema dump: it needs nothing but the SqlClient.
const migrate = Migrator.make({})
