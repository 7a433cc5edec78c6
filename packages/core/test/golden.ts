// Golden test helpers for the context, volume and network fixtures: the real
// AgentBay layer over a replaying HttpClient (responses in order, requests
// recorded), and small readers of fixtures and outcomes. Test helper only.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Fixtures from "./fixtures.js"

/** The SDK against a fake HTTP server that answers with `responses` in order. No ownership stamps. */
export const layerReplaying = (client: HttpClient.HttpClient) =>
  AgentBay.layer({ apiKey: Redacted.make(Fixtures.apiKey), endpoint: `http://${Fixtures.host}`, stamp: false }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
  )

/** Runs `use` over the replayed `responses`; the outcome and every request we sent. */
export const golden = <A, E>(
  responses: ReadonlyArray<Fixtures.FixtureResponse>,
  use: Effect.Effect<A, E, AgentBay.Services>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.replay(responses)
    const result = yield* Effect.either(Effect.provide(use, layerReplaying(fake.client)))
    return { result, requests: yield* fake.requests }
  })

export const withBay = <A, E, R>(f: (bay: AgentBay.AgentBay.Service) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(AgentBay.AgentBay, f)

export const responses = (fixture: Fixtures.Fixture) => fixture.exchanges.map((e) => e.response)

export const body = (response: Fixtures.FixtureResponse) => response.body as Record<string, any>

export const requestId = (fixture: Fixtures.Fixture, i: number) =>
  body(fixture.exchanges[i]!.response).RequestId as string

/** The fixture's `result`, as the official client returned it. */
export const result = (fixture: Fixtures.Fixture) => fixture.result as Record<string, any>

export const right = <A, E>(either: Either.Either<A, E>): A => {
  if (Either.isLeft(either)) assert.fail(`expected success, got ${String(either.left)}`)
  return either.right
}

export const left = <A, E>(either: Either.Either<A, E>): E => {
  if (Either.isRight(either)) assert.fail("expected a failure, got a success")
  return either.left
}

/**
 * Replays the whole fixture for `use` and checks that we sent exactly its
 * requests; returns the value (or the failure, with `fails`).
 */
export const replayFixture = <A, E>(
  name: string,
  use: Effect.Effect<A, E, AgentBay.Services>,
  differences?: Fixtures.Differences
) =>
  Effect.gen(function*() {
    const fixture = Fixtures.load(name)
    const run = yield* golden(responses(fixture), use)
    Fixtures.assertRequests(run.requests, fixture.exchanges, differences)
    return { fixture, result: run.result }
  })

/** A fixture's ISO time as a Date. */
export const date = (text: string) => new Date(text)
