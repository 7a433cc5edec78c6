/**
 * Beta networks (CreateNetwork, DescribeNetwork): the tag exists so layers and
 * tests can name it. Its operations are not in this release; until then the
 * service is empty and `create({ networkId })` already attaches a network.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category tags
 */
export class BetaNetwork extends Context.Tag("@effect-agentbay/core/BetaNetwork")<BetaNetwork, BetaNetwork.Service>() {}

/**
 * @since 0.1.0
 */
export declare namespace BetaNetwork {
  /**
   * No operations yet (see the module note).
   *
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly _tag: "BetaNetwork"
  }
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BetaNetwork> = Layer.succeed(BetaNetwork, { _tag: "BetaNetwork" })
