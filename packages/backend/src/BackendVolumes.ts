/**
 * The beta volume actions behind the wire (`WireVolume`, spec: wire-protocol.md
 * §6.3, semantics.md §6): GetVolume (by name per owner and image, created with
 * `AllowCreate`), ListVolumes (an image's volumes, filtered by name and ids,
 * keyset pages, no `TotalCount`) and DeleteVolume (refused while a live session
 * mounts it; the sandbox removes its data). Sessions mount a volume with
 * `VolumeId` at create (`BackendSessions`).
 *
 * @since 0.1.0
 */
import { InvalidState, NotFound } from "@effect-agentbay/core/AgentBayError"
import type * as Wire from "@effect-agentbay/core/Wire"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { BackendSandbox } from "./BackendSandbox.js"
import { BackendSessions } from "./BackendSessions.js"
import { BackendVault, type VolumeRow } from "./BackendVault.js"
import { afterOf, type Entry, hex, isoTime, onWire, pageOf } from "./internal/backendRuntime.js"
import * as KeyedLock from "./KeyedLock.js"

/**
 * `Status` of every volume (the cloud's values are open).
 *
 * @since 0.1.0
 * @category constants
 */
export const available = "Available"

const data = (row: VolumeRow): typeof WireVolume.VolumeData.Encoded => ({
  VolumeId: row.id,
  VolumeName: row.name,
  Status: row.status,
  BelongingImageId: row.imageId,
  CreateTime: isoTime(row.createdAt)
})

/**
 * The volume actions, by name.
 *
 * @since 0.1.0
 * @category constructors
 */
export const handlers: Effect.Effect<ReadonlyArray<Entry>, never, BackendVault | BackendSessions | BackendSandbox> =
  Effect
    .gen(function*() {
      const vault = yield* BackendVault
      const sessions = yield* BackendSessions
      const sandbox = yield* BackendSandbox
      // Get-or-create of one name, one at a time per owner and image.
      const byName = KeyedLock.make()

      const get = (owner: string, p: Wire.ParamsOf<typeof WireVolume.GetVolume>) =>
        byName(JSON.stringify([owner, p.ImageId, p.VolumeName]))(Effect.gen(function*() {
          const found = yield* vault.findVolumeByName(owner, p.ImageId, p.VolumeName)
          if (Option.isSome(found)) return found.value
          if (!p.AllowCreate) return yield* new NotFound({ resource: "Volume", id: p.VolumeName })
          const row = {
            id: `vol-${hex(12)}`,
            owner,
            name: p.VolumeName,
            imageId: p.ImageId,
            status: available,
            createdAt: yield* Clock.currentTimeMillis
          }
          yield* vault.insertVolume(row)
          return { ...row, seq: 0 }
        }))

      return [
        onWire(WireVolume.GetVolume, (p, ctx) => Effect.map(get(ctx.owner, p), (row) => ({ data: data(row) }))),
        onWire(WireVolume.ListVolumes, (p, ctx) =>
          Effect.gen(function*() {
            const limit = p.MaxResults ?? 10
            const rows = yield* vault.listVolumes({
              owner: ctx.owner,
              imageId: p.ImageId,
              name: p.VolumeName || undefined,
              ids: p.VolumeIds,
              after: yield* afterOf("ListVolumes", p.NextToken),
              limit: limit + 1
            })
            const page = pageOf(rows, limit)
            return { data: page.rows.map(data), page: { NextToken: page.nextToken, MaxResults: limit } }
          })),
        onWire(WireVolume.DeleteVolume, (p, ctx) =>
          Effect.gen(function*() {
            const found = yield* vault.findVolume(p.VolumeId, ctx.owner)
            if (Option.isNone(found)) return yield* new NotFound({ resource: "Volume", id: p.VolumeId })
            if ((yield* sessions.usage(ctx.owner)).volumes.has(p.VolumeId)) {
              return yield* new InvalidState({
                resource: "Volume",
                id: p.VolumeId,
                operation: "delete",
                status: "in-use"
              })
            }
            if (sandbox.removeVolume !== undefined) yield* sandbox.removeVolume(p.VolumeId)
            yield* vault.deleteVolume(p.VolumeId)
            return {}
          }))
      ]
    })
