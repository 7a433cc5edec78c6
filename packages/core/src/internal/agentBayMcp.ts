// How the tool services (AgentBayFileSystem, AgentBayCommand, AgentBayCode,
// AgentBayMcp) run one declared MCP tool over AgentBayClient.callMcpTool: the
// server from the session's ToolList, the args encoded by the declaration, a
// result with `isError` as ToolError, the text decoded by the declaration, and
// the operation's span. Internal: AgentBayMcp.ts is the public surface.
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

import type { AgentBayClient } from "../AgentBayClient.js"
import {
  type CommonError,
  DecodeError,
  type InvalidState,
  type NotFound,
  ToolError,
  ValidationError
} from "../AgentBayError.js"
import * as McpTool from "../McpTool.js"
import { idOf, type SessionRef } from "../Session.js"

/**
 * What a tool call can fail with: any network error, an unknown session,
 * invalid input, and the tool's own error.
 */
export type ToolCallError = CommonError | NotFound | InvalidState | ValidationError | ToolError

/**
 * The HTTP attempt of a tool that runs for a while (a command, code) is bounded
 * by the tool's own timeout plus this margin, so the answer of a run that uses
 * its whole timeout still arrives (sdk-gaps.md §1.12).
 */
export const timeoutMargin = Duration.seconds(30)

/** The server the session's `ToolList` names for a tool, else `""` (the server resolves it by name). */
export const serverOf = (ref: SessionRef, name: string): string => {
  if (typeof ref === "string") return ""
  const tools =
    (ref as { readonly tools?: ReadonlyArray<{ readonly name: string; readonly server?: string | undefined }> })
      .tools
  return tools?.find((t) => t.name === name)?.server ?? ""
}

/** The first issue of a failed decode or encode: its path and message, never the whole input. */
export const firstIssue = (error: ParseResult.ParseError): { readonly field: string; readonly reason: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return {
    field: issue === undefined || issue.path.length === 0 ? "args" : issue.path.map(String).join("."),
    reason: issue?.message ?? "is invalid"
  }
}

/** A positive, finite duration, or ValidationError naming `field`. */
export const positiveDuration = (operation: string, field: string, input: Duration.DurationInput) => {
  const d = Duration.decodeUnknown(input)
  return Option.isSome(d) && Duration.isFinite(d.value) && Duration.greaterThan(d.value, Duration.zero)
    ? Effect.succeed(d.value)
    : Effect.fail(new ValidationError({ operation, field, reason: "must be a positive, finite duration" }))
}

export interface RawOptions {
  /** The public operation, for ValidationError. */
  readonly operation: string
  /** Bound on the HTTP attempt (a tool's own timeout plus `timeoutMargin`). */
  readonly timeout?: Duration.Duration | undefined
}

/** Calls `tool` with `args` encoded by its declaration; the MCP result as it came, `isError` included. */
export const raw = <Name extends string, A, AI, R>(
  client: AgentBayClient.Service,
  ref: SessionRef,
  tool: McpTool.McpTool<Name, A, AI, R>,
  args: A,
  options: RawOptions
): Effect.Effect<McpTool.McpResult, CommonError | NotFound | InvalidState | ValidationError> =>
  Either.match(Schema.encodeEither(tool.args)(args), {
    onLeft: (error) => Effect.fail(new ValidationError({ operation: options.operation, ...firstIssue(error) })),
    onRight: (encoded) =>
      client.callMcpTool(idOf(ref), tool.name, encoded as Record<string, unknown>, {
        server: serverOf(ref, tool.name),
        timeout: options.timeout
      })
  })

/** The error text of a result: every content text joined with `"; "`, "Unknown error" when there is none. */
export const errorText = (result: McpTool.McpResult): string => McpTool.textOf(result) || "Unknown error"

/** The text of a successful result; a result with `isError` is ToolError. */
export const text = <Name extends string, A, AI, R>(
  client: AgentBayClient.Service,
  ref: SessionRef,
  tool: McpTool.McpTool<Name, A, AI, R>,
  args: A,
  options: RawOptions
): Effect.Effect<string, ToolCallError> =>
  Effect.flatMap(raw(client, ref, tool, args, options), (result) =>
    result.isError
      ? Effect.fail(new ToolError({ sessionId: idOf(ref), tool: tool.name, text: errorText(result) }))
      : Effect.succeed(McpTool.textOf(result)))

/** Decodes a tool's text with a codec; a mismatch is DecodeError naming the tool. */
export const decodeText = <R>(toolName: string, codec: Schema.Schema<R, string>, text: string) =>
  Either.match(Schema.decodeEither(codec)(text), {
    onLeft: (error) => Effect.fail(new DecodeError({ action: toolName, detail: firstIssue(error).reason })),
    onRight: (value) => Effect.succeed(value)
  })

/** Calls `tool` and decodes its text with the declaration's result codec. */
export const invoke = <Name extends string, A, AI, R>(
  client: AgentBayClient.Service,
  ref: SessionRef,
  tool: McpTool.McpTool<Name, A, AI, R>,
  args: A,
  options: RawOptions
): Effect.Effect<R, ToolCallError> =>
  Effect.flatMap(text(client, ref, tool, args, options), (t) => decodeText(tool.name, tool.result, t))

/**
 * The span of one public tool operation: `<module>.<operation>` with the
 * session id and the tool. Never arguments: paths may be fine, but file
 * contents and command text must not reach spans.
 */
export const span = (module: string, operation: string, ref: SessionRef, tool: string) =>
  Effect.withSpan(`${module}.${operation}`, {
    attributes: { "agentbay.session_id": idOf(ref), "agentbay.tool": tool }
  })
