// Volumes and networks in the fake, through the real client (`client.call`
// with the Wire declarations, `AgentBay.create({ volumeId, networkId })`).
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { AgentBayClient } from "@effect-agentbay/core/AgentBayClient"
import type * as Wire from "@effect-agentbay/core/Wire"
import * as WireNetwork from "@effect-agentbay/core/WireNetwork"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"

const volumeNamed = (name: string, imageId = "linux_latest") =>
  Effect.flatMap(AgentBayClient, (c) =>
    Effect.map(c.call(WireVolume.GetVolume, { VolumeName: name, ImageId: imageId, AllowCreate: true }), (r) => r.data))

describe("AgentBayTest volumes and networks", () => {
  it.effect("GetVolume by name per image (created with AllowCreate); ListVolumes filters and pages, no TotalCount", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const missing = yield* Effect.flip(client.call(WireVolume.GetVolume, { VolumeName: "a", ImageId: "linux_latest", AllowCreate: false }))
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
      assert.deepStrictEqual((yield* list({ VolumeIds: [c.VolumeId, b.VolumeId, otherImage.VolumeId] })).data.map((v) => v.VolumeName), [
        "b",
        "c"
      ])
      assert.deepStrictEqual((yield* list({ VolumeName: "a" })).data.map((v) => v.VolumeId), [a.VolumeId])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a volume mounted into two sessions in turn keeps its data; DeleteVolume drops it", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const backend = yield* AgentBayTest.Backend
      const volume = yield* volumeNamed("cache")
      const one = yield* bay.create({ volumeId: volume.VolumeId })
      yield* one.filesystem.writeFile(`${BackendSandbox.volumeMount}/model.bin`, "weights")
      // In use: refused.
      const busy = yield* Effect.flip(client.call(WireVolume.DeleteVolume, { VolumeId: volume.VolumeId }))
      assert.deepStrictEqual(busy._tag === "InvalidState" && busy.resource, "Volume")
      yield* bay.delete(one)
      const two = yield* bay.create({ volumeId: volume.VolumeId })
      assert.strictEqual(yield* two.filesystem.readFile(`${BackendSandbox.volumeMount}/model.bin`), "weights")
      const other = yield* bay.create()
      assert.strictEqual((yield* Effect.flip(other.filesystem.readFile(`${BackendSandbox.volumeMount}/model.bin`)))._tag, "ToolError")
      yield* bay.delete(two)
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(backend.volumeFiles(volume.VolumeId), BackendSandbox.volumeMount), {
        [`${BackendSandbox.volumeMount}/model.bin`]: "weights"
      })
      yield* client.call(WireVolume.DeleteVolume, { VolumeId: volume.VolumeId })
      assert.deepStrictEqual(yield* backend.volumes, [])
      const gone = yield* Effect.flip(bay.create({ volumeId: volume.VolumeId }))
      assert.strictEqual(gone._tag, "ApiError")
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("networks: a new token per CreateNetwork; online while a live session is attached", () =>
    Effect.gen(function*() {
      const client = yield* AgentBayClient
      const bay = yield* AgentBay
      const made = (yield* client.call(WireNetwork.CreateNetwork, { NetworkId: "" })).data
      const again = (yield* client.call(WireNetwork.CreateNetwork, { NetworkId: made.NetworkId })).data
      assert.strictEqual(again.NetworkId, made.NetworkId)
      assert.notStrictEqual(again.NetworkToken, made.NetworkToken)
      const online = () =>
        Effect.map(client.call(WireNetwork.DescribeNetwork, { NetworkId: made.NetworkId }), (r) => r.data.Online)
      assert.isFalse(yield* online())
      const session = yield* bay.create({ networkId: made.NetworkId })
      assert.isTrue(yield* online())
      yield* bay.delete(session)
      assert.isFalse(yield* online())
      const unknown = yield* Effect.flip(client.call(WireNetwork.DescribeNetwork, { NetworkId: "net-nope" }))
      assert.deepStrictEqual(unknown._tag === "NotFound" && [unknown.resource, unknown.id], ["Network", "net-nope"])
      const renew = yield* Effect.flip(client.call(WireNetwork.CreateNetwork, { NetworkId: "net-nope" }))
      assert.deepStrictEqual(renew._tag === "NotFound" && [renew.resource, renew.id], ["Network", "net-nope"])
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
