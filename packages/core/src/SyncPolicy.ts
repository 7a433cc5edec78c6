/**
 * The sync policy of a context mounted into a session (the `Policy` JSON text of
 * a `PersistenceDataList` item; spec: semantics.md §4.4) as typed data. Written
 * once for both sides: the client validates and encodes it, the backends decode
 * it (`decode`) and read it with the defaults filled in (`effective`), so client
 * and server agree on what an absent field means.
 *
 * Every sub-policy and every field is optional, and a sub-policy may be `null`
 * (the official client sends `null` ones for its browser context).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

import type { ValidationError } from "./AgentBayError.js"
import * as Internal from "./internal/syncPolicy.js"

// A path of a whitelist, exclude list or recycle list: matched literally, so
// wildcards are refused (the official client checks the same characters).
const LiteralPath = Schema.String.pipe(
  Schema.filter((path) => !/[*?[\]]/.test(path), { message: () => "must not contain wildcards (*, ?, [, ])" })
)

const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literal(...literals).annotations({
    // `override`: the union's own message, not its first member's mismatch.
    message: () => ({ message: `must be one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`, override: true })
  })

/**
 * How an upload stores the path: file by file, or packed into one archive.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UploadMode = oneOf("File", "Archive")

/**
 * @since 0.1.0
 * @category models
 */
export type UploadMode = typeof UploadMode.Type

/**
 * How long synced data is kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Lifecycle = oneOf(
  "Lifecycle_1Day",
  "Lifecycle_3Days",
  "Lifecycle_5Days",
  "Lifecycle_10Days",
  "Lifecycle_15Days",
  "Lifecycle_30Days",
  "Lifecycle_90Days",
  "Lifecycle_180Days",
  "Lifecycle_360Days",
  "Lifecycle_Forever"
)

/**
 * @since 0.1.0
 * @category models
 */
export type Lifecycle = typeof Lifecycle.Type

/**
 * The days each `Lifecycle` keeps data; `undefined` for `Lifecycle_Forever`.
 *
 * @since 0.1.0
 * @category constants
 */
export const lifecycleDays: { readonly [L in Lifecycle]: number | undefined } = {
  Lifecycle_1Day: 1,
  Lifecycle_3Days: 3,
  Lifecycle_5Days: 5,
  Lifecycle_10Days: 10,
  Lifecycle_15Days: 15,
  Lifecycle_30Days: 30,
  Lifecycle_90Days: 90,
  Lifecycle_180Days: 180,
  Lifecycle_360Days: 360,
  Lifecycle_Forever: undefined
}

/**
 * `autoUpload`: upload the path when the session is released
 * (`UploadBeforeResourceRelease`, the only strategy).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UploadPolicy = Schema.Struct({
  autoUpload: Schema.optional(Schema.Boolean),
  uploadStrategy: Schema.optional(oneOf("UploadBeforeResourceRelease")),
  uploadMode: Schema.optional(UploadMode)
})

/**
 * `autoDownload`: fill the path from the context when the session starts
 * (`DownloadAsync`, the only strategy: create waits for it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DownloadPolicy = Schema.Struct({
  autoDownload: Schema.optional(Schema.Boolean),
  downloadStrategy: Schema.optional(oneOf("DownloadAsync"))
})

/**
 * `syncLocalFile`: files deleted in the sandbox are deleted from the context by the next upload.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DeletePolicy = Schema.Struct({ syncLocalFile: Schema.optional(Schema.Boolean) })

/**
 * What a download does with an archive: unpack it, delete it after, unpack in
 * place instead of a sub-folder.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ExtractPolicy = Schema.Struct({
  extract: Schema.optional(Schema.Boolean),
  deleteSrcFile: Schema.optional(Schema.Boolean),
  extractToCurrentFolder: Schema.optional(Schema.Boolean)
})

/**
 * How long the synced data under `paths` (`""`: all of it) is kept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RecyclePolicy = Schema.Struct({
  lifecycle: Schema.optional(Lifecycle),
  paths: Schema.optional(Schema.Array(LiteralPath))
})

/**
 * One sub-path of the synced path (`""`: the whole path) minus `excludePaths`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WhiteList = Schema.Struct({
  path: Schema.optional(LiteralPath),
  excludePaths: Schema.optional(Schema.Array(LiteralPath))
})

/**
 * Only the whitelisted sub-paths sync.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BwList = Schema.Struct({ whiteLists: Schema.optional(Schema.Array(WhiteList)) })

/**
 * The path the same context was synced at on another OS.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MappingPolicy = Schema.Struct({ path: Schema.optional(Schema.String) })

const sub = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * The policy, its keys in the official order (the order `encode` writes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const SyncPolicy = Schema.Struct({
  uploadPolicy: sub(UploadPolicy),
  downloadPolicy: sub(DownloadPolicy),
  deletePolicy: sub(DeletePolicy),
  extractPolicy: sub(ExtractPolicy),
  recyclePolicy: sub(RecyclePolicy),
  bwList: sub(BwList),
  mappingPolicy: sub(MappingPolicy)
})

/**
 * @since 0.1.0
 * @category models
 */
export type SyncPolicy = typeof SyncPolicy.Type

/**
 * A policy with every field filled in: what a server applies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Effective {
  readonly uploadPolicy: {
    readonly autoUpload: boolean
    readonly uploadStrategy: "UploadBeforeResourceRelease"
    readonly uploadMode: UploadMode
  }
  readonly downloadPolicy: { readonly autoDownload: boolean; readonly downloadStrategy: "DownloadAsync" }
  readonly deletePolicy: { readonly syncLocalFile: boolean }
  readonly extractPolicy: {
    readonly extract: boolean
    readonly deleteSrcFile: boolean
    readonly extractToCurrentFolder: boolean
  }
  readonly recyclePolicy: { readonly lifecycle: Lifecycle; readonly paths: ReadonlyArray<string> }
  readonly bwList: {
    readonly whiteLists: ReadonlyArray<{ readonly path: string; readonly excludePaths: ReadonlyArray<string> }>
  }
  /** No default: absent unless given. */
  readonly mappingPolicy?: { readonly path: string } | undefined
}

/**
 * The official client's `newSyncPolicy()`: every sub-policy but `mappingPolicy`,
 * with its default values. `encode(defaults)` is the official JSON text byte for byte.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Effective & SyncPolicy = {
  uploadPolicy: { autoUpload: true, uploadStrategy: "UploadBeforeResourceRelease", uploadMode: "File" },
  downloadPolicy: { autoDownload: true, downloadStrategy: "DownloadAsync" },
  deletePolicy: { syncLocalFile: true },
  extractPolicy: { extract: true, deleteSrcFile: true, extractToCurrentFolder: false },
  recyclePolicy: { lifecycle: "Lifecycle_Forever", paths: [""] },
  bwList: { whiteLists: [{ path: "", excludePaths: [] }] }
}

/**
 * The policy a server applies: each field given, else its default. A `null` or
 * absent sub-policy counts as all defaults, as does no policy at all (what the
 * cloud makes of `null` is open; the official client sends it where it means
 * "not set"). An empty `whiteLists` stays empty (nothing is whitelisted).
 *
 * @since 0.1.0
 * @category utils
 */
export const effective = (policy: SyncPolicy | null | undefined): Effective => Internal.effective(defaults, policy)

/**
 * Checks a policy before anything is sent, as the official client does and a
 * little stricter: unknown keys (at the top and inside sub-policies, where a
 * typo would otherwise be dropped silently), wildcards (`*` `?` `[` `]`) in
 * whitelist, exclude and recycle paths, and `uploadMode`, `lifecycle` or a
 * strategy outside its values are a `ValidationError` whose `field` is the
 * path to the offending value (after `field`, default `"policy"`).
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (
  policy: unknown,
  options?: { readonly operation?: string | undefined; readonly field?: string | undefined }
): Effect.Effect<SyncPolicy, ValidationError> =>
  Either.match(decodeStrict(policy), {
    onLeft: (error) =>
      Effect.fail(Internal.invalid(options?.operation ?? "SyncPolicy.validate", options?.field ?? "policy", error)),
    onRight: Effect.succeed
  })

const decodeStrict = Schema.decodeUnknownEither(SyncPolicy, { onExcessProperty: "error" })
const decodeLenient = Schema.decodeUnknownEither(SyncPolicy)

/**
 * Reads a policy as a server receives it: any subset of keys, `null`
 * sub-policies, unknown keys ignored; wrong types, values outside the enums
 * and wildcards are refused, with the first problem as text.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Either.Either<SyncPolicy, string> =>
  Either.mapLeft(decodeLenient(input), Internal.describe)

const fromText = Schema.decodeUnknownEither(Schema.parseJson())

/**
 * `decode` over JSON text (the `Policy` field's own form).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeText = (text: string): Either.Either<SyncPolicy, string> =>
  Either.flatMap(Either.mapLeft(fromText(text), () => "is not JSON text"), decode)

const encodeObject = Schema.encodeSync(SyncPolicy)

/**
 * The policy as the wire object: the official key order, fields left out
 * stay out, `null` sub-policies stay `null`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toWire = (policy: SyncPolicy): Readonly<Record<string, unknown>> => encodeObject(policy)

/**
 * The policy as the JSON text of `Policy`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (policy: SyncPolicy): string => JSON.stringify(toWire(policy))
