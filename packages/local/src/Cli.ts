/**
 * `agentbay-local`: run and inspect the local runtime from a terminal.
 *
 * - `serve`: the server on `--host`/`--port` (default 127.0.0.1:18080) over
 *   `--data-dir` (default `./.agentbay-local`, git-ignored), until SIGINT/SIGTERM,
 *   accepting the keys of `--api-key` and `--api-key-file` (else of
 *   `AGENTBAY_LOCAL_API_KEYS`, comma-separated; else the generated one).
 * - `sessions list` / `sessions delete ID`: while a server runs on the data dir
 *   (its `server.json`), through that server over HTTP with an API key
 *   (`--api-key`, else `AGENTBAY_API_KEY`, else the data dir's generated key
 *   file), so they see the sessions of that key; otherwise on the data dir
 *   directly (the SQLite file and the session trees, every owner).
 *   `sessions list --all` always reads the database (read-only), deleted sessions included.
 * - `doctor`: isolation level, versions (node, SQLite, bubblewrap), data dir state.
 *
 * Errors print one line, `agentbay-local: <message>`, on stderr and make `run` fail
 * (the executable then exits with 1); no stack trace, never a key.
 *
 * @since 0.1.0
 */
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendSessions from "@effect-agentbay/backend/BackendSessions"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as CliOutput from "@effect-agentbay/platform-node/CliOutput"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as PlatformCommand from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as AgentBayLocal from "./AgentBayLocal.js"
import * as LocalDataDir from "./LocalDataDir.js"
import * as LocalServer from "./LocalServer.js"
import * as LocalStore from "./LocalStore.js"
import * as Sandbox from "./Sandbox.js"

const name = "agentbay-local"

const dataDir = Options.directory("data-dir").pipe(
  Options.withDefault(AgentBayLocal.defaultDataDir),
  Options.withDescription("State directory (SQLite, generated key, session trees)")
)

const isolation = Options.choice("isolation", ["auto", "bubblewrap", "process"]).pipe(
  Options.withDefault("auto" as const),
  Options.withDescription("auto: bubblewrap when it works here, else plain processes (no isolation)")
)

const parseDelay = (text: string): Duration.Duration => {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return Duration.millis(Number(trimmed))
  const decoded = Duration.decodeUnknown(trimmed)
  if (Option.isNone(decoded)) throw new Error(`not a duration: ${text}`)
  return decoded.value
}

// A lifetime: `off` (also never, forever), a short form (90s, 30m, 1h, 7d, 2w), or as parseDelay.
const parseLifetime = (text: string): Duration.Duration => {
  const trimmed = text.trim().toLowerCase()
  if (["off", "never", "forever"].includes(trimmed)) return Duration.infinity
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(trimmed)
  const units = { ms: "millis", s: "seconds", m: "minutes", h: "hours", d: "days", w: "weeks" } as const
  const duration = short === null
    ? parseDelay(trimmed)
    : Duration.decode(`${Number(short[1])} ${units[short[2] as keyof typeof units]}`)
  if (!Duration.greaterThan(duration, Duration.zero)) throw new Error(`must be positive, or off: ${text}`)
  return duration
}

// A positive, finite lifetime (as parseLifetime, `off` refused).
const parsePeriod = (text: string): Duration.Duration => {
  const duration = parseLifetime(text)
  if (!Duration.isFinite(duration)) throw new Error(`must be a finite duration: ${text}`)
  return duration
}

// A text option parsed into a duration (or a lifetime); a bad value is a usage error naming it.
const durationOption = <A>(name: string, fallback: string, parse: (text: string) => A, description: string) =>
  Options.text(name).pipe(
    Options.withDefault(fallback),
    Options.mapTryCatch(parse, (e) => HelpDoc.p(String(e))),
    Options.withDescription(description)
  )

const serveOptions = {
  host: Options.text("host").pipe(
    Options.withDefault("127.0.0.1"),
    Options.withDescription("Interface to listen on (127.0.0.1: this machine only)")
  ),
  port: Options.integer("port").pipe(
    Options.withDefault(LocalServer.defaultPort),
    Options.withDescription("TCP port; 0 picks a free one")
  ),
  dataDir,
  // Text, then Redacted: @effect/cli 0.77 re-validates a `redacted` option given
  // exactly once under `repeated` and rejects it, so `--api-key K` would not start.
  // `withDefault([])` makes the help show it as optional (`[--api-key text...]`).
  apiKeys: Options.text("api-key").pipe(
    Options.repeated,
    Options.withDefault([]),
    Options.map((keys) => keys.map((key) => Redacted.make(key))),
    Options.withDescription(
      "Key to accept (optional, repeatable; shows in the process list: prefer --api-key-file or " +
        "$AGENTBAY_LOCAL_API_KEYS). Default: one generated on the first start"
    )
  ),
  apiKeyFile: Options.text("api-key-file").pipe(
    Options.optional,
    Options.withDescription("File of keys to accept, one a line (# comments allowed); keep it mode 0600")
  ),
  transitionDelay: durationOption(
    "transition-delay",
    "300 millis",
    parseDelay,
    "How long PAUSING and RESUMING last (milliseconds, or e.g. \"2 seconds\")"
  ),
  deleteDelay: durationOption(
    "delete-delay",
    "0 millis",
    parseDelay,
    "How long DELETING lasts (default 0: a deleted session is gone when the request returns)"
  ),
  sessionTtl: durationOption(
    "session-ttl",
    "off",
    parseLifetime,
    "Delete sessions this long after creation, e.g. 1h (default off: they live until deleted)"
  ),
  retention: durationOption(
    "retention",
    "7d",
    parseLifetime,
    "Keep the records of deleted sessions this long, e.g. 7d (off: forever)"
  ),
  urlLifetime: durationOption(
    "url-lifetime",
    "1h",
    parsePeriod,
    "How long a pre-signed context-file URL is valid, e.g. 15m"
  ),
  recycleInterval: durationOption(
    "recycle-interval",
    "10m",
    parsePeriod,
    "How often synced data past its lifecycle (and expired URL tokens) are removed"
  ),
  maxUploadSize: Options.integer("max-upload-size").pipe(
    Options.withDefault(BackendRuntime.defaultMaxUploadSize),
    Options.withDescription("Largest file a PUT to a context-file URL may store, in bytes")
  ),
  isolation
}

// The keys `serve` accepts besides --api-key-file's: every --api-key; without
// either flag, those of AGENTBAY_LOCAL_API_KEYS (comma-separated), which keeps
// them out of the process list.
const serverKeys = (flags: ReadonlyArray<Redacted.Redacted>, file: Option.Option<string>) =>
  flags.length > 0 || Option.isSome(file)
    ? Effect.succeed(flags)
    : Config.option(Config.redacted("AGENTBAY_LOCAL_API_KEYS")).pipe(
      Effect.orElseSucceed(() => Option.none<Redacted.Redacted>()),
      Effect.map(Option.match({
        onNone: () => [],
        onSome: (text) =>
          Redacted.value(text).split(",").map((key) => key.trim()).filter((key) => key !== "").map((key) =>
            Redacted.make(key)
          )
      }))
    )

const banner = (info: typeof AgentBayLocal.Info.Service) => {
  const key = Option.match(info.generatedKey, {
    onSome: (k) =>
      `${Redacted.value(k)}\n              (generated now; shown once, also saved to ${
        Option.getOrElse(info.keyFile, () => "-")
      } with mode 0600)`,
    onNone: () =>
      info.keySource === "explicit"
        ? "the key(s) given with --api-key, --api-key-file or AGENTBAY_LOCAL_API_KEYS"
        : `the key generated on the first start (in ${Option.getOrElse(info.keyFile, () => "-")})`
  })
  return [
    `agentbay-local listening on ${info.endpoint}`,
    `  data dir:   ${info.dataDir}`,
    `  isolation:  ${Sandbox.describe(info.isolation)}`,
    `  api key:    ${key}`,
    `  dashboard:  ${info.endpoint}/ui (sign in with the key)`,
    ``,
    `Our SDK:       AGENTBAY_ENDPOINT=${info.endpoint} AGENTBAY_API_KEY=<key>`,
    `Official SDK:  new AgentBay({ apiKey: "<key>", config: { endpoint: "${info.hostPort}", timeout_ms: 60000 } })`,
    `               then agentBay.client._protocol = "HTTP"`,
    ``,
    `Stop with Ctrl-C (SIGINT) or SIGTERM.`
  ].join("\n")
}

const serve = Command.make("serve", serveOptions, (o) =>
  Effect.gen(function*() {
    const info = yield* AgentBayLocal.Info
    yield* Console.log(banner(info))
    return yield* Effect.never
  }).pipe(
    Effect.onInterrupt(() => Console.log("agentbay-local: stopping")),
    Effect.provide(Layer.unwrapEffect(Effect.map(serverKeys(o.apiKeys, o.apiKeyFile), (apiKeys) =>
      AgentBayLocal.layerServer({
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        apiKeys,
        apiKeyFile: Option.getOrUndefined(o.apiKeyFile),
        transitionDelay: o.transitionDelay,
        deleteDelay: o.deleteDelay,
        sessionTtl: o.sessionTtl,
        retention: o.retention,
        urlLifetime: o.urlLifetime,
        recycleInterval: o.recycleInterval,
        maxUploadSize: o.maxUploadSize,
        isolation: o.isolation
      }))))
  )).pipe(Command.withDescription("Serve the AgentBay wire protocol until SIGINT/SIGTERM"))

// Opens the data dir's database (which must exist) for the `sessions` commands.
const withStore = <A, E>(dir: string, use: (store: LocalStore.LocalStore.Service) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dir, LocalDataDir.files.database)
    if (!(yield* fs.exists(file))) return yield* Effect.fail(new Error(`no database at ${file}`))
    return yield* Effect.flatMap(LocalStore.LocalStore, use).pipe(Effect.provide(LocalStore.layer({ filename: file })))
  })

const pad = (text: string, width: number) => text.length >= width ? text + " " : text + " ".repeat(width - text.length)

const table = (widths: ReadonlyArray<number>) => (cells: ReadonlyArray<string>) =>
  cells.map((c, i) => i < widths.length ? pad(c, widths[i]) : c).join("")

const apiKey = Options.text("api-key").pipe(
  Options.map((key) => Redacted.make(key)),
  Options.optional,
  Options.withDescription(
    "Key for the server running on the data dir, if one does (default: $AGENTBAY_API_KEY, else the data dir's key file)"
  )
)

/** A running server of the data dir, and the key to use with it (never printed). */
interface Remote {
  readonly endpoint: string
  readonly apiKey: Redacted.Redacted
  /** Where the key came from, for messages: `--api-key`, `AGENTBAY_API_KEY` or the key file's path. */
  readonly keySource: string
}

// The server running on `dir`, if any, with the key: --api-key, else AGENTBAY_API_KEY, else the key file.
const remote = (dir: string, given: Option.Option<Redacted.Redacted>) =>
  Effect.gen(function*() {
    const server = yield* LocalDataDir.running(dir)
    if (Option.isNone(server)) return Option.none<Remote>()
    const { endpoint, pid } = server.value
    if (endpoint === undefined) {
      return yield* Effect.fail(new Error(`a server (pid ${pid}) is starting on ${dir}: try again in a moment`))
    }
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dir, LocalDataDir.files.apiKey)
    const usable = (key: string | undefined) => key !== undefined && key.trim() !== ""
    let key: Redacted.Redacted | undefined
    let source = ""
    if (Option.isSome(given) && usable(Redacted.value(given.value))) {
      key = given.value
      source = "--api-key"
    } else {
      const env = yield* Config.option(Config.redacted("AGENTBAY_API_KEY")).pipe(
        Effect.orElseSucceed(() => Option.none<Redacted.Redacted>())
      )
      if (Option.isSome(env) && usable(Redacted.value(env.value))) {
        key = env.value
        source = "AGENTBAY_API_KEY"
      } else {
        const text = yield* fs.readFileString(file).pipe(Effect.map((t) => t.trim()), Effect.orElseSucceed(() => ""))
        if (usable(text)) {
          key = Redacted.make(text)
          source = file
        }
      }
    }
    if (key === undefined) {
      return yield* Effect.fail(
        new Error(
          `a server runs on ${dir} (${endpoint}): give its API key with --api-key or AGENTBAY_API_KEY (no key file at ${file})`
        )
      )
    }
    return Option.some<Remote>({ endpoint, apiKey: key, keySource: source })
  })

// Runs `use` with our SDK pointed at the server; a rejected key says where it came from.
const withServer = <A, E>(server: Remote, use: Effect.Effect<A, E, AgentBay.AgentBay>) =>
  use.pipe(
    Effect.provide(
      AgentBay.layer({ apiKey: server.apiKey, endpoint: server.endpoint, timeout: "15 seconds" }).pipe(
        Layer.provide(AgentBay.layerWaits(AgentBayLocal.waits))
      )
    ),
    Effect.provide(NodeHttpClient.layerUndici),
    Effect.catchIf(
      (e): e is E & { readonly _tag: "AuthError"; readonly message: string } => Predicate.isTagged(e, "AuthError"),
      (e) =>
        Effect.fail(
          new Error(`${e.message}: the server at ${server.endpoint} does not accept the key from ${server.keySource}`)
        )
    )
  )

const list = Command.make("list", {
  dataDir,
  all: Options.boolean("all").pipe(
    Options.withDescription("Include deleted sessions (reads the data dir's database, even while a server runs)")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print one JSON array on stdout instead of the table")),
  apiKey
}, (o) =>
  Effect.gen(function*() {
    const server = o.all ? Option.none<Remote>() : yield* remote(o.dataDir, o.apiKey)
    if (Option.isSome(server)) {
      const { endpoint } = server.value
      const found = yield* withServer(
        server.value,
        Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCollect(bay.list({ pageSize: 100 })))
      )
      if (o.json) {
        return yield* Console.log(JSON.stringify(Chunk.toArray(found).map(({ id, status }) => ({ id, status }))))
      }
      const via = `through the server at ${endpoint}: the sessions of this API key`
      if (Chunk.isEmpty(found)) return yield* Console.log(`no sessions (${via})`)
      const line = table([31])
      yield* Console.log(`(${via})`)
      yield* Console.log(line(["ID", "STATUS"]))
      for (const s of found) yield* Console.log(line([s.id, s.status]))
      return
    }
    yield* withStore(o.dataDir, (store) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const rows = (yield* store.sessionsExcept(o.all ? [] : BackendSessions.goneStatuses)).map((row) => ({
          id: row.id,
          // As a request would see it now (a due transition shown settled); nothing is written.
          status: Lifecycle.settle(BackendSessions.stateOf(row), now).status,
          owner: row.owner.slice(0, 8), // a prefix of the key's hash
          imageId: row.imageId,
          createdAt: new Date(row.createdAt).toISOString(),
          labels: row.labels
        }))
        if (o.json) return yield* Console.log(JSON.stringify(rows))
        if (rows.length === 0) return yield* Console.log("no sessions")
        const line = table([31, 10, 10, 15, 26])
        yield* Console.log(line(["ID", "STATUS", "OWNER", "IMAGE", "CREATED", "LABELS"]))
        for (const r of rows) {
          yield* Console.log(line([r.id, r.status, r.owner, r.imageId, r.createdAt, JSON.stringify(r.labels)]))
        }
      }))
  })).pipe(Command.withDescription(
    "List the sessions: those of the API key through the running server, else every owner's from the data dir"
  ))

const del = Command.make(
  "delete",
  { dataDir, id: Args.text({ name: "id" }), isolation, apiKey },
  (o) =>
    Effect.gen(function*() {
      const server = yield* remote(o.dataDir, o.apiKey)
      if (Option.isSome(server)) {
        const { endpoint } = server.value
        return yield* withServer(
          server.value,
          Effect.gen(function*() {
            const bay = yield* AgentBay.AgentBay
            // GetSession first: delete alone treats an unknown id as already gone.
            const found = yield* bay.get(o.id).pipe(
              Effect.catchTag("NotFound", () =>
                Effect.fail(
                  new Error(
                    `session ${o.id} not found (asked the server at ${endpoint}, which shows this API key's sessions only)`
                  )
                ))
            )
            if (Lifecycle.isGone(found.status)) return yield* Console.log(`${o.id} is already ${found.status}`)
            yield* bay.delete(o.id).pipe(CliOutput.track({ label: `deleting ${o.id}`, initial: found.status }))
            yield* Console.log(`deleted ${o.id}`)
          })
        )
      }
      yield* withStore(o.dataDir, (store) =>
        Effect.gen(function*() {
          const found = yield* store.findSession(o.id)
          if (Option.isNone(found)) return yield* Effect.fail(new Error(`session ${o.id} not found`))
          const now = yield* Clock.currentTimeMillis
          const state = Lifecycle.settle(BackendSessions.stateOf(found.value), now)
          const decision = Lifecycle.decide("delete", state.status)
          if (decision === "noop") return yield* Console.log(`${o.id} is already ${state.status}`)
          if (decision === "reject") {
            return yield* Effect.fail(new Error(`session ${o.id} is ${state.status}: cannot delete`))
          }
          // No server runs: the delete completes at once.
          yield* Effect.flatMap(Sandbox.Sandbox, (box) => box.destroy(o.id)).pipe(
            Effect.provide(Sandbox.layer({ dataDir: o.dataDir, isolation: o.isolation }))
          )
          const deleted = Lifecycle.settleNow(Lifecycle.begin("delete", now, 0))
          yield* store.setState(o.id, BackendSessions.stateOf(found.value), deleted, now)
          yield* Console.log(`deleted ${o.id}`)
        }))
    })
).pipe(Command.withDescription(
  "Delete a session: through the running server (with an API key), else in the data dir (kills and removes its tree)"
))

const sessions = Command.make("sessions").pipe(
  Command.withDescription("Inspect or edit the sessions of a data dir"),
  Command.withSubcommands([list, del])
)

const version = (cmd: string, ...args: Array<string>) =>
  PlatformCommand.make(cmd, ...args).pipe(
    PlatformCommand.string,
    Effect.map((out) => out.trim().split("\n")[0] || "(no output)"),
    Effect.orElseSucceed(() => "not found")
  )

// What run_code can run, asked inside a scratch session: the sandbox may see
// fewer programs than the host (bubblewrap shows it /usr and /etc only).
const probeLanguages = (box: Sandbox.Sandbox.Service) =>
  Effect.gen(function*() {
    const id = "doctor-probe"
    yield* box.start(id)
    const probe = (bin: string) =>
      box.exec(id, ["sh", "-c", `command -v ${bin} >/dev/null && ${bin} --version 2>&1 | head -n 1`], {
        timeout: "5 seconds"
      }).pipe(
        Effect.map((r) => r.exitCode === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined),
        Effect.orElseSucceed(() => undefined)
      )
    const [python, node] = yield* Effect.all([probe("python3"), probe("node")])
    yield* box.destroy(id)
    return [
      `python ${python === undefined ? "MISSING (apt-get install python3)" : `(${python})`}`,
      `javascript ${node === undefined ? "MISSING (install Node.js in /usr)" : `(node ${node})`}`
    ].join(", ")
  })

const doctor = Command.make("doctor", { dataDir, isolation }, (o) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = path.resolve(o.dataDir)
    // Probe the isolation in a scratch directory, so the data dir is left alone.
    const scratch = yield* fs.makeTempDirectoryScoped({ prefix: "agentbay-doctor-" })
    const [iso, languages] = yield* Effect.flatMap(
      Sandbox.Sandbox,
      (b) => Effect.map(probeLanguages(b), (langs) => [Sandbox.describe(b.isolation), langs] as const)
    ).pipe(
      Effect.provide(Sandbox.layer({ dataDir: scratch, isolation: o.isolation })),
      Effect.catchAll((e) => Effect.succeed([`unavailable: ${e.message}`, "unknown (no sandbox)"] as const))
    )
    const sqlite = yield* Effect.flatMap(LocalStore.LocalStore, (s) => s.sqliteVersion).pipe(
      Effect.provide(LocalStore.layer({ filename: ":memory:" })),
      Effect.orElseSucceed(() => "unavailable")
    )
    const lines = [
      `node:       ${process.version}`,
      `sqlite:     ${sqlite}`,
      `bwrap:      ${yield* version("bwrap", "--version")}`,
      `isolation:  ${iso}`,
      `languages:  ${languages}`,
      `data dir:   ${dir}`
    ]
    if (!(yield* fs.exists(dir))) {
      lines.push(`  state:    does not exist yet (created by serve)`)
    } else {
      const server = yield* LocalDataDir.running(dir)
      const serving = Option.match(server, {
        onNone: () => "not running",
        onSome: (m) => `running, pid ${m.pid}${m.endpoint ? ` at ${m.endpoint}` : ""}`
      })
      lines.push(`  server:   ${serving}`)
      const keyFile = path.join(dir, LocalDataDir.files.apiKey)
      const keyInfo = yield* fs.stat(keyFile).pipe(
        Effect.map((s) => `present, mode ${(s.mode & 0o777).toString(8)}`),
        Effect.orElseSucceed(() => "absent")
      )
      lines.push(`  key file: ${keyInfo}`)
      const counts = yield* withStore(dir, (s) => s.countByStatus).pipe(
        Effect.map((cs) => cs.length === 0 ? "none" : cs.map((c) => `${c.status} ${c.count}`).join(", ")),
        Effect.orElseSucceed(() => "no database yet")
      )
      lines.push(`  sessions: ${counts}`)
    }
    yield* Console.log(lines.join("\n"))
  }).pipe(Effect.scoped)).pipe(Command.withDescription("Check isolation, versions and the data dir"))

/**
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("agentbay-local").pipe(
  Command.withDescription("A local AgentBay runtime: the AgentBay wire protocol over SQLite and local sandboxes"),
  Command.withSubcommands([serve, sessions, doctor])
)

const cli = Command.run(command, { name, version: "0.1.0" })

// Prints a failure as `agentbay-local: <message>` on stderr. Interruptions (Ctrl-C) print
// nothing, and @effect/cli has printed its own usage errors already.
const report = (cause: Cause.Cause<unknown>): Effect.Effect<void> => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const error = Cause.squash(cause)
  if (ValidationError.isValidationError(error)) return Effect.void
  return Console.error(`${name}: ${CliOutput.messageOf(error)}`)
}

/**
 * Parses `process.argv`-shaped input and runs the matching command. A failure
 * is printed as one line, `agentbay-local: <message>`, on stderr (usage errors
 * as @effect/cli prints them), then returned; the executable exits with 1.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (args: ReadonlyArray<string>) => cli(args).pipe(Effect.tapErrorCause(report))
