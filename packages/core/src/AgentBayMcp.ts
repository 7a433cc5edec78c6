/**
 * MCP tools of a session, by name: the catalogue of the session's image
 * (`listTools`), any tool with JSON arguments (`callTool`), and the session's
 * resource use (`getMetrics`, the `get_metrics` tool). The operations take the
 * session first (a `Session` or its id); `session.mcp` offers them bound.
 *
 * A result with `isError` is a `ToolError` carrying the tool's text (every
 * content text joined with `"; "`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

import * as AgentBayClient from "./AgentBayClient.js"
import { type CommonError, type NotFound, ToolError, ValidationError } from "./AgentBayError.js"
import * as Mcp from "./internal/agentBayMcp.js"
import * as McpTool from "./McpTool.js"
import { idOf, type SessionRef, type ToolInfo } from "./Session.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayMcp extends Context.Tag("@effect-agentbay/core/AgentBayMcp")<AgentBayMcp, AgentBayMcp.Service>() {}

/**
 * What a tool call can fail with.
 *
 * @since 0.1.0
 * @category models
 */
export type ToolCallError = Mcp.ToolCallError

/**
 * A successful tool result: its text (`content[0]`'s text, blob or data) and
 * every content item.
 *
 * @since 0.1.0
 * @category models
 */
export interface ToolResult {
  readonly text: string
  readonly content: McpTool.McpResult["content"]
}

/**
 * @since 0.1.0
 * @category options
 */
export interface CallToolOptions {
  /** Bound on the HTTP attempt for a tool that runs long. Default: the client's timeout. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Metrics = typeof McpTool.Metrics.Type

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayMcp {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * The tools of the session's image: the record's `imageId` when the session
     * carries one, else the image GetSessionDetail reports, else `linux_latest`.
     */
    readonly listTools: (
      session: SessionRef
    ) => Effect.Effect<ReadonlyArray<ToolInfo>, CommonError | NotFound | ValidationError>
    /** Runs the tool `name` with `args` (a JSON object). */
    readonly callTool: (
      session: SessionRef,
      name: string,
      args?: Readonly<Record<string, unknown>>,
      options?: CallToolOptions
    ) => Effect.Effect<ToolResult, ToolCallError>
    /** CPU, memory, disk and network use (`get_metrics`; alias fields accepted). */
    readonly getMetrics: (session: SessionRef) => Effect.Effect<Metrics, ToolCallError>
  }
}

const metricAliases: Readonly<Record<string, string>> = {
  rx_rate_kbps: "rx_rate_kbyte_per_s",
  rx_rate_KBps: "rx_rate_kbyte_per_s",
  tx_rate_kbps: "tx_rate_kbyte_per_s",
  tx_rate_KBps: "tx_rate_kbyte_per_s",
  rx_used_kb: "rx_used_kbyte",
  rx_used_KB: "rx_used_kbyte",
  tx_used_kb: "tx_used_kbyte",
  tx_used_KB: "tx_used_kbyte"
}

/**
 * `get_metrics`' text as `McpTool.Metrics`, the official client's alias
 * fields (`rx_rate_kbps`, `rx_rate_KBps`, `rx_used_kb`, `rx_used_KB` and the
 * `tx_` ones) renamed first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MetricsText: Schema.Schema<Metrics, string> = Schema.transform(
  Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  Schema.typeSchema(McpTool.Metrics),
  {
    strict: false,
    decode: (raw) => {
      const out: Record<string, unknown> = {}
      for (const [key, value] of Object.entries(raw)) {
        const name = metricAliases[key] ?? key
        if (!(name in out) || name === key) out[name] = value
      }
      return out
    },
    encode: (metrics) => metrics
  }
)

const isJsonObject = (u: unknown): u is Readonly<Record<string, unknown>> => Predicate.isRecord(u) && !Array.isArray(u)

/**
 * The operations over a client (what `layer` provides).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): AgentBayMcp.Service => {
  const imageOf = (ref: SessionRef) => {
    const own = typeof ref === "string" ? undefined : (ref as { readonly imageId?: string | undefined }).imageId
    return own !== undefined && own !== ""
      ? Effect.succeed(own)
      : Effect.map(client.getSessionDetail(idOf(ref)), (d) => d.imageId ?? AgentBayClient.defaultImageId)
  }
  return {
    listTools: (ref) =>
      Effect.flatMap(imageOf(ref), client.listMcpTools).pipe(
        Effect.withSpan("AgentBayMcp.listTools", { attributes: { "agentbay.session_id": idOf(ref) } })
      ),
    callTool: (ref, name, args = {}, options = {}) =>
      Effect.gen(function*() {
        if (!isJsonObject(args)) {
          return yield* new ValidationError({ operation: "callTool", field: "args", reason: "must be a JSON object" })
        }
        const timeout = options.timeout === undefined
          ? undefined
          : yield* Mcp.positiveDuration("callTool", "timeout", options.timeout)
        const result = yield* client.callMcpTool(idOf(ref), name, args, { server: Mcp.serverOf(ref, name), timeout })
        if (result.isError) {
          return yield* new ToolError({ sessionId: idOf(ref), tool: name, text: Mcp.errorText(result) })
        }
        return { text: McpTool.textOf(result), content: result.content }
      }).pipe(Mcp.span("AgentBayMcp", "callTool", ref, name)),
    getMetrics: (ref) =>
      Effect.flatMap(
        Mcp.text(client, ref, McpTool.GetMetrics, {}, { operation: "getMetrics" }),
        (text) => Mcp.decodeText(McpTool.GetMetrics.name, MetricsText, text)
      ).pipe(Mcp.span("AgentBayMcp", "getMetrics", ref, McpTool.GetMetrics.name))
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBayMcp.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBayMcp, never, AgentBayClient.AgentBayClient> = Layer.effect(AgentBayMcp, make)
