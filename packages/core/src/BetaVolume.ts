/**
 * Beta volumes (GetVolume, ListVolumes, DeleteVolume): the tag exists so layers and
 * tests can name it. Its operations are not in this release; until then the
 * service is empty and `create({ volumeId })` already mounts a volume.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category tags
 */
export class BetaVolume extends Context.Tag("@effect-agentbay/core/BetaVolume")<BetaVolume, BetaVolume.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace BetaVolume {
  /**
   * No operations yet (see the module note).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly _tag: "BetaVolume"
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BetaVolume> = Layer.succeed(BetaVolume, { _tag: "BetaVolume" })
