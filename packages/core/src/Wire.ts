/**
 * The wire protocol shared by the client (AgentBayClient) and the local server:
 * the response envelope, the action descriptor (params, `Data`, retry safety,
 * where fields travel, and which error codes become which typed errors), error
 * codes, form helpers and redaction. Schemas and pure functions only, no HTTP
 * (spec: wire-protocol.md).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

import { type ApiError, InvalidState, NotFound, type Resource } from "./AgentBayError.js"

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
 * How one error code of an action becomes a typed error: `NotFound` or
 * `InvalidState` of `resource`, whose id is the value of the request field `id`.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorRule<K extends string = string> = NotFoundRule<K> | InvalidStateRule<K>

/**
 * @since 0.1.0
 * @category models
 */
export interface NotFoundRule<K extends string = string> {
  readonly _tag: "NotFound"
  readonly resource: Resource
  /** The request field naming the resource, or several: the first one given names it. */
  readonly id: K | ReadonlyArray<K>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InvalidStateRule<K extends string = string> {
  readonly _tag: "InvalidState"
  readonly resource: Resource
  /** The request field naming the resource, or several: the first one given names it. */
  readonly id: K | ReadonlyArray<K>
  /** What was refused, e.g. `"pause"`. */
  readonly operation: string
}

/**
 * The error codes an action maps, by code. Codes not listed stay `ApiError`.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorRules<K extends string = string> = { readonly [code: string]: ErrorRule<K> }

/**
 * @since 0.1.0
 * @category constructors
 */
export const notFound = <const K extends string>(resource: Resource, id: K | ReadonlyArray<K>): NotFoundRule<K> => ({
  _tag: "NotFound",
  resource,
  id
})

/**
 * @since 0.1.0
 * @category constructors
 */
export const invalidState = <const K extends string>(
  resource: Resource,
  id: K | ReadonlyArray<K>,
  operation: string
): InvalidStateRule<K> => ({ _tag: "InvalidState", resource, id, operation })

/**
 * The typed error a rule produces.
 *
 * @since 0.1.0
 * @category models
 */
export type RuleError<R> = R extends NotFoundRule<any> ? NotFound
  : R extends InvalidStateRule<any> ? InvalidState
  : never

/**
 * One API action: its name, how its fields encode to a form, where they travel,
 * the schema of its `Data`, and which error codes become which typed errors.
 *
 * @since 0.1.0
 * @category models
 */
export interface Action<Name extends string, P, PI extends Form, D, DI, Errors extends ErrorRules = ErrorRules> {
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
  /** Error codes mapped to typed errors (the client maps them, a server produces them). */
  readonly errors: Errors
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const action = <
  const Name extends string,
  P,
  PI extends Form,
  D,
  DI,
  const Errors extends ErrorRules<Extract<keyof P, string>> = {}
>(
  name: Name,
  options: {
    readonly params: Schema.Schema<P, PI>
    readonly data: Schema.Schema<D, DI>
    readonly idempotent: boolean
    readonly method?: "POST" | "GET"
    readonly query?: ReadonlyArray<Extract<keyof PI, string>>
    readonly keyIn?: "body" | "query"
    readonly errors?: Errors
  }
): Action<Name, P, PI, D, DI, Errors> => ({
  name,
  params: options.params,
  data: options.data,
  idempotent: options.idempotent,
  method: options.method ?? "POST",
  query: options.query ?? [],
  keyIn: options.keyIn ?? "body",
  errors: options.errors ?? ({} as Errors)
})

/**
 * Any action, for registries keyed by name.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyAction = Action<string, any, any, any, any, ErrorRules>

/**
 * The params (in code) of an action.
 *
 * @since 0.1.0
 * @category models
 */
export type ParamsOf<A> = A extends Action<any, infer P, any, any, any, any> ? P : never

/**
 * The decoded `Data` of an action.
 *
 * @since 0.1.0
 * @category models
 */
export type DataOf<A> = A extends Action<any, any, any, infer D, any, any> ? D : never

/**
 * The typed errors an action's codes map to (`never` when it maps none).
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorOf<A extends { readonly errors: ErrorRules }> = RuleError<A["errors"][keyof A["errors"]]>

/**
 * The rule an action declares for `code`, if any.
 *
 * @since 0.1.0
 * @category utils
 */
export const ruleFor = (action: { readonly errors: ErrorRules }, code: string): ErrorRule | undefined =>
  Object.hasOwn(action.errors, code) ? action.errors[code] : undefined

/**
 * The typed error an `ApiError` of `action` becomes, by the action's rules:
 * the resource id is read from `params` (decoded, as the caller gave them).
 * Undefined when the action does not map that code.
 *
 * @since 0.1.0
 * @category utils
 */
export const mapError = <A extends AnyAction>(
  action: A,
  params: ParamsOf<A>,
  error: ApiError
): ErrorOf<A> | undefined => {
  const rule = ruleFor(action, error.code)
  if (rule === undefined) return undefined
  const fields = typeof rule.id === "string" ? [rule.id] : rule.id
  const values = fields.map((field) => (params as Record<string, unknown> | undefined)?.[field])
  const value = values.find((v) => typeof v === "string" && v !== "")
  const id = typeof value === "string" ? value : ""
  const mapped = rule._tag === "NotFound"
    ? new NotFound({ resource: rule.resource, id, requestId: error.requestId })
    : new InvalidState({ resource: rule.resource, id, operation: rule.operation, requestId: error.requestId })
  return mapped as ErrorOf<A>
}

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
  /** The context named is unknown (the spec's fixtures; the official SDK's unit mocks use `Context.NotFound`). */
  ContextNotFound: "InvalidContext.NotFound",
  /** The official SDK's unit mocks' code for an unknown context: mapped too, never sent by our backends. */
  ContextNotFoundMock: "Context.NotFound",
  /** A context (or volume) is mounted by a live session: it cannot be deleted or cleared now. Local choice. */
  ContextInUse: "InvalidContext.InUse",
  /** No file at that path in the context ("file not exist" on the cloud; exact code open). Local choice. */
  ContextFileNotFound: "InvalidContextFile.NotFound",
  /** Local choice: the cloud's code for an unknown volume is not known. */
  VolumeNotFound: "InvalidVolume.NotFound",
  /** A volume mounted by a live session cannot be deleted. Local choice. */
  VolumeInUse: "InvalidVolume.InUse",
  /** The network named is unknown (the spec's fixtures). */
  NetworkNotFound: "InvalidNetwork.NotFound",
  /** A context upload the server runs itself (auto-upload at release) failed, so the session was kept. Local choice. */
  ContextSyncFailed: "ContextSync.Failed",
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
  text.replace(/(Bearer(?:%20|\+|\s))[^&\s"']+/gi, "$1<redacted>").replace(
    /(Authorization=)[^&\s"']*/gi,
    "$1<redacted>"
  )

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
