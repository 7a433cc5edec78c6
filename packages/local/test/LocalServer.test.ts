// End to end: our SDK (AgentBay.layer + the Node HTTP client) against the local
// server over real HTTP on 127.0.0.1, sessions backed by a Sandbox double.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { sandboxDouble } from "./utils.js"

const keyA = Redacted.make("akl-e2e-key-a")
const keyB = Redacted.make("akl-e2e-key-b")
const sandbox = sandboxDouble()

// One server for the block: two keys accepted, the SDK speaks with the first.
const Live = AgentBayLocal.layerSdk(
  AgentBayLocal.layerServerWith({ apiKeys: [keyA, keyB], transitionDelay: "100 millis" }, () => sandbox.layer)
)

// Another client of the same server, with another key.
type Sdk = AgentBay.AgentBay | AgentBayClient.AgentBayClient
const withKey = (apiKey: Redacted.Redacted) => <A, E>(use: Effect.Effect<A, E, Sdk>) =>
  Effect.flatMap(AgentBayLocal.Info, (info) =>
    use.pipe(
      Effect.provide(AgentBay.layer({ apiKey, endpoint: info.endpoint })),
      Effect.provide(NodeHttpClient.layerUndici)
    ))

const fast = { interval: "20 millis", timeout: "10 seconds" } as const

layer(Live, { excludeTestServices: true, timeout: "30 seconds" })("SDK against the local server", (it) => {
  it.effect("create with labels and image; get, status, info, link, labels round trip", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create({ labels: { team: "qa", tier: "one" }, imageId: "code_latest", policyId: "p-1" })
      assert.strictEqual(s.status, "RUNNING")
      assert.isTrue(s.token !== undefined && Redacted.value(s.token).length > 0)
      assert.deepStrictEqual(sandbox.of(s.id), [`start:${s.id}`])

      const got = yield* bay.get(s.id)
      assert.strictEqual(got.id, s.id)
      assert.strictEqual(got.status, "RUNNING")
      const detail = yield* s.getStatus()
      assert.strictEqual(detail.status, "RUNNING")
      assert.strictEqual(detail.imageId, "code_latest")

      const info = yield* s.info()
      assert.strictEqual(info.sessionId, s.id)
      assert.isTrue(info.resourceUrl?.endsWith(`/resource/${s.id}`))
      const link = yield* s.getLink({ protocolType: "https", port: 30150 })
      assert.isTrue(link.endsWith(`/link/${s.id}/port/30150`))

      assert.deepStrictEqual(AgentBay.withoutStamps(yield* s.getLabels()), { team: "qa", tier: "one" })
      yield* s.setLabels({ team: "dev", "cost center": "R&D + QA", note: "50% = half" })
      assert.deepStrictEqual(AgentBay.withoutStamps(yield* s.getLabels()), {
        team: "dev",
        "cost center": "R&D + QA",
        note: "50% = half"
      })
    }))

  it.effect("list pages across several requests, with label and status filters", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const run = `run-${Date.now()}`
      const made = yield* Effect.forEach([1, 2, 3, 4, 5], (n) => bay.create({ labels: { run, n: String(n) } }))
      const ids = made.map((s) => s.id)
      yield* bay.betaPauseAsync(ids[4], fast)

      const all = yield* Stream.runCollect(bay.list({ labels: { run }, pageSize: 2 }))
      assert.deepStrictEqual(Chunk.toArray(all).map((s) => s.id), ids)
      const page2 = yield* bay.listPage({ labels: { run }, page: 2, limit: 2 })
      assert.deepStrictEqual(page2.sessions.map((s) => s.id), ids.slice(2, 4))
      assert.strictEqual(page2.totalCount, 5)
      assert.strictEqual(page2.maxResults, 2)
      assert.isDefined(page2.nextToken)
      const page3 = yield* bay.listPage({ labels: { run }, page: 3, limit: 2 })
      assert.deepStrictEqual(page3.sessions.map((s) => s.id), [ids[4]])
      assert.isUndefined(page3.nextToken)
      const past = yield* Effect.flip(bay.listPage({ labels: { run }, page: 4, limit: 2 }))
      assert.strictEqual(past._tag, "ValidationError")

      const one = yield* Stream.runCollect(bay.list({ labels: { run, n: "2" } }))
      assert.deepStrictEqual(Chunk.toArray(one).map((s) => s.id), [ids[1]])
      const paused = yield* Stream.runCollect(bay.list({ labels: { run }, status: "PAUSED" }))
      assert.deepStrictEqual(Chunk.toArray(paused).map((s) => [s.id, s.status]), [[ids[4], "PAUSED"]])
      const running = yield* Stream.runCollect(bay.list({ labels: { run }, status: "RUNNING", pageSize: 3 }))
      assert.deepStrictEqual(Chunk.toArray(running).map((s) => s.id), ids.slice(0, 4))
    }))

  it.effect("pause, resume and delete go through their intermediate states", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const client = yield* AgentBayClient.AgentBayClient
      // the intermediate status is visible as soon as the async call returns
      const r = yield* bay.create()
      yield* client.pauseSessionAsync(r.id)
      assert.strictEqual((yield* client.getSession(r.id)).status, "PAUSING")

      const s = yield* bay.create()
      assert.strictEqual((yield* bay.betaPauseAsync(s.id, fast)).status, "PAUSED")
      assert.strictEqual((yield* bay.betaResumeAsync(s.id, fast)).status, "RUNNING")
      assert.deepStrictEqual(sandbox.of(s.id), [`start:${s.id}`, `pause:${s.id}`, `resume:${s.id}`])

      yield* bay.delete(s.id, fast)
      assert.strictEqual((yield* bay.get(s.id)).status, "DELETED")
      assert.strictEqual((yield* s.getStatus()).status, "FINISH")
      assert.deepStrictEqual(sandbox.of(s.id).at(-1), `destroy:${s.id}`)
      const gone = yield* Stream.runCollect(bay.list({ status: "DELETED" }))
      assert.isTrue(Chunk.toArray(gone).some((x) => x.id === s.id))
      const live = yield* Stream.runCollect(bay.list({ pageSize: 100 }))
      assert.isFalse(Chunk.toArray(live).some((x) => x.id === s.id))
      // deleting again is accepted (already gone)
      yield* bay.delete(s.id, fast)
    }))

  it.effect("session() deletes its session when the scope closes; delete with context sync works", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const id = yield* Effect.scoped(
        Effect.map(bay.session({ labels: { scoped: "yes" }, release: { ...fast, syncContext: true } }), (s) => s.id)
      )
      assert.strictEqual((yield* bay.get(id)).status, "DELETED")
      assert.deepStrictEqual(sandbox.of(id), [`start:${id}`, `destroy:${id}`])
      const context = yield* bay.context.create("server-test-data")
      const synced = yield* bay.create({ contextSync: [{ contextId: context.id, path: "/home/wuying/data" }] })
      yield* bay.delete(synced, { ...fast, syncContext: true })
      assert.strictEqual((yield* bay.get(synced.id)).status, "DELETED")
    }))

  it.effect("error paths: bad key, unknown session, invalid state, no-op resume", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const client = yield* AgentBayClient.AgentBayClient
      const bad = yield* withKey(Redacted.make("akl-not-a-key"))(
        Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.create()))
      )
      assert.strictEqual(bad._tag, "AuthError")
      assert.isFalse(String(bad).includes("akl-not-a-key"), "the error does not carry the key")

      const missing = yield* Effect.flip(bay.get("local-doesnotexist"))
      assert.strictEqual(missing._tag, "NotFound")
      const missingStatus = yield* Effect.flip(client.getSessionDetail("local-doesnotexist"))
      assert.strictEqual(missingStatus._tag, "NotFound")

      const s = yield* bay.create()
      yield* client.resumeSessionAsync(s.id) // RUNNING: accepted as a no-op
      assert.strictEqual((yield* client.getSession(s.id)).status, "RUNNING")
      yield* client.deleteSessionAsync(s.id)
      const pauseDeleting = yield* Effect.flip(client.pauseSessionAsync(s.id))
      assert.strictEqual(pauseDeleting._tag, "InvalidState")
      yield* bay.delete(s.id, fast)
      const pauseDeleted = yield* Effect.flip(client.pauseSessionAsync(s.id))
      assert.strictEqual(pauseDeleted._tag, "InvalidState")
      const labelsDeleted = yield* Effect.flip(client.setLabel(s.id, { a: "b" }))
      assert.strictEqual(labelsDeleted._tag, "ApiError")
    }))

  it.effect("two keys do not see or touch each other's sessions", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const mine = yield* bay.create({ labels: { owner: "a" } })
      const theirs = yield* withKey(keyB)(Effect.gen(function*() {
        const other = yield* AgentBay.AgentBay
        const client = yield* AgentBayClient.AgentBayClient
        assert.strictEqual((yield* Effect.flip(other.get(mine.id)))._tag, "NotFound")
        assert.strictEqual((yield* Effect.flip(client.pauseSessionAsync(mine.id)))._tag, "NotFound")
        assert.strictEqual((yield* Effect.flip(client.setLabel(mine.id, { x: "y" })))._tag, "NotFound")
        const listed = yield* Stream.runCollect(other.list({ pageSize: 100 }))
        assert.isFalse(Chunk.toArray(listed).some((s) => s.id === mine.id))
        return yield* other.create({ labels: { owner: "b" } })
      }))
      assert.strictEqual((yield* Effect.flip(bay.get(theirs.id)))._tag, "NotFound")
      assert.deepStrictEqual(AgentBay.withoutStamps(yield* mine.getLabels()), { owner: "a" })
      assert.strictEqual((yield* bay.get(mine.id)).status, "RUNNING")
    }))
})

describe("AgentBayLocal.layer", () => {
  it.live("runs real sandboxes on a temporary data dir and removes it all on close", () =>
    Effect.gen(function*() {
      const seen = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(AgentBayLocal.layer({ isolation: "process" }))
        const info = yield* Effect.provide(AgentBayLocal.Info, ctx)
        assert.isTrue(info.temporary)
        assert.strictEqual(info.keySource, "generated")
        assert.isTrue(Option.isSome(info.apiKey))
        assert.isTrue(info.endpoint.startsWith("http://127.0.0.1:"))
        const s = yield* Effect.flatMap(AgentBay.AgentBay, (b) => b.create()).pipe(Effect.provide(ctx))
        assert.isTrue(fs.existsSync(`${info.dataDir}/sandboxes/${s.id}`))
        assert.isTrue(fs.existsSync(`${info.dataDir}/agentbay.db`))
        return info
      }))
      assert.isFalse(fs.existsSync(seen.dataDir))
      const refused = yield* Effect.flip(
        Effect.flatMap(AgentBay.AgentBay, (b) => b.get("x")).pipe(
          Effect.provide(
            AgentBay.layer({ apiKey: Option.getOrThrow(seen.apiKey), endpoint: seen.endpoint, timeout: "2 seconds" })
          ),
          Effect.provide(NodeHttpClient.layerUndici)
        )
      )
      assert.strictEqual(refused._tag, "TransportError")
    }))
})
