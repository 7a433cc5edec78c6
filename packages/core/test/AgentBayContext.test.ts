// AgentBayContext, BetaVolume and BetaNetwork beyond the fixtures: the clear
// wait on the TestClock, the streams over several pages, the checks made before
// sending, error mapping, dates, spans without secrets, and the services the
// layers provide.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayContext from "@effect-agentbay/core/AgentBayContext"
import * as BetaNetwork from "@effect-agentbay/core/BetaNetwork"
import * as BetaVolume from "@effect-agentbay/core/BetaVolume"
import * as Wire from "@effect-agentbay/core/Wire"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"
import { layerReplaying } from "./golden.js"
import { recordingTracer } from "./tracing.js"

const C1 = "ctx-1"
const ok = (data?: unknown, extra: Record<string, unknown> = {}) =>
  Fixtures.json(200, {
    RequestId: "r-ok",
    Success: true,
    Code: "ok",
    ...(data === undefined ? {} : { Data: data }),
    ...extra
  })
const failWith = (code: string) =>
  Fixtures.json(400, { RequestId: "r-err", Success: false, Code: code, Message: "refused", HttpStatusCode: 400 })
const contextData = (state?: string, extra: Record<string, string> = {}) => ({
  Id: C1,
  Name: "data",
  ...(state === undefined ? {} : { State: state }),
  ...extra
})

// A server answering each action by how many times it was asked (from 1).
const serve = (handlers: Readonly<Record<string, (n: number) => Response>>, waits?: Partial<AgentBay.Waits>) =>
  Effect.gen(function*() {
    const counts = new Map<string, number>()
    const fake = yield* Fixtures.scripted((action) => {
      const n = (counts.get(action) ?? 0) + 1
      counts.set(action, n)
      const handler = handlers[action]
      return handler === undefined ? failWith(Wire.Code.ActionNotFound) : handler(n)
    })
    const base = layerReplaying(fake.client)
    const layer = waits === undefined ? base : base.pipe(Layer.provide(AgentBay.layerWaits(waits)))
    const sent = (action?: string) =>
      Effect.map(
        fake.requests,
        (rs) =>
          rs.filter((r) => action === undefined || r.url.searchParams.get("Action") === action).map(Fixtures.fieldsOf)
      )
    return { layer, sent }
  })

const run = <A, E>(layer: Layer.Layer<AgentBay.Services, unknown>, use: Effect.Effect<A, E, AgentBay.Services>) =>
  Effect.provide(use, layer)

describe("clear waits until the context is available again", () => {
  it.effect("through clearing (and a missing State) to available, polling at once and every 2 s", () =>
    Effect.gen(function*() {
      const states = ["clearing", undefined, "clearing", "available"]
      const { layer, sent } = yield* serve({
        ClearContext: () => ok(),
        GetContext: (n) => ok(contextData(states[n - 1]))
      })
      const fiber = yield* Effect.fork(run(layer, Effect.flatMap(AgentBayContext.AgentBayContext, (c) => c.clear(C1))))
      yield* TestClock.adjust("5 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "still clearing at 5 s")
      yield* TestClock.adjust("1 second")
      const c = yield* Fiber.join(fiber)
      assert.strictEqual(c.state, "available")
      const polls = yield* sent("GetContext")
      assert.strictEqual(polls.length, 4)
      for (const p of polls) {
        assert.deepStrictEqual([p.get("ContextId"), p.get("AllowCreate"), p.get("Name")], [C1, "false", undefined])
      }
      assert.strictEqual((yield* sent("ClearContext"))[0]!.get("Id"), C1)
    }))

  it.effect("past the timeout (default 60 s) it is WaitTimeout of the Context with the last state", () =>
    Effect.gen(function*() {
      const { layer } = yield* serve({ ClearContext: () => ok(), GetContext: () => ok(contextData("clearing")) })
      const fiber = yield* Effect.fork(
        run(layer, Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.context.clear(C1))))
      )
      yield* TestClock.adjust("61 seconds")
      const e = yield* Fiber.join(fiber)
      assert.deepInclude(e, {
        _tag: "WaitTimeout",
        resource: "Context",
        id: C1,
        target: "available",
        timeout: "1m",
        lastStatus: "clearing"
      })
    }))

  it.effect("the layer's contextClear wait applies, and a call's own options win", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* serve(
        { ClearContext: () => ok(), GetContext: () => ok(contextData()) },
        { contextClear: { interval: "100 millis", timeout: "1 second" } }
      )
      const fiber = yield* Effect.fork(
        run(layer, Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.context.clear(C1))))
      )
      yield* TestClock.adjust("1 second")
      const e = yield* Fiber.join(fiber)
      assert.deepInclude(e, { _tag: "WaitTimeout", timeout: "1s", lastStatus: "clearing" })
      assert.strictEqual((yield* sent("GetContext")).length, 11) // at 0, 100, ..., 1000 ms
      const own = yield* Effect.fork(
        run(layer, Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.context.clear(C1, { timeout: "3 seconds" }))))
      )
      yield* TestClock.adjust("3 seconds")
      assert.deepInclude(yield* Fiber.join(own), { _tag: "WaitTimeout", timeout: "3s" })
    }))

  it.effect("a context in use is InvalidState; a context that vanishes while polled is NotFound", () =>
    Effect.gen(function*() {
      const inUse = yield* serve({ ClearContext: () => failWith(Wire.Code.ContextInUse) })
      const e1 = yield* run(inUse.layer, Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.context.clear(C1))))
      assert.deepInclude(e1, { _tag: "InvalidState", resource: "Context", id: C1, operation: "clear" })
      assert.strictEqual((yield* inUse.sent("GetContext")).length, 0)
      const gone = yield* serve({ ClearContext: () => ok(), GetContext: () => failWith(Wire.Code.ContextNotFound) })
      const e2 = yield* run(gone.layer, Effect.flip(Effect.flatMap(AgentBay.AgentBay, (b) => b.context.clear(C1))))
      assert.deepInclude(e2, { _tag: "NotFound", resource: "Context", id: C1 })
    }))
})

describe("streams over three pages yield every item once", () => {
  const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

  it.effect("contexts: NextToken from each page to the next", () =>
    Effect.gen(function*() {
      const pages = [names("a", 2), names("b", 2), names("c", 1)]
      const tokens = ["t1", "t2", ""]
      const { layer, sent } = yield* serve({
        ListContexts: (n) =>
          ok(pages[n - 1]!.map((name) => ({ Id: `id-${name}`, Name: name })), {
            NextToken: tokens[n - 1],
            TotalCount: 5
          })
      })
      const all = yield* run(
        layer,
        Effect.flatMap(AgentBay.AgentBay, (b) => Stream.runCollect(b.context.list({ pageSize: 2 })))
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((c) => c.name), pages.flat())
      const requests = yield* sent("ListContexts")
      assert.deepStrictEqual(requests.map((r) => [r.get("MaxResults"), r.get("NextToken")]), [["2", undefined], [
        "2",
        "t1"
      ], ["2", "t2"]])
    }))

  it.effect("volumes: NextToken in the query, filters on every page", () =>
    Effect.gen(function*() {
      const pages = [names("a", 2), names("b", 2), names("c", 1)]
      const tokens = ["t1", "t2", undefined]
      const { layer, sent } = yield* serve({
        ListVolumes: (n) =>
          ok(pages[n - 1]!.map((name) => ({ VolumeId: `id-${name}`, VolumeName: name, Status: "Available" })), {
            ...(tokens[n - 1] === undefined ? {} : { NextToken: tokens[n - 1] })
          })
      })
      const all = yield* run(
        layer,
        Effect.flatMap(BetaVolume.BetaVolume, (v) =>
          Stream.runCollect(v.list({ imageId: "img", volumeName: "x", maxResults: 2 })))
      )
      assert.deepStrictEqual(
        Chunk.toReadonlyArray(all).map((v) =>
          v.name
        ),
        pages.flat()
      )
      const requests = yield* sent("ListVolumes")
      assert.deepStrictEqual(
        requests.map((r) => [r.get("ImageId"), r.get("VolumeName"), r.get("MaxResults"), r.get("NextToken")]),
        [["img", "x", "2", undefined], ["img", "x", "2", "t1"], ["img", "x", "2", "t2"]]
      )
    }))

  it.effect("context files: page numbers until a short page; an exact multiple ends with an empty page", () =>
    Effect.gen(function*() {
      const entry = (name: string) => ({ FileName: name, FilePath: `/d/${name}`, FileType: "file", Size: 1 })
      for (const sizes of [[2, 2, 1], [2, 2, 0]]) {
        const pages = sizes.map((n, p) => names(`p${p}-`, n))
        const { layer, sent } = yield* serve({
          DescribeContextFiles: (n) => ok(pages[n - 1]!.map(entry), { Count: 5 })
        })
        const all = yield* run(
          layer,
          Effect.flatMap(AgentBay.AgentBay, (b) => Stream.runCollect(b.context.files(C1, "/d", { pageSize: 2 })))
        )
        assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((f) => f.path), pages.flat().map((n) => `/d/${n}`))
        const requests = yield* sent("DescribeContextFiles")
        assert.deepStrictEqual(requests.map((r) => [r.get("PageNumber"), r.get("PageSize")]), [["1", "2"], ["2", "2"], [
          "3",
          "2"
        ]])
      }
    }))
})

describe("checks before sending", () => {
  it.effect("blank names and ids, bad page sizes and pages, a lone contextId are ValidationErrors; nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, sent } = yield* serve({})
      const cases = yield* run(
        layer,
        Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          const flip = <A, E>(e: Effect.Effect<A, E>) =>
            Effect.map(Effect.flip(e), (x) => x as { _tag: string; field?: string })
          return [
            ["name", yield* flip(bay.context.get(" "))],
            ["id", yield* flip(bay.context.getById(""))],
            ["name", yield* flip(bay.context.update({ id: C1, name: "" }))],
            ["maxResults", yield* flip(bay.context.listPage({ maxResults: 0 }))],
            ["pageSize", yield* flip(Stream.runDrain(bay.context.list({ pageSize: 101 })))],
            ["page", yield* flip(bay.context.listFiles(C1, "/d", { page: 0 }))],
            ["folder", yield* flip(bay.context.listFiles(C1, ""))],
            ["path", yield* flip(bay.context.getFileUploadUrl(C1, " "))],
            ["contextId", yield* flip(bay.context.sync("sess-1", { contextId: C1 }))],
            ["imageId", yield* flip(bay.betaVolume.get({ name: "v", imageId: "" }))],
            ["volumeIds", yield* flip(bay.betaVolume.listPage({ imageId: "img", volumeIds: [""] }))],
            ["networkId", yield* flip(bay.betaNetwork.describe(""))]
          ] as const
        })
      )
      for (const [field, e] of cases) assert.deepInclude(e, { _tag: "ValidationError", field }, field)
      assert.strictEqual((yield* sent()).length, 0)
    }))
})

describe("records", () => {
  it.effect("times in another format than ISO-8601 with a zone are left out; empty texts are absent", () =>
    Effect.gen(function*() {
      const { layer } = yield* serve({
        GetContext: () =>
          ok(contextData("available", { CreateTime: "2026-01-05 08:00:00", LastUsedTime: "yesterday", OsType: "" }))
      })
      const c = yield* run(layer, Effect.flatMap(AgentBay.AgentBay, (b) => b.context.getById(C1)))
      assert.deepStrictEqual(c, {
        id: C1,
        name: "data",
        state: "available",
        createdAt: undefined,
        lastUsedAt: undefined,
        osType: undefined
      })
    }))
})

describe("layers and spans", () => {
  it.effect("the tags hold the very services of bay.context, bay.betaVolume and bay.betaNetwork (= Network)", () =>
    Effect.gen(function*() {
      const { layer } = yield* serve({})
      yield* run(
        layer,
        Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          assert.strictEqual(yield* AgentBayContext.AgentBayContext, bay.context)
          assert.strictEqual(yield* BetaVolume.BetaVolume, bay.betaVolume)
          assert.strictEqual(yield* BetaNetwork.Network, bay.betaNetwork)
          assert.strictEqual(bay.network, bay.betaNetwork)
        })
      )
    }))

  it.effect("spans name the context and network, never the URL or the bind token", () =>
    Effect.gen(function*() {
      const url = "http://127.0.0.1:1/context-files/secret-token-0123"
      const token = "bind-token-4567"
      const { layer } = yield* serve({
        GetContextFileUploadUrl: () => ok({ Url: url, ExpireTime: 1 }),
        CreateNetwork: () => ok({ NetworkId: "net-1", NetworkToken: token })
      })
      const { spans, tracer } = recordingTracer()
      const [u, b] = yield* run(
        layer,
        Effect.flatMap(AgentBay.AgentBay, (bay) =>
          Effect.all([bay.context.getFileUploadUrl(C1, "/d/a.txt"), bay.betaNetwork.getNetworkBindToken()]))
      ).pipe(Effect.withTracer(tracer))
      assert.strictEqual(Redacted.value(u.url), url)
      assert.strictEqual(Redacted.value(b.networkToken), token)
      const op = spans.find((s) =>
        s.name === "AgentBayContext.getFileUploadUrl"
      )
      assert.strictEqual(op?.attributes.get("agentbay.context_id"), C1)
      const bind = spans.find((s) => s.name === "BetaNetwork.getNetworkBindToken")
      assert.strictEqual(bind?.attributes.get("agentbay.network_id"), "net-1")
      for (const s of spans) {
        assert.notInclude(s.dump(), "secret-token-0123", s.name)
        assert.notInclude(s.dump(), token, s.name)
      }
    }))
})
