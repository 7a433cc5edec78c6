/**
 * What the command-line tools (`agentbay`, `agentbay-local`) print, and where:
 * results on stdout, progress and failures on stderr, through an `Output` that
 * a test can replace. `track` shows the progress of the SDK's waits
 * (`WaitProgress`): on a terminal one line updated in place with the status
 * transitions and the seconds elapsed, otherwise a plain line per change.
 *
 * @since 0.1.0
 */
import * as WaitProgress from "@effect-agentbay/core/WaitProgress"
import * as Clock from "effect/Clock"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"

/**
 * Where a command writes: text as given (no newline added).
 *
 * @since 0.1.0
 * @category models
 */
export interface Output {
  readonly stdout: (text: string) => Effect.Effect<void>
  readonly stderr: (text: string) => Effect.Effect<void>
  /** Whether stderr is a terminal: progress is then one line updated in place. */
  readonly stderrIsTTY: boolean
}

const write = (stream: NodeJS.WriteStream) => (text: string) => Effect.sync(() => void stream.write(text))

/**
 * The process's stdout and stderr.
 *
 * @since 0.1.0
 * @category constructors
 */
export const processOutput = (): Output => ({
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  stderrIsTTY: process.stderr.isTTY === true
})

/**
 * The `Output` of the current fiber: the process's streams unless replaced.
 *
 * @since 0.1.0
 * @category tags
 */
export class CliOutput extends Context.Reference<CliOutput>()("@effect-agentbay/platform-node/CliOutput", {
  defaultValue: processOutput
}) {}

/**
 * Prints one line on stdout.
 *
 * @since 0.1.0
 * @category printing
 */
export const line = (text: string): Effect.Effect<void> => Effect.flatMap(CliOutput, (out) => out.stdout(`${text}\n`))

/**
 * Prints one line on stderr.
 *
 * @since 0.1.0
 * @category printing
 */
export const errorLine = (text: string): Effect.Effect<void> =>
  Effect.flatMap(CliOutput, (out) => out.stderr(`${text}\n`))

/**
 * Prints `value` as one JSON document on stdout.
 *
 * @since 0.1.0
 * @category printing
 */
export const json = (value: unknown): Effect.Effect<void> => line(JSON.stringify(value, null, 2))

/**
 * Rows as text columns: each column as wide as its widest cell plus two
 * spaces, the last one unpadded.
 *
 * @since 0.1.0
 * @category printing
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) =>
    row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join("").trimEnd()
  )
}

/**
 * @since 0.1.0
 * @category options
 */
export interface TrackOptions {
  /** What is waited on, e.g. `pausing session-1`: each line starts with it. */
  readonly label: string
  /** The status before the wait, when the caller knows it (e.g. `RUNNING` before a pause). */
  readonly initial?: string | undefined
}

/** Without a change of status, a plain (non-terminal) line every this many milliseconds. */
const quietMillis = 10_000

const seconds = (millis: number) => `${(millis / 1000).toFixed(1)}s`

/**
 * Runs `self` showing the progress of its waits on stderr, from their first
 * poll (a call that fails before it waits prints nothing): on a terminal, one
 * line rewritten in place after each poll and ended when `self` ends
 * (`pausing s-1: RUNNING -> PAUSING -> PAUSED (4.0s)`); otherwise a line when
 * the status changes, and every 10 s while it does not (`pausing s-1: PAUSING
 * (2.0s)`). Seconds count from the start of `self`, on the `Clock`. Nothing
 * goes to stdout.
 *
 * @since 0.1.0
 * @category progress
 */
export const track = (options: TrackOptions) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const out = yield* CliOutput
    const start = yield* Clock.currentTimeMillis
    const initial = options.initial === undefined ? [] : [options.initial]
    const state = yield* Ref.make({ statuses: initial as ReadonlyArray<string>, shown: false, printedAt: 0 })
    const prefix = `${options.label}: `
    // Off a terminal, the first report also shows the status the wait started from.
    const render = (statuses: ReadonlyArray<string>, time: string, withInitial: boolean) =>
      out.stderrIsTTY
        // Back to the start of the line and clear it: the line is ended when `self` ends.
        ? out.stderr(`\r\u001b[2K${prefix}${statuses.join(" -> ")}${time}`)
        : out.stderr(`${withInitial ? `${prefix}${initial[0]}\n` : ""}${prefix}${statuses.at(-1)}${time}\n`)
    const report: WaitProgress.Reporter = (p) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const elapsed = now - start
        const status = p.status ?? `waiting for ${p.target}`
        return Effect.flatten(Ref.modify(state, (s) => {
          const changed = s.statuses.at(-1) !== status
          const statuses = changed ? [...s.statuses, status] : s.statuses
          const due = out.stderrIsTTY || !s.shown || changed || elapsed - s.printedAt >= quietMillis
          const next = { statuses, shown: s.shown || due, printedAt: due ? elapsed : s.printedAt }
          const withInitial = !s.shown && changed && initial.length > 0
          return [due ? render(statuses, ` (${seconds(elapsed)})`, withInitial) : Effect.void, next] as const
        }))
      })
    const endLine = Effect.flatMap(Ref.get(state), (s) => out.stderrIsTTY && s.shown ? out.stderr("\n") : Effect.void)
    return yield* WaitProgress.withReporter(self, report).pipe(Effect.ensuring(endLine))
  })

/**
 * One line of text for a failure, as the CLIs print it: the error's message
 * (a combined `ConfigError` says it only in its text), else its tag, without a
 * stack and with its lines joined.
 *
 * @since 0.1.0
 * @category formatting
 */
export const messageOf = (error: unknown): string => {
  const message = ConfigError.isConfigError(error) && (ConfigError.isAnd(error) || ConfigError.isOr(error))
    ? String(error)
    : Predicate.hasProperty(error, "message") && typeof error.message === "string"
    ? error.message
    : ""
  const text = message.trim() !== ""
    ? message
    : Predicate.hasProperty(error, "_tag")
    ? String(error._tag)
    : String(error)
  return text.split(/\r?\n/).map((part) => part.trim()).filter((part) => part !== "").join(" ")
}
