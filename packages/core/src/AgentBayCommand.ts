/**
 * Commands in a session, over the MCP `shell` tool. Named `AgentBayCommand`,
 * not `Command`, which is `@effect/platform`'s. The operation takes the session
 * first (a `Session` or its id); `session.command` offers it bound.
 *
 * A non-zero exit is data (`exitCode`). A run that reaches its timeout is
 * `CommandTimeout`, with the output so far. The timeout is honoured as given
 * (default 60 s; the official client caps it at 50 s silently, we never cut
 * it): the HTTP attempt is bounded by the timeout plus a 30 s margin, so the
 * answer of a run that uses all of it still arrives, and a server that refuses
 * a timeout answers with an error, never a shorter run.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

import * as AgentBayClient from "./AgentBayClient.js"
import {
  CommandTimeout,
  type CommonError,
  type InvalidState,
  type NotFound,
  ToolError,
  type TransportError,
  ValidationError
} from "./AgentBayError.js"
import * as Mcp from "./internal/agentBayMcp.js"
import * as McpTool from "./McpTool.js"
import { idOf, type SessionRef } from "./Session.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayCommand extends Context.Tag("@effect-agentbay/core/AgentBayCommand")<
  AgentBayCommand,
  AgentBayCommand.Service
>() {}

/**
 * @since 0.1.0
 * @category options
 */
export interface ExecuteOptions {
  /** How long the command may run. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Working directory; default the session's home. */
  readonly cwd?: string | undefined
  /** Extra environment variables; every value must be a string (checked before sending). */
  readonly env?: Readonly<Record<string, string>> | undefined
}

/**
 * What a command produced. `exitCode` 0 is success; any other is still a result.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandResult {
  readonly stdout: string
  readonly stderr: string
  readonly exitCode: number
  /** Set by the cloud for some failed commands. */
  readonly traceId?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type CommandError = CommonError | NotFound | InvalidState | ValidationError | ToolError | CommandTimeout

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayCommand {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Runs `command` with `sh -c` in the session. */
    readonly executeCommand: (
      session: SessionRef,
      command: string,
      options?: ExecuteOptions
    ) => Effect.Effect<CommandResult, CommandError>
  }
}

/**
 * The default timeout of `executeCommand`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(60)

/**
 * How much longer than the command's own timeout its HTTP attempt may take.
 *
 * @since 0.1.0
 * @category constants
 */
export const timeoutMargin: Duration.Duration = Mcp.timeoutMargin

// Structured output is a JSON object with the expected keys (`errorCode` is an
// alias of `exit_code` on the error channel); anything else is plain text.
const Structured = Schema.Struct({
  stdout: Schema.optionalWith(Schema.String, { default: () => "" }),
  stderr: Schema.optionalWith(Schema.String, { default: () => "" }),
  exit_code: Schema.optional(Schema.Int),
  errorCode: Schema.optional(Schema.Int),
  traceId: Schema.optional(Schema.String)
})
const decodeStructured = Schema.decodeUnknownOption(Schema.parseJson(Structured))

/**
 * Reads the text of a `shell` result: the JSON record
 * `{stdout, stderr, exit_code, traceId}` when it is a JSON object with those
 * keys, else the text as stdout with exit code 0 (a JSON scalar such as `2`
 * stays text, sdk-gaps.md §1.14). Undefined for text that is not a record on
 * the error channel.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseResult = (text: string, isError = false): CommandResult | undefined => {
  const trimmed = text.trim()
  const record = trimmed.startsWith("{") ? decodeStructured(trimmed) : undefined
  if (
    record !== undefined && record._tag === "Some" && (record.value.exit_code ?? record.value.errorCode) !== undefined
  ) {
    const r = record.value
    return {
      stdout: r.stdout,
      stderr: r.stderr,
      exitCode: (r.exit_code ?? r.errorCode)!,
      traceId: r.traceId || undefined
    }
  }
  return isError ? undefined : { stdout: text, stderr: "", exitCode: 0 }
}

/**
 * A run stopped at its timeout: exit code 124 and a last stderr line
 * `command timed out after <n> ms` (the local runtime's report).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTimedOut = (result: CommandResult): boolean =>
  result.exitCode === 124 && McpTool.endsWithTimeoutLine(result.stderr)

const checkEnv = (env: Readonly<Record<string, unknown>> | undefined) => {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value !== "string") {
      return Effect.fail(
        new ValidationError({ operation: "executeCommand", field: `env.${name}`, reason: "must be a string" })
      )
    }
  }
  return Effect.void
}

/**
 * The operation over a client (what `layer` provides).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): AgentBayCommand.Service => ({
  executeCommand: (ref, command, options = {}) =>
    Effect.gen(function*() {
      const operation = "executeCommand"
      const timeout = yield* Mcp.positiveDuration(operation, "timeout", options.timeout ?? defaultTimeout)
      yield* checkEnv(options.env)
      const timeoutMs = Math.ceil(Duration.toMillis(timeout))
      const expired = (stdout = "", stderr = "") =>
        new CommandTimeout({ sessionId: idOf(ref), tool: "shell", timeout: Duration.format(timeout), stdout, stderr })
      const result = yield* Mcp.raw(
        client,
        ref,
        McpTool.Shell,
        { command, timeout_ms: timeoutMs, cwd: options.cwd, envs: options.env },
        { operation, timeout: Duration.sum(timeout, timeoutMargin) }
      ).pipe(
        // No answer within the timeout and its margin: the command did not finish in time.
        Effect.catchIf((e): e is TransportError => e._tag === "TransportError" && e.reason === "Timeout", () =>
          Effect.fail(expired()))
      )
      const text = result.isError ? Mcp.errorText(result) : McpTool.textOf(result)
      const parsed = parseResult(text, result.isError)
      if (parsed === undefined) {
        return yield* new ToolError({ sessionId: idOf(ref), tool: "shell", text })
      }
      if (isTimedOut(parsed)) {
        return yield* expired(parsed.stdout, parsed.stderr)
      }
      return parsed
    }).pipe(Mcp.span("AgentBayCommand", "executeCommand", ref, McpTool.Shell.name))
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBayCommand.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBayCommand, never, AgentBayClient.AgentBayClient> = Layer.effect(
  AgentBayCommand,
  make
)
