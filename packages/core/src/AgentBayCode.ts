/**
 * Code in a session, over the MCP `run_code` tool: Python and JavaScript (and
 * R and Java where the server has them), with the official client's aliases
 * (`py`, `python3` ⇒ python; `js`, `node`, `nodejs` ⇒ javascript). The
 * operation takes the session first (a `Session` or its id); `session.code`
 * offers it bound.
 *
 * Rich results (text, HTML, Markdown, PNG, JPEG, SVG, LaTeX, JSON, charts) are
 * decoded into `CodeResult`. An execution error (an exception in the code) is
 * data: `error`, with its traceback. A run that reaches its timeout is
 * `CommandTimeout` (tool `run_code`), with the logs so far: one error for every
 * run that outlived its timeout, whatever ran. The timeout is honoured as given
 * (default 60 s), the HTTP attempt bounded by it plus a 30 s margin.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"

import * as AgentBayClient from "./AgentBayClient.js"
import {
  CommandTimeout,
  type CommonError,
  DecodeError,
  type InvalidState,
  type NotFound,
  ToolError,
  type TransportError,
  ValidationError
} from "./AgentBayError.js"
import * as Internal from "./internal/agentBayCode.js"
import * as Mcp from "./internal/agentBayMcp.js"
import * as McpTool from "./McpTool.js"
import { idOf, type SessionRef } from "./Session.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayCode extends Context.Tag("@effect-agentbay/core/AgentBayCode")<
  AgentBayCode,
  AgentBayCode.Service
>() {}

/**
 * The languages `run_code` runs, and the aliases accepted for them (any case).
 *
 * @since 0.1.0
 * @category models
 */
export type Language = typeof McpTool.CodeLanguage.Type | "py" | "python3" | "js" | "node" | "nodejs"

/**
 * @since 0.1.0
 * @category options
 */
export interface RunOptions {
  /** How long the code may run; sent in whole seconds, rounded up. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * One rich result of a run: the MIME types it came with. Images are base64.
 *
 * @since 0.1.0
 * @category models
 */
export interface CodeOutput {
  /** The value of the run's last expression (a notebook's `Out[n]`). */
  readonly isMainResult: boolean
  readonly text?: string
  readonly html?: string
  readonly markdown?: string
  readonly png?: string
  readonly jpeg?: string
  readonly svg?: string
  readonly latex?: string
  readonly json?: unknown
  /** A Vega or Vega-Lite chart: its MIME type and its spec. */
  readonly chart?: { readonly mimeType: string; readonly spec: unknown }
}

/**
 * An exception raised by the code: the name and value of its last traceback
 * line (`NameError`, `name 'x' is not defined`) and the whole traceback.
 *
 * @since 0.1.0
 * @category models
 */
export interface CodeError {
  readonly name: string
  readonly value: string
  readonly traceback: string
}

/**
 * What a run produced.
 *
 * @since 0.1.0
 * @category models
 */
export interface CodeResult {
  /** The main result's text, else the first result's, else stdout. */
  readonly text: string
  readonly results: ReadonlyArray<CodeOutput>
  readonly logs: { readonly stdout: ReadonlyArray<string>; readonly stderr: ReadonlyArray<string> }
  /** Set when the code raised: the run completed, with an error. */
  readonly error: CodeError | undefined
  /** Seconds, as the server reports it. */
  readonly executionTime?: number | undefined
  readonly executionCount?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type CodeRunError = CommonError | NotFound | InvalidState | ValidationError | ToolError | CommandTimeout

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayCode {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly runCode: (
      session: SessionRef,
      code: string,
      language: Language,
      options?: RunOptions
    ) => Effect.Effect<CodeResult, CodeRunError>
  }
}

/**
 * The default timeout of `runCode`.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(60)

const aliases: Readonly<Record<string, typeof McpTool.CodeLanguage.Type>> = {
  python: "python",
  py: "python",
  python3: "python",
  javascript: "javascript",
  js: "javascript",
  node: "javascript",
  nodejs: "javascript",
  r: "r",
  java: "java"
}

/**
 * The language `run_code` is sent, from a name or alias in any case.
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeLanguage = (language: string): typeof McpTool.CodeLanguage.Type | undefined =>
  Object.hasOwn(aliases, language.trim().toLowerCase()) ? aliases[language.trim().toLowerCase()] : undefined

/**
 * Reads a `run_code` answer's text (see `CodeResult`); `failed` for an answer
 * on the error channel. Left: the text, when it is not a run record.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseResult: (text: string, failed?: boolean) => Either.Either<CodeResult, string> = (
  text,
  failed = false
) => Internal.decode(text, failed)

/**
 * The operation over a client (what `layer` provides).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): AgentBayCode.Service => ({
  runCode: (ref, code, language, options = {}) =>
    Effect.gen(function*() {
      const operation = "runCode"
      const lang = normalizeLanguage(String(language))
      if (lang === undefined) {
        return yield* new ValidationError({
          operation,
          field: "language",
          reason: "must be python, javascript, r or java (or py, python3, js, node, nodejs)"
        })
      }
      const timeout = yield* Mcp.positiveDuration(operation, "timeout", options.timeout ?? defaultTimeout)
      const seconds = Math.max(1, Math.ceil(Duration.toSeconds(timeout)))
      const expired = (stdout = "", stderr = "") =>
        new CommandTimeout({
          sessionId: idOf(ref),
          tool: "run_code",
          timeout: Duration.format(timeout),
          stdout,
          stderr
        })
      const answer = yield* Mcp.raw(client, ref, McpTool.RunCode, { code, language: lang, timeout_s: seconds }, {
        operation,
        timeout: Duration.sum(Duration.seconds(seconds), Mcp.timeoutMargin)
      }).pipe(
        Effect.catchIf(
          (e): e is TransportError => e._tag === "TransportError" && e.reason === "Timeout",
          () => Effect.fail(expired())
        )
      )
      // run_code reads content[0] on both channels (the official client's rule).
      const text = answer.content[0]?.text ?? Mcp.errorText(answer)
      const result = yield* Either.match(Internal.decode(text, answer.isError), {
        onLeft: (detail) =>
          answer.isError
            ? Effect.fail(
              new ToolError({ sessionId: idOf(ref), tool: McpTool.RunCode.name, text: Mcp.errorText(answer) })
            )
            : Effect.fail(new DecodeError({ action: McpTool.RunCode.name, detail })),
        onRight: (r) => Effect.succeed(r)
      })
      if (result.error !== undefined && McpTool.endsWithTimeoutLine(result.error.traceback)) {
        return yield* expired(result.logs.stdout.join(""), result.logs.stderr.join(""))
      }
      return result
    }).pipe(Mcp.span("AgentBayCode", "runCode", ref, McpTool.RunCode.name))
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBayCode.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBayCode, never, AgentBayClient.AgentBayClient> = Layer.effect(AgentBayCode, make)
