/**
 * The waits of the `AgentBay` service: how each wait polls (`WaitOptions`), the
 * default of each (`Waits`), the cloud's (`cloudWaits`) and the reference a
 * layer overrides them with (`WaitDefaults`, `layerWaits`). Every name is also
 * re-exported by `AgentBay`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"

import * as AgentBayContext from "./AgentBayContext.js"

/**
 * How a wait polls: first poll at once, then every `interval` (or as `schedule`
 * says: give one or the other), until `timeout`. Each field left out takes the
 * layer's default (`WaitDefaults`).
 *
 * @since 0.1.0
 * @category options
 */
export interface WaitOptions {
  readonly interval?: Duration.DurationInput | undefined
  /** The spacing of the polls after the first, e.g. `Schedule.exponential("100 millis")`. */
  readonly schedule?: Schedule.Schedule<unknown, unknown> | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The default of each wait, carried by the layer that builds the service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Waits {
  /** betaPauseAsync / betaResumeAsync. */
  readonly transition: WaitOptions
  /** delete, and the release of a scoped session. */
  readonly delete: WaitOptions
  /** The context-sync waits of create and of delete with `syncContext`. */
  readonly contextSync: WaitOptions
  /** `bay.context.clear`'s wait until the context is available again. Default: the cloud's (2 s, 60 s). */
  readonly contextClear?: WaitOptions | undefined
}

/**
 * The cloud's waits, as the official SDK polls (spec: semantics.md §1.7):
 * pause/resume every 2 s for up to 600 s, delete every 1 s for up to 300 s,
 * context sync every 1.5 s for up to 225 s, context clear every 2 s for up to 60 s.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudWaits: Waits & { readonly contextClear: WaitOptions } = {
  transition: { interval: Duration.seconds(2), timeout: Duration.seconds(600) },
  delete: { interval: Duration.seconds(1), timeout: Duration.seconds(300) },
  contextSync: { interval: Duration.millis(1500), timeout: Duration.seconds(225) },
  contextClear: AgentBayContext.cloudClearWait
}

/**
 * The wait defaults the `AgentBay` service is built with: `cloudWaits` unless a
 * layer provides others (`layerWaits`; the local runtime's layer does, with
 * waits that match its transition times).
 *
 * @since 0.1.0
 * @category tags
 */
export class WaitDefaults extends Context.Reference<WaitDefaults>()("@effect-agentbay/core/AgentBay/WaitDefaults", {
  defaultValue: (): Waits => cloudWaits
}) {}

/**
 * Wait defaults for the services built under this layer: each field given
 * replaces that of `cloudWaits`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWaits = (waits: Partial<Waits>): Layer.Layer<WaitDefaults> =>
  Layer.succeed(WaitDefaults, { ...cloudWaits, ...waits })
