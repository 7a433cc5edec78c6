// Golden wire tests: our SDK drives the same call as each lifecycle fixture of the
// official client, the fake HTTP answers with the fixture's responses, and our
// requests must be the fixture's requests (up to field order and volatile values).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import type { Session } from "@effect-agentbay/core/Session"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireSession from "@effect-agentbay/core/WireSession"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"

const { contextId, sessionId } = Fixtures
const S1 = sessionId(1)

// Runs `use` against the real AgentBay layer over a fake HttpClient that answers
// with `responses` in order; returns the outcome and every request we sent.
const golden = <A, E>(
  responses: ReadonlyArray<Fixtures.FixtureResponse>,
  use: Effect.Effect<A, E, AgentBay.Services>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.replay(responses)
    const layer = // No ownership stamps: the fixtures are the official client's exact create requests.
      AgentBay.layer({ apiKey: Redacted.make(Fixtures.apiKey), endpoint: `http://${Fixtures.host}`, stamp: false })
        .pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
        )
    const result = yield* Effect.either(Effect.provide(use, layer))
    return { result, requests: yield* fake.requests }
  })

const withBay = <A, E, R>(f: (bay: AgentBay.AgentBay.Service) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(AgentBay.AgentBay, f)
const responses = (fixture: Fixtures.Fixture) => fixture.exchanges.map((e) => e.response)
const body = (response: Fixtures.FixtureResponse) => response.body as Record<string, any>
const requestId = (fixture: Fixtures.Fixture, i: number) => body(fixture.exchanges[i]!.response).RequestId as string

const right = <A, E>(either: Either.Either<A, E>): A => {
  if (Either.isLeft(either)) assert.fail(`expected success, got ${String(either.left)}`)
  return either.right
}
const left = <A, E>(either: Either.Either<A, E>): E => {
  if (Either.isRight(either)) assert.fail("expected a failure, got a success")
  return either.left
}

// A GetSession answer like the fixture's, with another status: our pause/resume
// read the current status before submitting (the official client does not).
const withStatus = (response: Fixtures.FixtureResponse, status: string): Fixtures.FixtureResponse => ({
  status: response.status,
  body: { ...body(response), RequestId: "PRECHECK", Data: { ...body(response).Data, Status: status } }
})

const getFixture = Fixtures.load("get")
const session = withBay((bay) => bay.get(S1))

describe("golden: create", () => {
  const labels = { project: "demo", owner: "alice" }
  const syncFixture = Fixtures.load("create-with-context-sync")
  const persistence = JSON.parse(new Map(syncFixture.exchanges[0]!.request.form).get("PersistenceDataList")!)
  const cases: ReadonlyArray<{
    readonly name: string
    readonly options: AgentBay.CreateOptions
    readonly extra?: Record<string, string>
    /** Replay every exchange of the fixture, not only CreateMcpSession. */
    readonly full?: boolean
  }> = [
    { name: "create", options: {} },
    { name: "create-with-labels", options: { labels } },
    { name: "create-with-image", options: { imageId: "code_latest" } },
    { name: "create-with-policy", options: { policyId: "mcp-policy-demo" } },
    { name: "create-with-network", options: { networkId: "net-1" } },
    // The official TypeScript SDK drops the volume; we send it (spec sdk-gaps §1.1).
    { name: "create-with-volume", options: { volumeId: "vol-1" }, extra: { VolumeId: "vol-1" } },
    {
      name: "create-with-extra-configs",
      options: { imageId: "mobile_latest", extraConfigs: { mobile: { lockResolution: true, hideNavigationBar: true } } }
    },
    {
      name: "create-with-context-sync",
      options: {
        labels: { project: "persist" },
        contextSync: [
          { contextId: contextId(1), path: "/home/wuying/data", policy: JSON.parse(persistence[0].Policy) },
          { contextId: contextId(2), path: "/home/wuying/cache" }
        ]
      },
      // Like the official client, create then waits for the contexts' sync (GetContextInfo).
      full: true
    }
  ]

  for (const c of cases) {
    it.effect(`${c.name}: CreateMcpSession as the official client sends it, our SdkStats`, () =>
      Effect.gen(function*() {
        const fixture = Fixtures.load(c.name)
        const create = fixture.exchanges[0]!
        // The official client's mobile shell calls after extraConfigs are not ours (no
        // tools in this release); the GetContextInfo wait for contextSync is (`full`).
        const exchanges = c.full ? fixture.exchanges : [create]
        const { requests, result } = yield* golden(
          exchanges.map((x) => x.response),
          withBay((bay) => bay.create(c.options))
        )
        assert.strictEqual(requests.length, exchanges.length)
        Fixtures.assertRequest(requests[0]!, create.request, {
          ownValue: ["SdkStats"],
          ...(c.extra ? { extra: c.extra } : {})
        })
        if (c.full) Fixtures.assertRequests(requests.slice(1), exchanges.slice(1))
        assert.deepStrictEqual(JSON.parse(new Map(requests[0]!.form).get("SdkStats")!), Wire.sdkStats)

        const s = right(result)
        const data = body(create.response).Data
        assert.strictEqual(s.id, S1)
        assert.strictEqual(s.status, "RUNNING")
        assert.strictEqual(s.requestId, requestId(fixture, 0))
        assert.strictEqual(s.resourceUrl, `http://${Fixtures.host}/resource/${S1}`)
        assert.strictEqual(s.appInstanceId, `ai-${S1}`)
        assert.strictEqual(s.resourceId, `res-${S1}`)
        assert.strictEqual(s.httpPort, undefined)
        assert.strictEqual(s.vpcResource, false)
        assert.strictEqual(Redacted.value(s.token!), data.Token)
        assert.deepStrictEqual(s.labels, c.options.labels)
        assert.strictEqual(s.imageId, c.options.imageId)
      }))
  }

  it.effect("error-bad-key: create with a rejected key is AuthError", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("error-bad-key")
      const { requests, result } = yield* golden(responses(fixture), withBay((bay) => bay.create()))
      Fixtures.assertRequests(requests, fixture.exchanges, { ownValue: ["SdkStats"] })
      const e = left(result)
      assert.strictEqual(e._tag, "AuthError")
      if (e._tag !== "AuthError") return
      assert.strictEqual(e.code, "InvalidApiKey")
      assert.strictEqual(e.status, 401)
      assert.strictEqual(e.requestId, requestId(fixture, 0))
    }))
})

describe("golden: get and session operations", () => {
  it.effect("get: GetSession, decoded to the fixture's record", () =>
    Effect.gen(function*() {
      const { requests, result } = yield* golden(responses(getFixture), session)
      Fixtures.assertRequests(requests, getFixture.exchanges)
      const s = right(result)
      assert.strictEqual(s.id, S1)
      assert.strictEqual(s.status, "RUNNING")
      assert.strictEqual(s.requestId, requestId(getFixture, 0))
      assert.strictEqual(Redacted.value(s.token!), body(getFixture.exchanges[0]!.response).Data.Token)
    }))

  it.effect("error-get-unknown-session: InvalidMcpSession.NotFound is NotFound", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("error-get-unknown-session")
      const { requests, result } = yield* golden(
        responses(fixture),
        withBay((bay) => bay.get("session-doesnotexist"))
      )
      Fixtures.assertRequests(requests, fixture.exchanges)
      const e = left(result)
      assert.strictEqual(e._tag, "NotFound")
      if (e._tag !== "NotFound") return
      assert.strictEqual(e.id, "session-doesnotexist")
      assert.strictEqual(e.requestId, requestId(fixture, 0))
    }))

  // Each session.* call runs on a Session from `bay.get`, so the first exchange is get.json's.
  const onSession = <A, E>(name: string, call: (s: Session) => Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const fixture = Fixtures.load(name)
      const run = yield* golden(
        [getFixture.exchanges[0]!.response, ...responses(fixture)],
        Effect.flatMap(session, call)
      )
      Fixtures.assertRequest(run.requests[0]!, getFixture.exchanges[0]!.request)
      Fixtures.assertRequests(run.requests.slice(1), fixture.exchanges)
      return { fixture, value: right(run.result) }
    })

  it.effect("get-status: GetSessionDetail with SessionId in the query", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* onSession("get-status", (s) => s.getStatus())
      assert.strictEqual(value.id, S1)
      assert.strictEqual(value.status, "RUNNING")
      assert.strictEqual(value.imageId, "linux_latest")
      assert.strictEqual(value.regionId, "local")
      assert.strictEqual(value.appInstanceId, `ai-${S1}`)
      assert.strictEqual(value.requestId, requestId(fixture, 0))
    }))

  it.effect("session-info: GetMcpResource", () =>
    Effect.gen(function*() {
      const { value } = yield* onSession("session-info", (s) => s.info())
      assert.strictEqual(value.sessionId, S1)
      assert.strictEqual(value.resourceUrl, `http://${Fixtures.host}/resource/${S1}`)
      assert.strictEqual(value.appId, `ai-${S1}`)
      assert.strictEqual(Redacted.value(value.authCode!), "ead4c8e84688b08d")
      assert.strictEqual(value.resourceId, `res-${S1}`)
      assert.strictEqual(value.ticket, undefined)
    }))

  it.effect("get-link: GetLink without options", () =>
    Effect.gen(function*() {
      const { value } = yield* onSession("get-link", (s) => s.getLink())
      assert.strictEqual(value, `http://${Fixtures.host}/link/${S1}`)
    }))

  it.effect("get-link-port: GetLink with ProtocolType and Port", () =>
    Effect.gen(function*() {
      const { value } = yield* onSession("get-link-port", (s) => s.getLink({ protocolType: "https", port: 30150 }))
      assert.strictEqual(value, `http://${Fixtures.host}/link/${S1}/port/30150`)
    }))

  it.effect("get-labels: GetLabel, Labels decoded from JSON text", () =>
    Effect.gen(function*() {
      const { value } = yield* onSession("get-labels", (s) => s.getLabels())
      assert.deepStrictEqual(value, { project: "demo", owner: "alice" })
    }))

  it.effect("set-labels: SetLabel, Labels as the same JSON text (form-special characters)", () =>
    Effect.gen(function*() {
      const labels = { project: "demo", owner: "bob", "cost center": "R&D + QA", note: "50% = half" }
      const { value } = yield* onSession("set-labels", (s) => s.setLabels(labels))
      assert.isUndefined(value)
    }))
})

describe("golden: list", () => {
  const labels = { project: "demo" }
  const listPage = (options: AgentBay.ListPageOptions) => withBay((bay) => bay.listPage(options))
  const ids = (page: AgentBay.SessionPage) => page.sessions.map((s) => `${s.id}:${s.status}`)

  it.effect("list: one ListSession with Labels={} and MaxResults=10", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("list")
      const { requests, result } = yield* golden(responses(fixture), listPage({}))
      Fixtures.assertRequests(requests, fixture.exchanges)
      const page = right(result)
      assert.deepStrictEqual(ids(page), [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${sessionId(n)}:RUNNING`))
      assert.strictEqual(page.nextToken, undefined)
      assert.strictEqual(page.totalCount, 8)
      assert.strictEqual(page.maxResults, 10)
      assert.strictEqual(page.requestId, requestId(fixture, 0))
    }))

  it.effect("list-filtered: labels, status and page size", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("list-filtered")
      const { requests, result } = yield* golden(responses(fixture), listPage({ labels, limit: 2, status: "RUNNING" }))
      Fixtures.assertRequests(requests, fixture.exchanges)
      const page = right(result)
      assert.deepStrictEqual(ids(page), [`${sessionId(1)}:RUNNING`, `${sessionId(2)}:RUNNING`])
      assert.strictEqual(page.nextToken, "b2ZmOjI")
      assert.strictEqual(page.totalCount, 3)
      assert.strictEqual(page.maxResults, 2)
    }))

  it.effect("list-page-2: page 2 walks page 1 for its NextToken", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("list-page-2")
      const { requests, result } = yield* golden(responses(fixture), listPage({ labels, page: 2, limit: 2 }))
      Fixtures.assertRequests(requests, fixture.exchanges)
      const page = right(result)
      assert.deepStrictEqual(ids(page), [`${sessionId(3)}:RUNNING`])
      assert.strictEqual(page.page, 2)
      assert.strictEqual(page.nextToken, undefined)
      assert.strictEqual(page.requestId, requestId(fixture, 1))
    }))

  it.effect("list-page-2 responses: the list stream sends the same two requests and yields all three", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("list-page-2")
      const { requests, result } = yield* golden(
        responses(fixture),
        withBay((bay) => Stream.runCollect(bay.list({ labels, pageSize: 2 })))
      )
      Fixtures.assertRequests(requests, fixture.exchanges)
      assert.deepStrictEqual(Chunk.toReadonlyArray(right(result)).map((s) => s.id), [1, 2, 3].map(sessionId))
    }))

  it.effect("list-paused: Status=PAUSED", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("list-paused")
      const { requests, result } = yield* golden(responses(fixture), listPage({ labels, status: "PAUSED" }))
      Fixtures.assertRequests(requests, fixture.exchanges)
      assert.deepStrictEqual(ids(right(result)), [`${sessionId(1)}:PAUSED`])
    }))

  it.effect("error-list-page-unreachable: page 3 of 2 is ValidationError after the same 2 requests", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("error-list-page-unreachable")
      const { requests, result } = yield* golden(responses(fixture), listPage({ labels, page: 3, limit: 2 }))
      Fixtures.assertRequests(requests, fixture.exchanges)
      const e = left(result)
      assert.strictEqual(e._tag, "ValidationError")
      if (e._tag === "ValidationError") assert.strictEqual(e.field, "page")
    }))

  it.effect("error-bad-key-list: list with a rejected key is AuthError", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("error-bad-key-list")
      const { requests, result } = yield* golden(responses(fixture), listPage({}))
      Fixtures.assertRequests(requests, fixture.exchanges)
      const e = left(result)
      assert.strictEqual(e._tag, "AuthError")
      if (e._tag === "AuthError") assert.strictEqual(e.requestId, requestId(fixture, 0))
    }))
})

describe("golden: pause, resume, delete", () => {
  const transition = (name: string, from: string, op: "betaPauseAsync" | "betaResumeAsync") =>
    Effect.gen(function*() {
      const fixture = Fixtures.load(name)
      const poll = fixture.exchanges[1]!
      const fiber = yield* Effect.fork(golden(
        [withStatus(poll.response, from), ...responses(fixture)],
        withBay((bay) => bay[op](S1, { interval: "500 millis", timeout: "60 seconds" }))
      ))
      yield* TestClock.adjust("1 second")
      const { requests, result } = yield* Fiber.join(fiber)
      // Ours reads the status first (GetSession, the same request as the polls), then as the fixture.
      Fixtures.assertRequest(requests[0]!, poll.request)
      Fixtures.assertRequests(requests.slice(1), fixture.exchanges)
      return { fixture, session: right(result) }
    })

  it.effect("pause: PauseSessionAsync, then GetSession at once and after 0.5 s until PAUSED", () =>
    Effect.gen(function*() {
      const { fixture, session } = yield* transition("pause", "RUNNING", "betaPauseAsync")
      assert.strictEqual(session.status, "PAUSED")
      assert.strictEqual(session.requestId, requestId(fixture, 2))
    }))

  it.effect("resume: ResumeSessionAsync, then GetSession until RUNNING", () =>
    Effect.gen(function*() {
      const { fixture, session } = yield* transition("resume", "PAUSED", "betaResumeAsync")
      assert.strictEqual(session.status, "RUNNING")
      assert.strictEqual(session.requestId, requestId(fixture, 2))
    }))

  it.effect("resume-running-session: ours refuses with InvalidState and sends no ResumeSessionAsync", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("resume-running-session")
      const poll = fixture.exchanges[1]!
      // The official client submits and its first poll sees RUNNING; ours reads RUNNING first and stops.
      const { requests, result } = yield* golden(
        [poll.response],
        withBay((bay) => bay.betaResumeAsync(S1))
      )
      assert.strictEqual(requests.length, 1)
      Fixtures.assertRequest(requests[0]!, poll.request)
      const e = left(result)
      assert.strictEqual(e._tag, "InvalidState")
      if (e._tag === "InvalidState") assert.strictEqual(e.status, "RUNNING")
    }))

  const deletion = (name: string, options: AgentBay.DeleteOptions) =>
    Effect.gen(function*() {
      const fixture = Fixtures.load(name)
      const fiber = yield* Effect.fork(golden(
        responses(fixture),
        withBay((bay) => bay.delete(S1, options))
      ))
      yield* TestClock.adjust("2 seconds")
      const { requests, result } = yield* Fiber.join(fiber)
      Fixtures.assertRequests(requests, fixture.exchanges)
      assert.isUndefined(right(result))
    })

  it.effect("delete: DeleteSessionAsync, then GetSessionDetail at once and after 1 s until FINISH", () =>
    deletion("delete", {}))

  it.effect("delete-with-sync-context: SyncContext (key in the query), GetContextInfo, then delete", () =>
    deletion("delete-with-sync-context", { syncContext: true }))
})

describe("golden: errors", () => {
  const fixture = Fixtures.load("error-unknown-action")
  const response = fixture.exchanges[0]!.response

  it.effect("error-unknown-action: the envelope is ApiError InvalidAction.NotFound, not NotFound", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(
        AgentBayClient.interpret(WireSession.GetSession, response.status, JSON.stringify(response.body))
      )
      assert.strictEqual(e._tag, "ApiError")
      if (e._tag !== "ApiError") return
      assert.strictEqual(e.code, "InvalidAction.NotFound")
      assert.strictEqual(e.status, 404)
      assert.strictEqual(e.requestId, requestId(fixture, 0))
    }))

  it.effect("error-unknown-action: an id-addressed call does not turn it into NotFound", () =>
    Effect.gen(function*() {
      const { requests, result } = yield* golden([response], session)
      assert.strictEqual(requests.length, 1) // a 404 envelope is not retried
      const e = left(result)
      assert.strictEqual(e._tag, "ApiError")
      if (e._tag === "ApiError") assert.strictEqual(e.code, "InvalidAction.NotFound")
    }))
})
