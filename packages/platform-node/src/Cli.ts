/**
 * `agentbay`: sessions from a terminal, against any endpoint (the cloud, an
 * `agentbay-local` server, ...), configured like `NodeAgentBay.layer`:
 * `AGENTBAY_API_KEY` and `AGENTBAY_ENDPOINT` from the environment or `./.env`,
 * or `--api-key` / `--endpoint` (the key is never printed).
 *
 * ```
 * agentbay create [--label k=v]... [--image ID] [--wait]
 * agentbay list [--label k=v]... [--status S]      a table: id, status, labels (every page)
 * agentbay get ID
 * agentbay pause ID | resume ID                     waits for PAUSED / RUNNING
 * agentbay delete ID [--sync-context]               waits until gone
 * agentbay exec ID [--timeout S] [--cwd DIR] -- COMMAND...
 * agentbay cp LOCAL ID:/path | cp ID:/path LOCAL
 * ```
 *
 * Every command takes `--json`: one JSON document on stdout, nothing else.
 * Results go to stdout, everything else to stderr: the progress of waits (on a
 * terminal one line updated in place with the status transitions and the
 * seconds elapsed, otherwise one line per change, see `CliOutput.track`) and
 * failures, as one line `agentbay: <message>` with exit code 1 (2 for usage
 * errors), without a stack. `exec` exits with the command's exit code.
 *
 * @since 0.1.0
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Ref from "effect/Ref"

import * as CliOutput from "./CliOutput.js"
import * as Internal from "./internal/cli.js"
import { cp, UsageError } from "./internal/cliCopy.js"

/**
 * The executable's name: the prefix of its error lines.
 *
 * @since 0.1.0
 * @category constants
 */
export const name = "agentbay"

/**
 * Where a command connects: `endpoint` and `apiKey` from `--endpoint` and
 * `--api-key` when given.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectOptions = Internal.ConnectOptions

/**
 * Builds the `AgentBay` service a command uses.
 *
 * @since 0.1.0
 * @category models
 */
export type Connector = Internal.Connector

/**
 * How the commands get the `AgentBay` service: `NodeAgentBay.layerWith(options)`
 * (environment and `.env` behind the flags) unless replaced, e.g. by a test
 * with `Effect.provideService(Cli.Connect, () => AgentBayTest.layer())`.
 *
 * @since 0.1.0
 * @category tags
 */
export const Connect: typeof Internal.Connect = Internal.Connect

/**
 * @since 0.1.0
 * @category tags
 */
export type Connect = Internal.Connect

/**
 * The `agentbay` command and its subcommands.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make(name).pipe(
  Command.withDescription("AgentBay sessions from a terminal: create, list, get, pause, resume, delete, exec, cp"),
  Command.withSubcommands([...Internal.commands, cp])
)

const cli = Command.run(command, { name, version: "0.1.0" })

// The exit code of a failure, printed as one line (@effect/cli has printed its usage errors).
const failure = (cause: Cause.Cause<unknown>): Effect.Effect<number> => {
  if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
  const error = Cause.squash(cause)
  if (ValidationError.isValidationError(error)) return Effect.succeed(2)
  const code = error instanceof UsageError ? 2 : 1
  return Effect.as(CliOutput.errorLine(`${name}: ${CliOutput.messageOf(error)}`), code)
}

// Logs, if any, go to stderr: stdout carries the result only.
const stderrLogger = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.defaultLogger))

/**
 * Parses `process.argv`-shaped input (`[node, script, ...args]`), runs the
 * command and returns the exit code: 0, the command's own for `exec`, 1 for a
 * failure and 2 for a usage error (each printed as one line on stderr). Output
 * goes to `CliOutput.CliOutput` (the process's streams unless replaced), help
 * and usage errors through the `Console`, as `@effect/cli` prints them.
 *
 * @since 0.1.0
 * @category commands
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  Effect.gen(function*() {
    const code = yield* Ref.make(0)
    const exit = yield* cli(args).pipe(
      Effect.provideService(Internal.ExitCode, { set: (n) => Ref.set(code, n) }),
      Effect.provide(stderrLogger),
      Effect.exit
    )
    return Exit.isSuccess(exit) ? yield* Ref.get(code) : yield* failure(exit.cause)
  })
