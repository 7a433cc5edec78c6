/**
 * Beta networks (CreateNetwork, DescribeNetwork): a network sessions join at
 * create (`create({ networkId })`), a bind token that lets another party join
 * it, and whether it is online (spec: semantics.md §5). Also offered as
 * `Network` and `bay.network`, the official client's other (deprecated) name.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

import * as AgentBayClient from "./AgentBayClient.js"
import type { CommonError, NotFound, ValidationError } from "./AgentBayError.js"
import * as Internal from "./internal/betaNetwork.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class BetaNetwork extends Context.Tag("@effect-agentbay/core/BetaNetwork")<BetaNetwork, BetaNetwork.Service>() {}

/**
 * The same tag under the official client's older name (`agentBay.network`):
 * `Network` and `BetaNetwork` are one service.
 *
 * @since 0.1.0
 * @category tags
 */
export const Network: typeof BetaNetwork = BetaNetwork

/**
 * @since 0.1.0
 * @category tags
 */
export type Network = BetaNetwork

/**
 * A network and a token to bind to it. The token lets whoever holds it bind
 * to the network, so it is a secret: `Redacted`, never logged.
 *
 * @since 0.1.0
 * @category models
 */
export interface NetworkBinding {
  readonly networkId: string
  readonly networkToken: Redacted.Redacted<string>
  readonly requestId: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface NetworkStatus {
  readonly online: boolean
  readonly requestId: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BetaNetwork {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * A new network and its bind token; with `networkId`, a new token for that
     * network (an unknown one is `NotFound` of resource `Network`). Sent as
     * given, as the official client does (it sends `""` too).
     */
    readonly getNetworkBindToken: (
      networkId?: string
    ) => Effect.Effect<NetworkBinding, CommonError | NotFound | ValidationError>
    /** The same as `getNetworkBindToken`. */
    readonly create: (networkId?: string) => Effect.Effect<NetworkBinding, CommonError | NotFound | ValidationError>
    /** Whether the network is online (DescribeNetwork). */
    readonly describe: (networkId: string) => Effect.Effect<NetworkStatus, CommonError | NotFound | ValidationError>
  }
}

/**
 * The operations over a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): BetaNetwork.Service => Internal.make(client)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BetaNetwork.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BetaNetwork, never, AgentBayClient.AgentBayClient> = Layer.effect(BetaNetwork, make)
