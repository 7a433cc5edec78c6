/**
 * The wire protocol shared by the client (AgentBayClient) and the local server:
 * the response envelope, the action descriptor, error codes, form helpers and
 * redaction. Schemas and pure functions only, no HTTP (spec: wire-protocol.md).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The `Version` query field every request carries.
 *
 * @since 0.1.0
 * @category constants
 */
export const version = "2025-05-06"

/**
 * The SDK identification the official client sends with CreateMcpSession.
 *
 * @since 0.1.0
 * @category constants
 */
export const sdkStats = {
  source: "sdk",
  sdk_language: "typescript",
  sdk_version: "0.1.0",
  is_release: true,
  framework: "effect-agentbay"
} as const

/**
 * Every response body. List actions put `NextToken`, `MaxResults`, `TotalCount`
 * (or `Count`) beside `Data`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Envelope = Schema.Struct({
  RequestId: Schema.optional(Schema.String),
  Success: Schema.optional(Schema.Boolean),
  Code: Schema.optional(Schema.String),
  Message: Schema.optional(Schema.String),
  HttpStatusCode: Schema.optional(Schema.Number),
  Data: Schema.optional(Schema.Unknown),
  NextToken: Schema.optional(Schema.String),
  MaxResults: Schema.optional(Schema.Number),
  TotalCount: Schema.optional(Schema.Number),
  Count: Schema.optional(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Envelope = typeof Envelope.Type

/**
 * Form and query fields travel as strings.
 *
 * @since 0.1.0
 * @category models
 */
export type Form = Readonly<Record<string, string | undefined>>

/**
 * One API action: its name, how its fields encode to a form, where they travel,
 * and the schema of its `Data`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Action<Name extends string, P, PI extends Form, D, DI> {
  readonly name: Name
  readonly params: Schema.Schema<P, PI>
  readonly data: Schema.Schema<D, DI>
  /** Safe to send twice: only these are retried. */
  readonly idempotent: boolean
  /** `GET` only for GetAndLoadInternalContext. */
  readonly method: "POST" | "GET"
  /** Fields that travel in the query string instead of the body. */
  readonly query: ReadonlyArray<string>
  /** Where `Authorization=Bearer <key>` travels. */
  readonly keyIn: "body" | "query"
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const action = <const Name extends string, P, PI extends Form, D, DI>(
  name: Name,
  options: {
    readonly params: Schema.Schema<P, PI>
    readonly data: Schema.Schema<D, DI>
    readonly idempotent: boolean
    readonly method?: "POST" | "GET"
    readonly query?: ReadonlyArray<Extract<keyof PI, string>>
    readonly keyIn?: "body" | "query"
  }
): Action<Name, P, PI, D, DI> => ({
  name,
  params: options.params,
  data: options.data,
  idempotent: options.idempotent,
  method: options.method ?? "POST",
  query: options.query ?? [],
  keyIn: options.keyIn ?? "body"
})

/**
 * Any action, for registries keyed by name.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyAction = Action<string, any, any, any, any>

/**
 * Page sizes we accept: the official SDK defaults to 10; the cloud's maximum is
 * not documented, so we bound it at 100.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageSize = Schema.Int.pipe(Schema.between(1, 100))

/**
 * `MaxResults=10` on the wire, a number in code.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageSizeFromString = Schema.compose(Schema.NumberFromString, PageSize)

/**
 * Error codes both sides use. `InvalidMcpSession.NotFound` and
 * `InvalidAction.NotFound` are the cloud's; `InvalidApiKey` (with HTTP 401),
 * `InvalidParameter` and `InvalidSession.Status` are the local runtime's choices,
 * because the cloud's codes for those cases are unknown (spec: wire-protocol.md §2.3).
 *
 * @since 0.1.0
 * @category codes
 */
export const Code = {
  Ok: "ok",
  InvalidApiKey: "InvalidApiKey",
  SessionNotFound: "InvalidMcpSession.NotFound",
  ContextNotFound: "Context.NotFound",
  ActionNotFound: "InvalidAction.NotFound",
  InvalidParameter: "InvalidParameter",
  InvalidStatus: "InvalidSession.Status",
  RequestTooLarge: "RequestTooLarge",
  InternalError: "InternalError"
} as const

/**
 * Removes the API key from any text that may carry a URL or a form body: the
 * key travels as `Authorization=Bearer <key>`, in the query for two actions.
 *
 * @since 0.1.0
 * @category utils
 */
export const redact = (text: string): string =>
  // `Bearer <key>` first: in decoded text (`Authorization=Bearer sk-1`) the
  // `Authorization=` rule stops at the space and would leave the key behind.
  text.replace(/(Bearer(?:%20|\+|\s))[^&\s"']+/gi, "$1<redacted>").replace(/(Authorization=)[^&\s"']*/gi, "$1<redacted>")

/**
 * The form fields of a request, as the wire wants them: strings only, `undefined`
 * dropped, keys sorted (the official client sends them sorted too).
 *
 * @since 0.1.0
 * @category utils
 */
export const compact = (form: Form): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const key of Object.keys(form).sort()) {
    const value = form[key]
    if (value !== undefined) out[key] = value
  }
  return out
}
