/**
 * `agentbay-local`: run and inspect the local runtime from a terminal.
 *
 * - `serve`: the server on `--host`/`--port` (default 127.0.0.1:18080) over
 *   `--data-dir` (default `./.agentbay-local`, git-ignored), until SIGINT/SIGTERM.
 * - `sessions list` / `sessions delete ID`: work on the data dir directly (the
 *   SQLite file and the session trees), not through a running server; `delete`
 *   refuses while a server uses the data dir (delete through the API then).
 * - `doctor`: isolation level, versions (node, SQLite, bubblewrap), data dir state.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as PlatformCommand from "@effect/platform/Command"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "./AgentBayLocal.js"
import * as LocalDataDir from "./LocalDataDir.js"
import * as LocalServer from "./LocalServer.js"
import * as LocalSessions from "./LocalSessions.js"
import * as LocalStore from "./LocalStore.js"
import * as Sandbox from "./Sandbox.js"

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
  apiKeys: Options.text("api-key").pipe(
    Options.repeated,
    Options.map((keys) => keys.map(Redacted.make)),
    Options.withDescription("Key to accept (repeatable). Default: one generated on the first start")
  ),
  transitionDelay: Options.text("transition-delay").pipe(
    Options.withDefault("300 millis"),
    Options.mapTryCatch(parseDelay, (e) => HelpDoc.p(String(e))),
    Options.withDescription("How long PAUSING, RESUMING and DELETING last (milliseconds, or e.g. \"2 seconds\")")
  ),
  isolation
}

const banner = (info: typeof AgentBayLocal.Info.Service) => {
  const key = Option.match(info.generatedKey, {
    onSome: (k) =>
      `${Redacted.value(k)}\n              (generated now; shown once, also saved to ${
        Option.getOrElse(info.keyFile, () => "-")
      } with mode 0600)`,
    onNone: () =>
      info.keySource === "explicit"
        ? "the key(s) given with --api-key"
        : `the key generated on the first start (in ${Option.getOrElse(info.keyFile, () => "-")})`
  })
  return [
    `agentbay-local listening on ${info.endpoint}`,
    `  data dir:   ${info.dataDir}`,
    `  isolation:  ${info.isolation.level} (${info.isolation.detail})`,
    `  api key:    ${key}`,
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
    Effect.provide(AgentBayLocal.layerServer({
      host: o.host,
      port: o.port,
      dataDir: o.dataDir,
      apiKeys: o.apiKeys,
      transitionDelay: o.transitionDelay,
      isolation: o.isolation
    }))
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

const pad = (text: string, width: number) => text.length >= width ? text : text + " ".repeat(width - text.length)

const list = Command.make("list", {
  dataDir,
  all: Options.boolean("all").pipe(Options.withDescription("Include deleted sessions"))
}, (o) =>
  withStore(o.dataDir, (store) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const rows = yield* store.sessionsExcept(o.all ? [] : LocalSessions.goneStatuses)
      if (rows.length === 0) return yield* Console.log("no sessions")
      const widths = [31, 10, 10, 15, 26]
      const line = (cells: ReadonlyArray<string>) =>
        cells.map((c, i) => i < widths.length ? pad(c, widths[i]) : c).join("")
      yield* Console.log(line(["ID", "STATUS", "OWNER", "IMAGE", "CREATED", "LABELS"]))
      for (const row of rows) {
        // As a request would see it now (a due transition shown settled); nothing is written.
        const status = Lifecycle.settle(LocalSessions.stateOf(row), now).status
        const created = new Date(row.createdAt).toISOString()
        const owner = row.owner.slice(0, 8)
        yield* Console.log(line([row.id, status, owner, row.imageId, created, JSON.stringify(row.labels)]))
      }
    }))).pipe(Command.withDescription("List the sessions stored in the data dir (any owner)"))

const del = Command.make("delete", { dataDir, id: Args.text({ name: "id" }), isolation }, (o) =>
  Effect.gen(function*() {
    const server = yield* LocalDataDir.running(o.dataDir)
    if (Option.isSome(server)) {
      return yield* Effect.fail(new LocalDataDir.InUse({ dataDir: o.dataDir, marker: server.value }))
    }
    yield* withStore(o.dataDir, (store) =>
      Effect.gen(function*() {
        const found = yield* store.findSession(o.id)
        if (Option.isNone(found)) return yield* Effect.fail(new Error(`no session ${o.id}`))
        const now = yield* Clock.currentTimeMillis
        const state = Lifecycle.settle(LocalSessions.stateOf(found.value), now)
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
        yield* store.setState(o.id, LocalSessions.stateOf(found.value), deleted, now)
        yield* Console.log(`deleted ${o.id}`)
      }))
  })).pipe(Command.withDescription("Delete a session of a stopped server's data dir (kills and removes its tree)"))

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

const doctor = Command.make("doctor", { dataDir, isolation }, (o) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = path.resolve(o.dataDir)
    // Probe the isolation in a scratch directory, so the data dir is left alone.
    const scratch = yield* fs.makeTempDirectoryScoped({ prefix: "agentbay-doctor-" })
    const iso = yield* Effect.map(Sandbox.Sandbox, (b) => `${b.isolation.level} (${b.isolation.detail})`).pipe(
      Effect.provide(Sandbox.layer({ dataDir: scratch, isolation: o.isolation })),
      Effect.catchAll((e) => Effect.succeed(`unavailable: ${e.message}`))
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

/**
 * Parses `process.argv`-shaped input and runs the matching command.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = Command.run(command, { name: "agentbay-local", version: "0.1.0" })
