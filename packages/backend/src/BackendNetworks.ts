/**
 * The beta network actions behind the wire (`WireNetwork`, spec:
 * wire-protocol.md §6.3, semantics.md §5): CreateNetwork makes a network and
 * its bind token, or (with the id of one of the caller's) a new token for it;
 * DescribeNetwork says whether it is online: while a live session created with
 * that `NetworkId` exists. What binds with the token is open in the spec:
 * nothing consumes it here.
 *
 * @since 0.1.0
 */
import { NotFound } from "@effect-agentbay/core/AgentBayError"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { BackendSessions } from "./BackendSessions.js"
import { BackendVault } from "./BackendVault.js"
import { type Entry, hex, onWire } from "./internal/backendRuntime.js"

/**
 * The network actions, by name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const handlers: Effect.Effect<ReadonlyArray<Entry>, never, BackendVault | BackendSessions> = Effect.gen(
  function*() {
    const vault = yield* BackendVault
    const sessions = yield* BackendSessions
    const mine = (owner: string, id: string) =>
      Effect.flatMap(
        vault.findNetwork(id, owner),
        (found) =>
          Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(new NotFound({ resource: "Network", id }))
      )

    return [
      // `NetworkId` absent or "" (the official client sends "" when undefined): a new network.
      onWire(WireNetwork.CreateNetwork, (p, ctx) =>
        Effect.gen(function*() {
          const token = hex(16)
          if (p.NetworkId !== undefined && p.NetworkId !== "") {
            const network = yield* mine(ctx.owner, p.NetworkId)
            yield* vault.updateNetwork(network.id, { token })
            return { data: { NetworkId: network.id, NetworkToken: token } }
          }
          const id = `net-${hex(12)}`
          yield* vault.insertNetwork({
            id,
            owner: ctx.owner,
            token,
            online: false,
            createdAt: yield* Clock.currentTimeMillis
          })
          return { data: { NetworkId: id, NetworkToken: token } }
        })),
      // Online is read from the live sessions (the stored `online` flag is not used).
      onWire(WireNetwork.DescribeNetwork, (p, ctx) =>
        Effect.gen(function*() {
          const network = yield* mine(ctx.owner, p.NetworkId)
          return { data: { Online: (yield* sessions.usage(ctx.owner)).networks.has(network.id) } }
        }))
    ]
  }
)
