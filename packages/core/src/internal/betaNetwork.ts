// The operations of BetaNetwork over `client.call` and the WireNetwork
// declarations. Internal: BetaNetwork.ts is the public surface.
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type { AgentBayClient } from "../AgentBayClient.js"
import type * as BetaNetwork from "../BetaNetwork.js"
import * as WireNetwork from "../WireNetwork.js"
import { invalid, nonBlank } from "./agentBayContext.js"

const module = "BetaNetwork"

const span = (operation: string, networkId: unknown) =>
  Effect.withSpan(
    `${module}.${operation}`,
    networkId === undefined ? {} : { attributes: { "agentbay.network_id": networkId } }
  )

export const make = (client: AgentBayClient.Service): BetaNetwork.BetaNetwork.Service => {
  const bind = (operation: string) => (networkId?: string) =>
    (networkId === undefined || typeof networkId === "string"
      ? client.call(WireNetwork.CreateNetwork, { NetworkId: networkId, LoginRegionId: client.regionId }).pipe(
        Effect.map(({ data, envelope }): BetaNetwork.NetworkBinding => ({
          networkId: data.NetworkId,
          networkToken: Redacted.make(data.NetworkToken),
          requestId: envelope.RequestId
        })),
        Effect.tap((b) => Effect.annotateCurrentSpan("agentbay.network_id", b.networkId))
      )
      : invalid(`${module}.${operation}`, "networkId", "must be a string")).pipe(span(operation, networkId))

  return {
    getNetworkBindToken: bind("getNetworkBindToken"),
    create: bind("create"),
    describe: (networkId) =>
      Effect.flatMap(
        nonBlank(`${module}.describe`, "networkId", networkId),
        (NetworkId) =>
          Effect.map(client.call(WireNetwork.DescribeNetwork, { NetworkId }), ({ data, envelope }) => ({
            online: data.Online,
            requestId: envelope.RequestId
          }))
      ).pipe(span("describe", networkId))
  }
}
