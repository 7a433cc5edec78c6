/**
 * How the `AgentBay` service marks and caps the sessions it creates: the
 * `Ownership` settings and the reference a layer overrides them with
 * (`OwnershipDefaults`, `layerOwnership`), the owner stamps (`stampKeys`,
 * `stampsOf`, `withoutStamps`) and what `AgentBay.reap` takes and reports.
 * Every name is also re-exported by `AgentBay`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"

import type * as AgentBayConfig from "./AgentBayConfig.js"
import type { CommonError, ValidationError } from "./AgentBayError.js"
import * as Reap from "./internal/reap.js"
import type { Labels } from "./Session.js"

/**
 * How the service marks and caps the sessions it creates. Unless `stamp` is
 * false, each create adds five labels under the reserved prefix
 * `agentbay.sdk/` (see `stampKeys`): `managed-by` (`effect-agentbay`),
 * `client` (random, one per build of the service's layer), `run`, and
 * `created` / `expires` as ISO 8601 UTC instants (expires = created + ttl).
 * They count toward the service's label limit (64), leaving 59 to the caller.
 *
 * @since 0.1.0
 * @category models
 */
export interface Ownership {
  readonly stamp: boolean
  /** The lifetime in the expiry stamp when `create` gives no `ttl`. */
  readonly sessionTtl: Duration.Duration
  readonly runId: string
  /** Cap on the live sessions created through one service; `undefined`: none. */
  readonly maxSessions: number | undefined
}

/**
 * The settings of `Ownership` a layer may give (`AgentBay.layer` takes them too).
 *
 * @since 0.1.0
 * @category options
 */
export type OwnershipOptions = Pick<AgentBayConfig.Options, "stamp" | "sessionTtl" | "runId" | "maxSessions">

/**
 * The run id of this process: random, drawn when the module loads. Stamped
 * as `agentbay.sdk/run` unless a layer gives `runId`.
 *
 * @since 0.1.0
 * @category constants
 */
export const processRunId: string = Reap.processRunId

/**
 * Stamp, with a 1 hour lifetime, the run id `processRunId`, no cap.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultOwnership: Ownership = {
  stamp: true,
  sessionTtl: Duration.hours(1),
  runId: processRunId,
  maxSessions: undefined
}

/**
 * The `Ownership` the `AgentBay` service is built with: `defaultOwnership`
 * unless a layer provides another (`layerOwnership`, or the fields of `AgentBay.layer`).
 *
 * @since 0.1.0
 * @category tags
 */
export class OwnershipDefaults extends Context.Reference<OwnershipDefaults>()(
  "@effect-agentbay/core/AgentBay/OwnershipDefaults",
  { defaultValue: (): Ownership => defaultOwnership }
) {}

/**
 * Ownership for the services built under this layer: each field given
 * replaces that of the ownership in effect, e.g.
 * `AgentBayTest.layer().pipe(Layer.provide(AgentBay.layerOwnership({ maxSessions: 2 })))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOwnership = (options: OwnershipOptions): Layer.Layer<OwnershipDefaults, ValidationError> =>
  Layer.effect(
    OwnershipDefaults,
    Effect.flatMap(OwnershipDefaults, (current) => Reap.resolveOwnership("AgentBay.layerOwnership", current, options))
  )

/**
 * The label keys of the owner stamps; every key with the prefix `reserved` is
 * the SDK's, and a `create` label using it is a `ValidationError`.
 *
 * @since 0.1.0
 * @category constants
 */
export const stampKeys: typeof Reap.keys & { readonly reserved: string } = { ...Reap.keys, reserved: Reap.prefix }

/**
 * The label a scoped session's release puts on a session it left in place
 * because its context sync failed (`key` = `value`; see `SessionOptions.release`).
 * `reap` deletes such sessions once a sync succeeds.
 *
 * @since 0.1.0
 * @category constants
 */
export const releaseFailedLabel: { readonly key: string; readonly value: string } = {
  key: Reap.releaseFailed.key,
  value: Reap.releaseFailed.contextSync
}

/**
 * What a session's stamps say; times in epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stamps {
  readonly client: string
  readonly run: string
  readonly createdAt: number
  readonly expiresAt: number
}

/**
 * Reads the stamps from a session's labels (`session.getLabels()`): none
 * unless all of them are there and well formed.
 *
 * @since 0.1.0
 * @category utils
 */
export const stampsOf: (labels: Readonly<Record<string, string>>) => Option.Option<Stamps> = Reap.stampsOf

/**
 * The labels without the SDK's (`agentbay.sdk/*`): what the caller gave.
 *
 * @since 0.1.0
 * @category utils
 */
export const withoutStamps = (labels: Readonly<Record<string, string>>): Labels =>
  Object.fromEntries(Object.entries(labels).filter(([key]) => !key.toLowerCase().startsWith(Reap.prefix)))

/**
 * @since 0.1.0
 * @category options
 */
export interface ReapOptions {
  /** Also reap sessions created longer ago than this, whatever their expiry. */
  readonly olderThan?: Duration.DurationInput | undefined
  /**
   * Only sessions carrying these labels, e.g. `{ [stampKeys.run]: processRunId }`.
   * Default: the stamped sessions of every client (of this API key).
   */
  readonly labels?: Labels | undefined
  /** How many sessions are checked and deleted at once. Default 5. */
  readonly concurrency?: number | undefined
}

/**
 * A session `reap` deleted, and why: its expiry had passed, it was created
 * before the `olderThan` cutoff, or a release had left it in place
 * (`releaseFailed`, with what failed in `releaseFailure`, e.g. `context-sync`)
 * and its context sync has now succeeded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Reaped {
  readonly id: string
  readonly reason: "expired" | "olderThan" | "releaseFailed"
  readonly stamps: Stamps
  /** With `releaseFailed`: the value of its `releaseFailedLabel`. */
  readonly releaseFailure?: string | undefined
}

/**
 * Errors of `reap`: those of listing the candidates.
 *
 * @since 0.1.0
 * @category models
 */
export type ReapError = CommonError | ValidationError
