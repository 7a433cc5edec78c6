// Golden wire tests for beta volumes and networks, and for create with a
// context sync, a network or a volume: our requests must be the official
// client's (up to field order and volatile values) and the example answers
// decode to the records the fixtures' `result` describes.
import type * as AgentBay from "@effect-agentbay/core/AgentBay"
import type * as BetaVolume from "@effect-agentbay/core/BetaVolume"
import * as SyncPolicy from "@effect-agentbay/core/SyncPolicy"
import * as Wire from "@effect-agentbay/core/Wire"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

import * as Fixtures from "./fixtures.js"
import { date, golden, left, replayFixture, requestId, result, right, withBay } from "./golden.js"

const image = "linux_latest"
const V1 = "vol-1"
const V2 = "vol-2"
const N1 = "net-1"

const volumes = <A, E>(f: (v: BetaVolume.BetaVolume.Service) => Effect.Effect<A, E>) =>
  withBay((bay) => f(bay.betaVolume))

const expectVolume = (actual: BetaVolume.Volume, expected: Record<string, string>) => {
  assert.strictEqual(actual.id, expected.id)
  assert.strictEqual(actual.name, expected.name)
  assert.strictEqual(actual.status, expected.status)
  assert.strictEqual(actual.imageId, image)
  assert.deepStrictEqual(actual.createdAt, date("2026-01-05T08:00:00Z"))
}

describe("golden: volumes", () => {
  const one = (name: string, call: Effect.Effect<BetaVolume.Volume, unknown, any>) =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(name, call)
      expectVolume(right(outcome), result(fixture).volume)
    })

  it.effect("volume-create: GetVolume with AllowCreate=true", () =>
    one("volume-create", volumes((v) => v.create("fixture-volume", image))))

  it.effect("volume-get-by-name: GetVolume with AllowCreate=false", () =>
    one("volume-get-by-name", volumes((v) => v.get({ name: "fixture-volume", imageId: image }))))

  it.effect("volume-get-by-id: ListVolumes with VolumeIds.1 and MaxResults=10", () =>
    one("volume-get-by-id", volumes((v) => v.get({ volumeId: V1, imageId: image }))))

  it.effect("get by id with no match is NotFound of the Volume", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("volume-get-by-id")
      const empty = {
        ...fixture.exchanges[0]!.response,
        body: { ...(fixture.exchanges[0]!.response.body as object), Data: [] }
      }
      const { requests, result: outcome } = yield* golden(
        [empty],
        volumes((v) => v.get({ volumeId: V1, imageId: image }))
      )
      Fixtures.assertRequests(requests, fixture.exchanges)
      const e = left(outcome)
      assert.deepInclude(e, { _tag: "NotFound", resource: "Volume", id: V1, requestId: requestId(fixture, 0) })
    }))

  const page = (name: string, options: BetaVolume.ListPageOptions) =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(name, volumes((v) => v.listPage(options)))
      const p = right(outcome)
      const expected = result(fixture)
      assert.strictEqual(p.volumes.length, expected.volumes.length)
      p.volumes.forEach((v, i) => expectVolume(v, expected.volumes[i]))
      assert.strictEqual(p.nextToken, expected.nextToken || undefined)
      assert.strictEqual(p.maxResults, expected.maxResults)
      assert.strictEqual(p.requestId, requestId(fixture, 0))
    })

  it.effect("volume-list: filtered by VolumeName", () =>
    page("volume-list", { imageId: image, volumeName: "fixture-volume" }))
  it.effect("volume-list-by-ids: VolumeIds.1, VolumeIds.2", () =>
    page("volume-list-by-ids", { imageId: image, volumeIds: [V1, V2] }))
  it.effect("volume-list-max-results: MaxResults=1", () =>
    page("volume-list-max-results", { imageId: image, maxResults: 1 }))
  it.effect("volume-list-next-page: NextToken in the query", () =>
    page("volume-list-next-page", { imageId: image, maxResults: 1, nextToken: "b2ZmOjE" }))

  it.effect("the list stream sends volume-list-max-results then volume-list-next-page and yields both", () =>
    Effect.gen(function*() {
      const exchanges = [
        ...Fixtures.load("volume-list-max-results").exchanges,
        ...Fixtures.load("volume-list-next-page").exchanges
      ]
      const { requests, result: outcome } = yield* golden(
        exchanges.map((e) => e.response),
        volumes((v) => Stream.runCollect(v.list({ imageId: image, maxResults: 1 })))
      )
      Fixtures.assertRequests(requests, exchanges)
      assert.deepStrictEqual(Chunk.toReadonlyArray(right(outcome)).map((v) => v.name), [
        "fixture-volume",
        "fixture-volume-2"
      ])
    }))

  it.effect("volume-delete: DeleteVolume with VolumeId", () =>
    Effect.gen(function*() {
      const { result: outcome } = yield* replayFixture("volume-delete", volumes((v) => v.delete(V1)))
      assert.isUndefined(right(outcome))
    }))
})

describe("golden: networks", () => {
  const bind = (name: string, networkId?: string) =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(
        name,
        withBay((bay) => bay.betaNetwork.getNetworkBindToken(networkId))
      )
      const b = right(outcome)
      assert.strictEqual(b.networkId, result(fixture).networkId)
      assert.strictEqual(Redacted.value(b.networkToken), result(fixture).networkToken)
      assert.notInclude(String(b.networkToken), result(fixture).networkToken, "the token is redacted when printed")
      assert.notInclude(JSON.stringify(b), result(fixture).networkToken)
      assert.strictEqual(b.requestId, requestId(fixture, 0))
    })

  it.effect("network-bind-token: CreateNetwork without NetworkId", () => bind("network-bind-token"))
  it.effect("network-bind-token-existing: CreateNetwork with NetworkId", () => bind("network-bind-token-existing", N1))

  it.effect("bay.network is bay.betaNetwork, and create is getNetworkBindToken", () =>
    Effect.gen(function*() {
      const { result: outcome } = yield* replayFixture(
        "network-bind-token",
        withBay((bay) => {
          assert.strictEqual(bay.network, bay.betaNetwork)
          return bay.network.create()
        })
      )
      assert.strictEqual(right(outcome).networkId, N1)
    }))

  it.effect("network-describe: DescribeNetwork, Online decoded", () =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(
        "network-describe",
        withBay((bay) => bay.betaNetwork.describe(N1))
      )
      assert.deepStrictEqual(right(outcome), { online: result(fixture).online, requestId: requestId(fixture, 0) })
    }))

  it.effect("error-network-describe-unknown: InvalidNetwork.NotFound is NotFound of the Network", () =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(
        "error-network-describe-unknown",
        withBay((bay) => bay.betaNetwork.describe("net-unknown"))
      )
      const e = left(outcome)
      assert.deepInclude(e, {
        _tag: "NotFound",
        resource: "Network",
        id: "net-unknown",
        requestId: requestId(fixture, 0)
      })
    }))
})

describe("golden: create with a context sync, a network, a volume", () => {
  const create = (name: string, options: Parameters<typeof run>[0], extra?: Record<string, string>) => {
    const fixture = Fixtures.load(name)
    return Effect.map(
      golden(fixture.exchanges.map((e) => e.response), run(options)),
      ({ requests, result: outcome }) => {
        // Every exchange: with contextSync, create then waits for the sync (GetContextInfo).
        Fixtures.assertRequests(requests, fixture.exchanges, { ownValue: ["SdkStats"], ...(extra ? { extra } : {}) })
        return { fixture, requests, session: right(outcome) }
      }
    )
  }
  const run = (options: Parameters<AgentBay.AgentBay.Service["create"]>[0]) => withBay((bay) => bay.create(options))

  it.effect("create-with-context-sync: the typed default policy is the official text, byte for byte", () =>
    Effect.gen(function*() {
      const { fixture, requests, session } = yield* create("create-with-context-sync", {
        labels: { project: "persist" },
        contextSync: [
          { contextId: Fixtures.contextId(1), path: "/home/wuying/data", policy: SyncPolicy.defaults },
          { contextId: Fixtures.contextId(2), path: "/home/wuying/cache" }
        ]
      })
      const field = (form: ReadonlyArray<readonly [string, string]> | null | undefined) =>
        new Map(form ?? []).get("PersistenceDataList")
      // assertRequests compared the values already; the text is also the same bytes.
      const sent = field(requests[0]!.form)
      assert.strictEqual(sent, field(fixture.exchanges[0]!.request.form))
      assert.strictEqual(JSON.parse(sent!)[0].Policy, SyncPolicy.encode(SyncPolicy.defaults))
      assert.strictEqual(session.id, Fixtures.sessionId(1))
    }))

  it.effect("create-with-network: NetworkId", () =>
    Effect.gen(function*() {
      const { requests } = yield* create("create-with-network", { networkId: N1 })
      assert.deepStrictEqual(JSON.parse(new Map(requests[0]!.form).get("SdkStats")!), Wire.sdkStats)
    }))

  it.effect("create-with-volume: we send VolumeId (the official TypeScript client drops it)", () =>
    Effect.gen(function*() {
      const { requests } = yield* create("create-with-volume", { volumeId: V1 }, { VolumeId: V1 })
      assert.strictEqual(new Map(requests[0]!.form).get("VolumeId"), V1)
    }))
})
