// With a region configured, the actions that carry `LoginRegionId` send it as
// the official client does: CreateMcpSession always, GetContext only when
// creating, CreateNetwork always; without one, none of them does.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Fixtures from "./fixtures.js"

const answers: Readonly<Record<string, unknown>> = {
  GetContext: { Id: "ctx-1", Name: "data", State: "available" },
  CreateNetwork: { NetworkId: "net-1", NetworkToken: "token-1" }
}

const run = (regionId: string | undefined) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted((action) =>
      Fixtures.json(200, { RequestId: "r", Success: true, Code: "ok", Data: answers[action] })
    )
    const layer = AgentBay.layer({
      apiKey: Redacted.make(Fixtures.apiKey),
      endpoint: `http://${Fixtures.host}`,
      stamp: false,
      ...(regionId === undefined ? {} : { regionId })
    }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client)))
    yield* Effect.provide(
      Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        yield* bay.context.get("data")
        yield* bay.context.get("data", { create: true })
        yield* bay.betaNetwork.create()
      }),
      layer
    )
    return (yield* fake.requests).map((r) => Fixtures.fieldsOf(r).get("LoginRegionId"))
  })

it.effect("LoginRegionId travels where the official client sends it", () =>
  Effect.gen(function*() {
    assert.deepStrictEqual(yield* run("cn-shanghai"), [undefined, "cn-shanghai", "cn-shanghai"])
    assert.deepStrictEqual(yield* run(undefined), [undefined, undefined, undefined])
  }))
