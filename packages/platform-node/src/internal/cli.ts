// The `agentbay` commands over the `AgentBay` service. Internal: the public
// surface (Connect, run) is Cli.ts; `cp` is in cliCopy.ts.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { InvalidState, type ValidationError, WaitTimeout } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import type { Session } from "@effect-agentbay/core/Session"
import { ListStatus } from "@effect-agentbay/core/SessionStatus"
import * as WaitProgress from "@effect-agentbay/core/WaitProgress"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"

import * as CliOutput from "../CliOutput.js"
import * as NodeAgentBay from "../NodeAgentBay.js"

/** Where the commands find the service: an endpoint and a key, each optional. */
export interface ConnectOptions {
  readonly endpoint?: string | undefined
  readonly apiKey?: Redacted.Redacted | undefined
}

/** Builds the `AgentBay` service a command uses. */
export type Connector = (
  options: ConnectOptions
) => Layer.Layer<AgentBay.AgentBay, ConfigError.ConfigError | ValidationError>

/** How commands connect: `NodeAgentBay.layerWith` (environment, `.env`) unless replaced. */
export class Connect extends Context.Reference<Connect>()("@effect-agentbay/platform-node/Cli/Connect", {
  defaultValue: (): Connector => (options) => NodeAgentBay.layerWith(options)
}) {}

/** The exit code a command asks for (exec: the command's own). */
export class ExitCode extends Context.Tag("@effect-agentbay/platform-node/Cli/ExitCode")<ExitCode, {
  readonly set: (code: number) => Effect.Effect<void>
}>() {}

/** The options every command takes. */
export const common = {
  json: Options.boolean("json").pipe(Options.withDescription("Print one JSON document on stdout instead of text")),
  endpoint: Options.text("endpoint").pipe(
    Options.optional,
    Options.withDescription("Base URL of the service (default: $AGENTBAY_ENDPOINT, else the cloud)")
  ),
  // Text, then Redacted at once: never printed, never in an error.
  apiKey: Options.text("api-key").pipe(
    Options.map((key) => Redacted.make(key)),
    Options.optional,
    Options.withDescription("API key (default: $AGENTBAY_API_KEY, from the environment or ./.env); never printed")
  )
}

/** The parsed common options. */
export interface Common {
  readonly json: boolean
  readonly endpoint: Option.Option<string>
  readonly apiKey: Option.Option<Redacted.Redacted>
}

/** Runs `use` with the service the common options name. */
export const withBay = <A, E, R>(o: Common, use: (bay: AgentBay.AgentBay.Service) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Connect, (connect) =>
    Effect.flatMap(AgentBay.AgentBay, use).pipe(
      Effect.provide(connect({ endpoint: Option.getOrUndefined(o.endpoint), apiKey: Option.getOrUndefined(o.apiKey) }))
    ))

const labelsOption = (description: string) =>
  Options.keyValueMap("label").pipe(
    Options.optional,
    Options.map(Option.map((map) => Object.fromEntries(HashMap.toEntries(map)))),
    Options.withDescription(description)
  )

const idArg = Args.text({ name: "id" }).pipe(Args.withDescription("The session id"))

/** What is printed of a session: never its token, link or resource URL. */
interface View {
  readonly id: string
  readonly status: string
  readonly imageId?: string | undefined
  readonly labels: Readonly<Record<string, string>>
}

// The labels of a session (a list entry carries none); a session gone meanwhile has none.
const labelsOf = (s: Session) => s.getLabels().pipe(Effect.catchTag("NotFound", () => Effect.succeed({})))

const viewOf = (s: Session) =>
  Effect.map(labelsOf(s), (labels): View => ({ id: s.id, status: s.status, imageId: s.imageId, labels }))

// With the image, which only GetSessionDetail reports (GetSession and create's answer leave it out).
const fullViewOf = (s: Session) =>
  Effect.zipWith(
    viewOf(s),
    s.getStatus().pipe(Effect.map((d) => d.imageId), Effect.catchTag("NotFound", () => Effect.succeed(undefined))),
    (view, imageId): View => ({ ...view, imageId: imageId ?? view.imageId })
  )

// Labels as text, by key, without the SDK's own stamps (`agentbay.sdk/*`; --json shows them).
const labelText = (labels: Readonly<Record<string, string>>) =>
  Object.entries(AgentBay.withoutStamps(labels)).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${k}=${v}`).join(",") || "-"

const printView = (o: Common, view: View) =>
  o.json ? CliOutput.json(view) : Effect.forEach(
    CliOutput.table([
      ["id", view.id],
      ["status", view.status],
      ["image", view.imageId ?? "-"],
      ["labels", labelText(view.labels)]
    ]),
    CliOutput.line
  )

/**
 * (open) CreateMcpSession answers once the session is usable, on the cloud and
 * on our servers (semantics.md §1.2), so `--wait` normally ends at its first
 * poll; it is for servers that answer earlier: GetSession every second until
 * RUNNING, for at most 60 s, reported like the SDK's waits.
 */
const awaitRunning = (bay: AgentBay.AgentBay.Service, s: Session) =>
  Effect.gen(function*() {
    const report = yield* WaitProgress.WaitProgress
    const start = yield* Clock.currentTimeMillis
    let attempt = 0
    const poll = Effect.tap(bay.get(s), (current) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        report({
          operation: "agentbay.create.wait",
          resource: "Session",
          id: s.id,
          target: "RUNNING",
          status: current.status,
          attempt: ++attempt,
          elapsed: Duration.millis(now - start)
        })))
    // RUNNING, or a status it will never leave for RUNNING.
    const settled = (x: Session) => ["RUNNING", "ERROR", "FAILED"].includes(x.status) || Lifecycle.isGone(x.status)
    const everySecond = Schedule.addDelay(Schedule.identity<Session>(), () => Duration.seconds(1))
    const last = yield* Effect.repeat(poll, { schedule: everySecond, until: settled }).pipe(
      Effect.timeoutFail({
        duration: "60 seconds",
        onTimeout: () => new WaitTimeout({ resource: "Session", id: s.id, target: "RUNNING", timeout: "1m" })
      })
    )
    if (last.status !== "RUNNING") {
      return yield* new InvalidState({ resource: "Session", id: s.id, operation: "create", status: last.status })
    }
    return last
  })

const create = Command.make("create", {
  ...common,
  labels: labelsOption("A label of the new session (repeatable)"),
  image: Options.text("image").pipe(Options.optional, Options.withDescription("Image id (default: the service's)")),
  wait: Options.boolean("wait").pipe(Options.withDescription("Wait until the session reports RUNNING"))
}, (o) =>
  withBay(o, (bay) =>
    Effect.gen(function*() {
      const created = yield* bay.create({
        labels: Option.getOrUndefined(o.labels),
        imageId: Option.getOrUndefined(o.image)
      })
      const s = o.wait
        ? yield* awaitRunning(bay, created).pipe(CliOutput.track({ label: `creating ${created.id}` }))
        : created
      yield* printView(o, yield* fullViewOf(s))
    }))).pipe(Command.withDescription("Create a session and print it"))

const list = Command.make("list", {
  ...common,
  labels: labelsOption("Only sessions with this label (repeatable: all of them)"),
  status: Options.choice("status", ListStatus.literals).pipe(
    Options.optional,
    Options.withDescription("Only sessions in this status")
  )
}, (o) =>
  withBay(o, (bay) =>
    Effect.gen(function*() {
      // Every page, then each session's labels (a list entry carries none), four at a time.
      const views = yield* bay.list({
        labels: Option.getOrUndefined(o.labels),
        status: Option.getOrUndefined(o.status),
        pageSize: 100
      }).pipe(Stream.mapEffect(viewOf, { concurrency: 4 }), Stream.runCollect)
      if (o.json) return yield* CliOutput.json(Array.from(views))
      if (views.length === 0) return yield* CliOutput.line("no sessions")
      const rows = Array.from(views, (v) => [v.id, v.status, labelText(v.labels)])
      yield* Effect.forEach(CliOutput.table([["ID", "STATUS", "LABELS"], ...rows]), CliOutput.line)
    }))).pipe(Command.withDescription("List the sessions (every page) as a table: id, status, labels"))

const get = Command.make(
  "get",
  { ...common, id: idArg },
  (o) =>
    withBay(o, (bay) => Effect.flatMap(bay.get(o.id), (s) => Effect.flatMap(fullViewOf(s), (v) => printView(o, v))))
).pipe(
  Command.withDescription("Print a session: id, status, image, labels")
)

const transition = (name: "pause" | "resume", verb: string) =>
  Command.make(name, { ...common, id: idArg }, (o) =>
    withBay(o, (bay) =>
      Effect.gen(function*() {
        // The session first: its status is where the progress line starts.
        const before = yield* bay.get(o.id)
        const run = name === "pause" ? bay.betaPauseAsync : bay.betaResumeAsync
        const after = yield* run(o.id).pipe(CliOutput.track({ label: `${verb} ${o.id}`, initial: before.status }))
        yield* printView(o, yield* fullViewOf(after))
      }))).pipe(Command.withDescription(
        name === "pause"
          ? "Pause a RUNNING session and wait until PAUSED"
          : "Resume a PAUSED session and wait until RUNNING"
      ))

const del = Command.make("delete", {
  ...common,
  id: idArg,
  syncContext: Options.boolean("sync-context").pipe(
    Options.withDescription("Upload the session's contexts first (a failed sync keeps the session)")
  )
}, (o) =>
  withBay(o, (bay) =>
    Effect.gen(function*() {
      // The session first: an unknown id is NotFound (delete alone counts it as gone).
      const before = yield* bay.get(o.id)
      if (Lifecycle.isGone(before.status)) {
        return yield* o.json
          ? CliOutput.json({ id: o.id, status: before.status })
          : CliOutput.line(`${o.id} is already ${before.status}`)
      }
      yield* bay.delete(o.id, { syncContext: o.syncContext }).pipe(
        CliOutput.track({ label: `deleting ${o.id}`, initial: before.status })
      )
      yield* o.json ? CliOutput.json({ id: o.id, status: "DELETED" }) : CliOutput.line(`deleted ${o.id}`)
    }))).pipe(Command.withDescription("Delete a session and wait until it is gone"))

// One argument is a shell command line as is (`exec ID -- 'ls | wc -l'`); several are
// an argv, each word quoted for `sh -c` (`exec ID -- sh -c 'echo hi'`).
const shellQuote = (word: string) => /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
const commandLine = (words: ReadonlyArray<string>) => words.length === 1 ? words[0]! : words.map(shellQuote).join(" ")

const exec = Command.make("exec", {
  ...common,
  timeout: Options.integer("timeout").pipe(
    Options.optional,
    Options.withDescription("Seconds the command may run (default 60)")
  ),
  cwd: Options.text("cwd").pipe(Options.optional, Options.withDescription("Working directory in the session")),
  id: idArg,
  command: Args.text({ name: "command" }).pipe(
    Args.atLeast(1),
    Args.withDescription("After --: one shell command line, or a program and its arguments")
  )
}, (o) =>
  withBay(o, (bay) =>
    Effect.gen(function*() {
      const s = yield* bay.get(o.id)
      const result = yield* s.command.executeCommand(commandLine(o.command), {
        timeout: Option.getOrUndefined(Option.map(o.timeout, Duration.seconds)),
        cwd: Option.getOrUndefined(o.cwd)
      })
      if (o.json) {
        yield* CliOutput.json({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode })
      } else {
        const out = yield* CliOutput.CliOutput
        yield* out.stdout(result.stdout)
        yield* out.stderr(result.stderr)
      }
      yield* Effect.flatMap(ExitCode, (exit) => exit.set(result.exitCode))
    }))).pipe(Command.withDescription(
      "Run a command in a session (`exec ID -- COMMAND...`): its stdout and stderr, and its exit code as ours"
    ))

/** The subcommands besides `cp`. */
export const commands = [
  create,
  list,
  get,
  transition("pause", "pausing"),
  transition("resume", "resuming"),
  del,
  exec
] as const
