// Volumes in the fake, through the real client (`client.call` with the Wire declarations): the wire's
// paging fields. Their behaviour through the SDK (mounts, delete while mounted, networks) is the persistence
// suite's, run on the fake and the local runtime alike (packages/local/test/Persistence.test.ts).
import { AgentBayClient } from "@effect-agentbay/core/AgentBayClient"
import type * as Wire from "@effect-agentbay/core/Wire"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

const volumeNamed = (name: string, imageId = "linux_latest") =>
  Effect.flatMap(
    AgentBayClient,
    (c) =>
      Effect.map(c.call(WireVolume.GetVolume, { VolumeName: name, ImageId: imageId, AllowCreate: true }), (r) => r.data)
  )

describe("AgentBayTest volumes", () => {
  it.effect("GetVolume by name per image (created with AllowCreate); ListVolumes filters and pages, no TotalCount", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const missing = yield* Effect.flip(
        client.call(WireVolume.GetVolume, { VolumeName: "a", ImageId: "linux_latest", AllowCreate: false })
      )
      assert.deepStrictEqual(missing._tag === "NotFound" && [missing.resource, missing.id], ["Volume", "a"])
      const a = yield* volumeNamed("a")
      assert.deepStrictEqual([a.VolumeName, a.Status, a.BelongingImageId], ["a", "Available", "linux_latest"])
      assert.strictEqual((yield* volumeNamed("a")).VolumeId, a.VolumeId)
      const b = yield* volumeNamed("b")
      const c = yield* volumeNamed("c")
      const otherImage = yield* volumeNamed("a", "code_latest")
      assert.notStrictEqual(otherImage.VolumeId, a.VolumeId)
      const list = (params: Omit<Wire.ParamsOf<typeof WireVolume.ListVolumes>, "ImageId">) =>
        client.call(WireVolume.ListVolumes, { ImageId: "linux_latest", ...params })
      const first = yield* list({ MaxResults: 2 })
      assert.deepStrictEqual(first.data.map((v) => v.VolumeName), ["a", "b"])
      assert.deepStrictEqual([first.envelope.MaxResults, first.envelope.TotalCount], [2, undefined])
      const second = yield* list({ MaxResults: 2, NextToken: first.envelope.NextToken! })
      assert.deepStrictEqual([second.data.map((v) => v.VolumeId), second.envelope.NextToken], [[c.VolumeId], ""])
      assert.deepStrictEqual(
        (yield* list({ VolumeIds: [c.VolumeId, b.VolumeId, otherImage.VolumeId] })).data.map((v) => v.VolumeName),
        [
          "b",
          "c"
        ]
      )
      assert.deepStrictEqual((yield* list({ VolumeName: "a" })).data.map((v) => v.VolumeId), [a.VolumeId])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
