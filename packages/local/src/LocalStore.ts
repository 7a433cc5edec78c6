/**
 * Persistence for the local runtime: API key hashes and sessions in SQLite
 * (`@effect/sql-sqlite-node`, WAL journal); the backend's `BackendStore` for the
 * local runtime. Migrations are code, run before the
 * store serves. Store failures are defects: nobody can repair a broken local
 * database from a request, so the server answers them with a 500 envelope.
 *
 * Labels are stored twice, in one transaction: as JSON text in `sessions.labels`
 * (what reads return) and one row per pair in `session_labels`, indexed by
 * `(key, value)`, which list filters use: a filter costs the index entries of its
 * pairs, never a parse of every session's labels. A list's count stops at
 * `BackendStore.maxCount`. The database file and its `-wal`/`-shm` are mode 0600.
 *
 * @since 0.1.0
 */
import * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import { SessionStatus } from "@effect-agentbay/core/Session"
import * as NodeContext from "@effect/platform-node/NodeContext"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqliteMigrator from "@effect/sql-sqlite-node/SqliteMigrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import * as Arr from "effect/Array"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

// The store's records, re-exported from BackendStore (where they are defined).
export {
  /**
   * What `insertSession` needs (`BackendStore.NewSession`).
   *
   * @since 0.1.0
   * @category models
   */
  type NewSession,
  /**
   * One page of sessions (`BackendStore.SessionPage`).
   *
   * @since 0.1.0
   * @category models
   */
  type SessionPage,
  /**
   * One page query (`BackendStore.SessionQuery`).
   *
   * @since 0.1.0
   * @category models
   */
  type SessionQuery,
  /**
   * A session as stored (`BackendStore.SessionRow`).
   *
   * @since 0.1.0
   * @category models
   */
  SessionRow
} from "@effect-agentbay/backend/BackendStore"

/**
 * @since 0.1.0
 * @category tags
 */
export class LocalStore extends Context.Tag("@effect-agentbay/local/LocalStore")<LocalStore, LocalStore.Service>() {}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace LocalStore {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service extends BackendStore.BackendStore.Service {
    readonly countByStatus: Effect.Effect<ReadonlyArray<{ readonly status: string; readonly count: number }>>
    /** SHA-256 hashes of the stored (generated) API keys. */
    readonly keyHashes: Effect.Effect<ReadonlyArray<string>>
    readonly insertKeyHash: (hash: string, now: number) => Effect.Effect<void>
    readonly sqliteVersion: Effect.Effect<string>
  }
}

// Migrations are code, in order; the migrator records which ones ran. Never edit
// a shipped one: add the next.
const migrations = SqliteMigrator.fromRecord({
  "0001_initial": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE api_keys (
      hash TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL
    )`
    yield* sql`CREATE TABLE sessions (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      owner TEXT NOT NULL,
      status TEXT NOT NULL,
      pending_status TEXT,
      pending_at INTEGER,
      labels TEXT NOT NULL DEFAULT '{}',
      image_id TEXT NOT NULL,
      token TEXT NOT NULL,
      params TEXT NOT NULL DEFAULT '{}',
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`
    yield* sql`CREATE INDEX sessions_owner ON sessions (owner, seq)`
    yield* sql`CREATE INDEX sessions_pending ON sessions (pending_at) WHERE pending_at IS NOT NULL`
  }),
  // Labels as rows, indexed by (key, value), for list filters; backfilled from
  // `sessions.labels`, then kept in step with it by every write.
  "0002_session_labels": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE session_labels (
      session_seq INTEGER NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (session_seq, key)
    ) WITHOUT ROWID`
    yield* sql`CREATE INDEX session_labels_key_value ON session_labels (key, value, session_seq)`
    yield* sql`INSERT OR REPLACE INTO session_labels (session_seq, key, value)
      SELECT s.seq, l.key, l.value FROM sessions AS s, json_each(s.labels) AS l
      WHERE json_valid(s.labels) AND json_type(s.labels) = 'object' AND l.type = 'text'`
    // For the retention sweep (gone sessions by age) and the TTL sweep (live sessions by age).
    yield* sql`CREATE INDEX sessions_status_updated ON sessions (status, updated_at)`
    yield* sql`CREATE INDEX sessions_created ON sessions (created_at)`
  })
})

const goneStatuses = SessionStatus.literals.filter(Lifecycle.isGone)

// Rows of one multi-row INSERT (3 parameters each, far below SQLite's limit).
const insertBatch = 300

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  const findSession = SqlSchema.findOne({
    Request: Schema.Struct({ id: Schema.String, owner: Schema.optional(Schema.String) }),
    Result: BackendStore.SessionRow,
    execute: ({ id, owner }) =>
      sql`SELECT * FROM sessions WHERE id = ${id} ${owner === undefined ? sql`` : sql`AND owner = ${owner}`}`
  })
  const rows = (execute: () => Effect.Effect<ReadonlyArray<unknown>, SqlError>) =>
    Effect.orDie(Effect.flatMap(execute(), Schema.decodeUnknown(Schema.Array(BackendStore.SessionRow))))

  const where = (q: BackendStore.SessionQuery) =>
    sql.and([
      ...(q.owner === undefined ? [] : [sql`owner = ${q.owner}`]),
      q.status !== undefined
        ? sql`status = ${q.status}`
        : q.exclude.length > 0
        ? sql`status NOT IN ${sql.in(q.exclude)}`
        : sql`1=1`,
      ...labelFilter(q.labels)
    ])

  // The sessions holding every pair: one (key, value) index range per pair, intersected.
  const labelFilter = (labels: Readonly<Record<string, string>>) => {
    const pairs = Object.entries(labels)
    if (pairs.length === 0) return []
    const each = pairs.map(([k, v]) => sql`SELECT session_seq FROM session_labels WHERE key = ${k} AND value = ${v}`)
    return [sql`seq IN (${sql.join(" INTERSECT ", false)(each)})`]
  }

  const listSessions = (q: BackendStore.SessionQuery) =>
    Effect.gen(function*() {
      const page = yield* rows(() =>
        sql`SELECT * FROM sessions WHERE ${where(q)} AND seq > ${q.after} ORDER BY seq LIMIT ${q.limit}`
      )
      const [count] = yield* Effect.orDie(
        sql<{ total: number }>`SELECT count(*) AS total FROM
          (SELECT 1 FROM sessions WHERE ${where(q)} LIMIT ${BackendStore.maxCount})`
      )
      return { rows: page, total: count?.total ?? 0 }
    })

  // Replaces the label rows of a session (inside the caller's transaction).
  const writeLabels = (seq: number, labels: Readonly<Record<string, string>>) =>
    Effect.gen(function*() {
      yield* sql`DELETE FROM session_labels WHERE session_seq = ${seq}`
      const pairs = Object.entries(labels).map(([key, value]) => ({ sessionSeq: seq, key, value }))
      for (const batch of Arr.chunksOf(pairs, insertBatch)) yield* sql`INSERT INTO session_labels ${sql.insert(batch)}`
    })

  const pendingOf = (s: Lifecycle.State) => [s.pending?.status ?? null, s.pending?.at ?? null] as const

  return LocalStore.of({
    insertSession: (s) => {
      const [pendingStatus, pendingAt] = pendingOf(s.state)
      return Effect.gen(function*() {
        const [row] = yield* sql<{ seq: number }>`INSERT INTO sessions ${
          sql.insert({
            id: s.id,
            owner: s.owner,
            status: s.state.status,
            pendingStatus,
            pendingAt,
            labels: JSON.stringify(s.labels),
            imageId: s.imageId,
            token: s.token,
            params: JSON.stringify(s.params),
            createdAt: s.createdAt,
            updatedAt: s.createdAt
          })
        } RETURNING seq`
        if (row !== undefined) yield* writeLabels(row.seq, s.labels)
      }).pipe(sql.withTransaction, Effect.orDie)
    },
    findSession: (id, owner) => Effect.orDie(findSession({ id, owner })),
    listSessions,
    setState: (id, expected, next, now) => {
      const [oldStatus, oldAt] = pendingOf(expected)
      const [newStatus, newAt] = pendingOf(next)
      return Effect.orDie(sql`UPDATE sessions
        SET status = ${next.status}, pending_status = ${newStatus}, pending_at = ${newAt}, updated_at = ${now}
        WHERE id = ${id} AND status = ${expected.status} AND pending_status IS ${oldStatus} AND pending_at IS ${oldAt}
        RETURNING id`).pipe(Effect.map((changed) => changed.length > 0))
    },
    setLabels: (id, labels, now) =>
      Effect.gen(function*() {
        const [row] = yield* sql<{ seq: number }>`UPDATE sessions
          SET labels = ${JSON.stringify(labels)}, updated_at = ${now} WHERE id = ${id} RETURNING seq`
        if (row !== undefined) yield* writeLabels(row.seq, labels)
      }).pipe(sql.withTransaction, Effect.orDie),
    pending: (now) =>
      rows(() =>
        sql`SELECT * FROM sessions WHERE pending_at IS NOT NULL ${
          now === undefined ? sql`` : sql`AND pending_at <= ${now}`
        } ORDER BY seq`
      ),
    sessionsExcept: (exclude) =>
      rows(() =>
        exclude.length === 0
          ? sql`SELECT * FROM sessions ORDER BY seq`
          : sql`SELECT * FROM sessions WHERE status NOT IN ${sql.in(exclude)} ORDER BY seq`
      ),
    purgeGone: (before) =>
      Effect.gen(function*() {
        const gone = sql`status IN ${sql.in(goneStatuses)} AND updated_at < ${before}`
        yield* sql`DELETE FROM session_labels WHERE session_seq IN (SELECT seq FROM sessions WHERE ${gone})`
        const deleted = yield* sql<{ id: string }>`DELETE FROM sessions WHERE ${gone} RETURNING id`
        return deleted.map((r) => r.id)
      }).pipe(sql.withTransaction, Effect.orDie),
    expired: (now, ttlMillis) =>
      rows(() =>
        sql`SELECT * FROM sessions WHERE status NOT IN ${sql.in(goneStatuses)}
          AND created_at <= ${now - ttlMillis} ORDER BY seq`
      ),
    countByStatus: Effect.orDie(
      sql<{ status: string; count: number }>`SELECT status, count(*) AS count FROM sessions
        GROUP BY status ORDER BY status`
    ),
    keyHashes: Effect.orDie(sql<{ hash: string }>`SELECT hash FROM api_keys ORDER BY created_at`).pipe(
      Effect.map((rs) => rs.map((r) => r.hash))
    ),
    insertKeyHash: (hash, now) =>
      Effect.orDie(sql`INSERT INTO api_keys ${sql.insert({ hash, createdAt: now })} ON CONFLICT DO NOTHING`),
    sqliteVersion: Effect.orDie(sql<{ version: string }>`SELECT sqlite_version() AS version`).pipe(
      Effect.map(([r]) => r?.version ?? "unknown")
    )
  })
}).pipe(Effect.withSpan("LocalStore.make"))

// Before SQLite opens it: the database file exists with mode 0600, and so do any
// `-wal`/`-shm` left by an earlier run. SQLite creates new `-wal`/`-shm` files
// with the mode of the database file, so they are 0600 too. (An empty file is an
// empty database to SQLite.)
const ownerOnly = (filename: string) =>
  Effect.gen(function*() {
    if (filename === "" || filename === ":memory:" || filename.startsWith("file:")) return
    const fs = yield* FileSystem.FileSystem
    if (!(yield* fs.exists(filename))) yield* fs.writeFile(filename, new Uint8Array(0), { flag: "a", mode: 0o600 })
    for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) {
      if (yield* fs.exists(file)) yield* fs.chmod(file, 0o600)
    }
  })

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** SQLite file, e.g. `<dataDir>/agentbay.db`; `":memory:"` keeps nothing. */
  readonly filename: string
}

/**
 * Opens (or creates) the database, runs pending migrations, then serves, as
 * `LocalStore` and as the backend's `BackendStore`; also provides its
 * `SqlClient` (one connection), for `LocalVault` over the same database. The
 * journal is WAL (`PRAGMA journal_mode=WAL`, set by `SqliteClient` on open), so
 * the CLI can read while a server writes, and a killed server loses nothing it
 * acknowledged.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  LocalStore | BackendStore.BackendStore | SqlClient.SqlClient,
  SqlError | SqliteMigrator.MigrationError | ConfigError.ConfigError | PlatformError
> =>
  Layer.effectContext(
    Effect.map(make, (store) => Context.make(LocalStore, store).pipe(Context.add(BackendStore.BackendStore, store)))
  ).pipe(
    Layer.provide(SqliteMigrator.layer({ loader: migrations })),
    Layer.provideMerge(Layer.unwrapEffect(Effect.as(
      ownerOnly(options.filename),
      SqliteClient.layer({
        filename: options.filename,
        // snake_case columns, camelCase fields
        transformQueryNames: (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        transformResultNames: (name) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
      })
    ))),
    Layer.provide(NodeContext.layer)
  )
