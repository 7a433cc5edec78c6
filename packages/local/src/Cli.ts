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
import * as CliOutput from "@effect-agentbay/platform-node/CliOutput"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "./AgentBayLocal.js"
import { dataDir, isolation } from "./internal/cli.js"
import { doctor } from "./internal/cliDoctor.js"
import { sessions } from "./internal/cliSessions.js"
import * as LocalServer from "./LocalServer.js"
import * as Sandbox from "./Sandbox.js"

const name = "agentbay-local"

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
