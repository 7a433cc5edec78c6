/**
 * Beta network actions on the wire: CreateNetwork (a new network, or a new bind
 * token for an existing one) and DescribeNetwork (spec: wire-protocol.md §6.3,
 * semantics.md §5).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

import { NonBlank } from "./Session.js"
import { action, type AnyAction, Code, notFound } from "./Wire.js"

/**
 * Creates a network, or with `NetworkId` issues a new bind token for that one
 * (the official client sends `NetworkId` whenever it is defined, even `""`).
 *
 * @since 0.1.0
 * @category actions
 */
export const CreateNetwork = action("CreateNetwork", {
  params: Schema.Struct({ NetworkId: Schema.optional(Schema.String), LoginRegionId: Schema.optional(Schema.String) }),
  data: Schema.Struct({ NetworkId: NonBlank, NetworkToken: NonBlank }),
  idempotent: false,
  errors: { [Code.NetworkNotFound]: notFound("Network", "NetworkId") }
})

/**
 * Whether the network is online. Retried on 503 like every idempotent action
 * (the official client retries only this one).
 *
 * @since 0.1.0
 * @category actions
 */
export const DescribeNetwork = action("DescribeNetwork", {
  params: Schema.Struct({ NetworkId: NonBlank }),
  data: Schema.Struct({ Online: Schema.Boolean }),
  idempotent: true,
  errors: { [Code.NetworkNotFound]: notFound("Network", "NetworkId") }
})

/**
 * Every network action, for registries and tests that cover them all.
 *
 * @since 0.1.0
 * @category registry
 */
export const actions: ReadonlyArray<AnyAction> = [CreateNetwork, DescribeNetwork]
