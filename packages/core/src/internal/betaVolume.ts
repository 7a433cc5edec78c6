// The operations of BetaVolume over `client.call` and the WireVolume
// declarations. Internal: BetaVolume.ts is the public surface.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

import type { AgentBayClient } from "../AgentBayClient.js"
import { NotFound } from "../AgentBayError.js"
import type * as BetaVolume from "../BetaVolume.js"
import * as WireVolume from "../WireVolume.js"
import { invalid, isoDate, nonBlank, pageSize, text } from "./agentBayContext.js"
import { paginate } from "./paginate.js"

const module = "BetaVolume"
const op = (name: string) => `${module}.${name}`

const toVolume = (d: typeof WireVolume.VolumeData.Type): BetaVolume.Volume => ({
  id: d.VolumeId,
  name: d.VolumeName,
  status: d.Status,
  imageId: text(d.BelongingImageId),
  createdAt: isoDate(d.CreateTime)
})

const span = (operation: string, volumeId?: unknown) =>
  Effect.withSpan(op(operation), volumeId === undefined ? {} : { attributes: { "agentbay.volume_id": volumeId } })

const annotate = (v: BetaVolume.Volume) => Effect.annotateCurrentSpan("agentbay.volume_id", v.id)

// The list filters, checked, as ListVolumes params.
const filters = (operation: string, options: BetaVolume.ListOptions | undefined) =>
  Effect.gen(function*() {
    const ImageId = yield* nonBlank(op(operation), "imageId", options?.imageId)
    const MaxResults = yield* pageSize(op(operation), "maxResults", options?.maxResults, 10)
    const ids = options?.volumeIds
    if (ids !== undefined && !ids.every((id) => typeof id === "string" && id.trim() !== "")) {
      return yield* invalid(op(operation), "volumeIds", "must be non-blank strings")
    }
    return {
      ImageId,
      MaxResults,
      VolumeName: options?.volumeName || undefined,
      VolumeIds: ids === undefined || ids.length === 0 ? undefined : ids
    }
  })

export const make = (client: AgentBayClient.Service): BetaVolume.BetaVolume.Service => {
  type Filters = Effect.Effect.Success<ReturnType<typeof filters>>

  const page = (params: Filters, nextToken: string | undefined) =>
    Effect.map(
      client.call(WireVolume.ListVolumes, { ...params, NextToken: nextToken || undefined }),
      ({ data, envelope }): BetaVolume.VolumePage => ({
        volumes: data.map(toVolume),
        nextToken: envelope.NextToken || undefined,
        maxResults: envelope.MaxResults,
        requestId: envelope.RequestId
      })
    )

  const byName = (operation: string, name: unknown, imageId: unknown, create: boolean) =>
    Effect.gen(function*() {
      const VolumeName = yield* nonBlank(op(operation), "name", name)
      const ImageId = yield* nonBlank(op(operation), "imageId", imageId)
      const { data } = yield* client.call(WireVolume.GetVolume, { VolumeName, ImageId, AllowCreate: create })
      return toVolume(data)
    }).pipe(Effect.tap(annotate))

  // The official client's get by id: ListVolumes filtered by that one id.
  const byId = (volumeId: unknown, imageId: unknown) =>
    Effect.gen(function*() {
      const id = yield* nonBlank(op("get"), "volumeId", volumeId)
      const params = yield* filters("get", { imageId: imageId as string, volumeIds: [id] })
      const { requestId, volumes } = yield* page(params, undefined)
      const found = volumes.find((v) => v.id === id)
      if (found === undefined) return yield* new NotFound({ resource: "Volume", id, requestId })
      return found
    }).pipe(Effect.tap(annotate))

  return {
    create: (name, imageId) => byName("create", name, imageId, true).pipe(span("create")),
    get: (options) =>
      (typeof options === "object" && options !== null && "volumeId" in options
        ? byId(options.volumeId, options.imageId)
        : byName("get", options?.name, options?.imageId, options?.create ?? false)).pipe(span("get")),
    list: (options) =>
      Stream.unwrap(
        Effect.map(filters("list", options), (params) =>
          paginate((token) =>
            Effect.map(page(params, token), (p) => ({ items: p.volumes, nextToken: p.nextToken }))
          ))
      ).pipe(Stream.withSpan(op("list"))),
    listPage: (options) =>
      Effect.flatMap(filters("listPage", options), (params) => page(params, options?.nextToken)).pipe(span("listPage")),
    delete: (volume) => {
      const ref: unknown = typeof volume === "string" ? volume : volume?.id
      return Effect.flatMap(
        nonBlank(op("delete"), "id", ref),
        (VolumeId) => Effect.asVoid(client.call(WireVolume.DeleteVolume, { VolumeId }))
      ).pipe(span("delete", ref))
    }
  }
}
