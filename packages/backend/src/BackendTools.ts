/**
 * The server side of every MCP tool of `McpTool.all`, written once for the
 * local runtime and the fake: {@link call} decodes a tool's `Args` with its
 * declaration, runs it over the session's files and `exec`, and encodes the
 * typed value into the result text with the same declaration, so the texts are
 * the formats the official client parses (spec: semantics.md §3).
 *
 * Domain failures (a missing file, a bad argument, a refused path) are
 * `isError: true` results whose text names the path; a `SandboxError` from
 * `exec` (session paused, not started) stays in the error channel.
 *
 * The handlers live in `internal/backendTools.ts`. Node: `get_metrics` reads
 * the host's CPU and memory with `node:os` (no native modules).
 *
 * @since 0.1.0
 */
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as JSONSchema from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as BackendActivity from "./BackendActivity.js"
import { type BackendSandbox, type FileStat, SandboxError } from "./BackendSandbox.js"
import * as Internal from "./internal/backendTools.js"

/**
 * No tool of that name.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownTool extends Schema.TaggedError<UnknownTool>("@effect-agentbay/backend/UnknownTool")(
  "UnknownTool",
  { name: Schema.String }
) {
  override get message(): string {
    return `unknown tool: ${this.name}`
  }
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ToolOptions {
  /**
   * Size in bytes of the filesystem holding a session's files, for
   * `get_metrics`' `disk_total` (the local runtime: `statfs` of the tree).
   * Default: a nominal 10 GiB.
   */
  readonly diskTotal?: ((sessionId: string) => Effect.Effect<number>) | undefined
}

/**
 * What the tools remember of one session.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionToolState {
  /** `run_code` executions so far. */
  executionCount: number
  /** `get_file_change`: the last walk of each watched directory (absolute sandbox path). */
  readonly watches: Map<string, ReadonlyMap<string, FileStat>>
  /** `write_file`: a high surrogate that ended a write, held for the next append (see `writeFile`). */
  readonly pendingHigh: Map<string, { readonly unit: string; readonly size: number }>
}

/**
 * Per-backend mutable state of the tools.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolState {
  readonly options: ToolOptions
  readonly sessions: Map<string, SessionToolState>
  /** Where `shell` and `run_code` calls are recorded, when the backend has a `BackendActivity`. */
  readonly activity?: Option.Option<BackendActivity.BackendActivity.Service> | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeToolState = (options: ToolOptions = {}): Effect.Effect<ToolState> =>
  Effect.map(Effect.serviceOption(BackendActivity.BackendActivity), (activity) => ({
    options,
    sessions: new Map(),
    activity
  }))

// Records a `shell` or `run_code` call in the backend's activity, when there is one.
const record = (state: ToolState, sessionId: string, name: string, args: unknown) => (result: McpTool.McpResult) => {
  const activity = state.activity
  if (activity === undefined || Option.isNone(activity)) return Effect.void
  return Effect.flatMap(Clock.currentTimeMillis, (at) => {
    const entry = BackendActivity.commandOf(name, args, result, at)
    return entry === undefined ? Effect.void : activity.value.command(sessionId, entry)
  })
}

/**
 * Drops what the tools remember of a session (call it when the session is deleted).
 *
 * @since 0.1.0
 * @category utils
 */
export const forget = (state: ToolState, sessionId: string): Effect.Effect<void> =>
  Effect.sync(() => void state.sessions.delete(sessionId))

/**
 * Runs the tool `name` of `McpTool.all` for a session. `args` is the parsed
 * `Args` object.
 *
 * @since 0.1.0
 * @category actions
 */
export const call = (
  sandbox: BackendSandbox.Service,
  state: ToolState,
  sessionId: string,
  name: string,
  args: unknown
): Effect.Effect<McpTool.McpResult, UnknownTool | SandboxError> =>
  Effect.suspend((): Effect.Effect<McpTool.McpResult, UnknownTool | SandboxError> => {
    // One handler per tool of McpTool.all (the catalogue test checks each is reached), so a name without one
    // is no tool of ours.
    const entry = Internal.handlers.get(name)
    if (entry === undefined) return Effect.fail(new UnknownTool({ name }))
    return Effect.flatMap(
      Effect.try({
        try: () => sandbox.files(sessionId),
        catch: (error) =>
          error instanceof SandboxError
            ? error
            : new SandboxError({ sessionId, operation: "files", reason: String(error) })
      }),
      (files) => {
        let session = state.sessions.get(sessionId)
        if (session === undefined) {
          session = { executionCount: 0, watches: new Map(), pendingHigh: new Map() }
          state.sessions.set(sessionId, session)
        }
        return entry.run({ sandbox, options: state.options, sessionId, files, session }, args).pipe(
          Effect.tap(record(state, sessionId, name, args))
        )
      }
    )
  }).pipe(
    Effect.withSpan("BackendTools.call", { attributes: { "agentbay.session_id": sessionId, "agentbay.tool": name } })
  )

/**
 * One tool as ListMcpTools / ToolList describe it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CatalogueEntry {
  readonly name: string
  readonly description: string
  /** JSON Schema of the tool's `Args`. */
  readonly inputSchema: JSONSchema.JsonSchema7Root
  readonly server: string
  /** The tool's name again: the wire's `tool` field is text (its meaning on the cloud is open). */
  readonly tool: string
}

/**
 * The MCP server each tool is listed under. Only `wuying_shell` (for `shell`)
 * is a known cloud name; the cloud's full mapping is open, the others are ours.
 */
const serverOf = (name: string): string =>
  name === "shell"
    ? "wuying_shell"
    : name === "run_code"
    ? "wuying_codespace"
    : name === "get_metrics"
    ? "wuying_system"
    : "wuying_filesystem"

/** `Schema.Struct({})` renders as "any object or array"; MCP wants an object schema. */
const inputSchemaOf = (tool: McpTool.AnyTool): JSONSchema.JsonSchema7Root => {
  const ast = tool.args.ast
  return ast._tag === "TypeLiteral" && ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0
    ? {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      required: [],
      properties: {},
      additionalProperties: false
    }
    : JSONSchema.make(tool.args)
}

/**
 * Every tool of `McpTool.all`, for ListMcpTools / ToolList.
 *
 * @since 0.1.0
 * @category constants
 */
export const catalogue: ReadonlyArray<CatalogueEntry> = McpTool.all.map((tool) => ({
  name: tool.name,
  description: tool.description,
  inputSchema: inputSchemaOf(tool),
  server: serverOf(tool.name),
  tool: tool.name
}))
