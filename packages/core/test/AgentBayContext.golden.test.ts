// Golden wire tests for contexts: our AgentBayContext drives the same call as
// each context fixture of the official client, the fake HTTP answers with the
// fixture's responses, our requests must be the fixture's (up to field order and
// volatile values), and the answers decode to the records the fixture's `result`
// describes. Where we differ on purpose, the test says so.
import type * as AgentBayContext from "@effect-agentbay/core/AgentBayContext"
import type { Session } from "@effect-agentbay/core/Session"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"
import { body, date, golden, left, replayFixture, requestId, responses, result, right, withBay } from "./golden.js"

const { contextId, sessionId } = Fixtures
const C1 = contextId(1)
const S1 = sessionId(1)

const context = <A, E>(f: (c: AgentBayContext.AgentBayContext.Service) => Effect.Effect<A, E>) =>
  withBay((bay) => f(bay.context))

// The official record as plain data: what our Context must say.
const expectContext = (actual: AgentBayContext.Context, expected: Record<string, string>) => {
  assert.strictEqual(actual.id, expected.id)
  assert.strictEqual(actual.name, expected.name)
  assert.deepStrictEqual(actual.createdAt, date(expected.createdAt!))
  assert.deepStrictEqual(actual.lastUsedAt, date(expected.lastUsedAt!))
}

describe("golden: get and create", () => {
  // The official client follows a by-name GetContext with ListContexts (first
  // page) to copy the times; GetContext's answer carries them, so we send only
  // the first request: it is compared with the fixture's first exchange.
  const byName = (name: string, call: Effect.Effect<AgentBayContext.Context, unknown, any>) =>
    Effect.gen(function*() {
      const fixture = Fixtures.load(name)
      const first = fixture.exchanges[0]!
      const { requests, result: outcome } = yield* golden([first.response], call)
      assert.strictEqual(requests.length, 1, "no ListContexts after GetContext")
      Fixtures.assertRequest(requests[0]!, first.request)
      const c = right(outcome)
      expectContext(c, result(fixture).context)
      assert.strictEqual(c.state, "available")
      assert.strictEqual(c.osType, "linux")
    })

  it.effect("context-get: GetContext by Name with AllowCreate=false", () =>
    byName("context-get", context((c) => c.get("fixture-data"))))

  it.effect("context-get-create: get with create sends AllowCreate=true", () =>
    byName("context-get-create", context((c) => c.get("fixture-data", { create: true }))))

  it.effect("context-create: create(name) is GetContext with AllowCreate=true", () =>
    byName("context-create", context((c) => c.create("fixture-cache"))))

  it.effect("error-context-not-found: InvalidContext.NotFound is NotFound of the Context, named by Name", () =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(
        "error-context-not-found",
        context((c) => c.get("no-such-context"))
      )
      const e = left(outcome)
      assert.strictEqual(e._tag, "NotFound")
      if (e._tag !== "NotFound") return
      assert.strictEqual(e.resource, "Context")
      assert.strictEqual(e.id, "no-such-context")
      assert.strictEqual(e.requestId, requestId(fixture, 0))
    }))
})

describe("golden: list", () => {
  const page = (name: string, options: AgentBayContext.ListPageOptions) =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(name, context((c) => c.listPage(options)))
      const p = right(outcome)
      const expected = result(fixture)
      p.contexts.forEach((c, i) => expectContext(c, expected.contexts[i]))
      assert.strictEqual(p.contexts.length, expected.contexts.length)
      assert.strictEqual(p.nextToken, expected.nextToken || undefined)
      assert.strictEqual(p.maxResults, expected.maxResults)
      assert.strictEqual(p.totalCount, expected.totalCount)
      assert.strictEqual(p.requestId, requestId(fixture, 0))
    })

  it.effect("context-list: MaxResults=10 by default", () => page("context-list", {}))
  it.effect("context-list-max-results: MaxResults=1", () => page("context-list-max-results", { maxResults: 1 }))
  it.effect("context-list-next-page: NextToken in the body", () =>
    page("context-list-next-page", { maxResults: 1, nextToken: "b2ZmOjE" }))

  it.effect("the list stream sends context-list-max-results then context-list-next-page and yields both", () =>
    Effect.gen(function*() {
      const first = Fixtures.load("context-list-max-results")
      const second = Fixtures.load("context-list-next-page")
      const exchanges = [...first.exchanges, ...second.exchanges]
      const { requests, result: outcome } = yield* golden(
        exchanges.map((e) => e.response),
        context((c) => Stream.runCollect(c.list({ pageSize: 1 })))
      )
      Fixtures.assertRequests(requests, exchanges)
      assert.deepStrictEqual(Chunk.toReadonlyArray(right(outcome)).map((c) => c.name), [
        "fixture-data",
        "fixture-cache"
      ])
    }))
})

describe("golden: update, delete, clear", () => {
  it.effect("context-update: ModifyContext with Id and the new Name", () =>
    Effect.gen(function*() {
      const { result: outcome } = yield* replayFixture(
        "context-update",
        context((c) => c.update({ id: C1, name: "fixture-cache-renamed" }))
      )
      assert.isUndefined(right(outcome))
    }))

  it.effect("context-delete: DeleteContext with Id, from a Context", () =>
    Effect.gen(function*() {
      const record: AgentBayContext.Context = { id: C1, name: "fixture-cache-renamed" }
      const { result: outcome } = yield* replayFixture("context-delete", context((c) => c.delete(record)))
      assert.isUndefined(right(outcome))
    }))

  it.effect("context-clear: ClearContext, then GetContext by ContextId until available", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("context-clear")
      const fiber = yield* Effect.fork(golden(
        responses(fixture),
        context((c) => c.clear(C1, { interval: "500 millis", timeout: "10 seconds" }))
      ))
      yield* TestClock.adjust("1 second")
      const { requests, result: outcome } = yield* Fiber.join(fiber)
      // Ours polls at once, then every 0.5 s; the official client sleeps first. Same requests.
      Fixtures.assertRequests(requests, fixture.exchanges)
      const c = right(outcome)
      assert.strictEqual(c.id, C1)
      assert.strictEqual(c.state, result(fixture).status)
    }))
})

describe("golden: context files", () => {
  it.effect("context-list-files: DescribeContextFiles page 1 of 50, decoded to entries with count", () =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(
        "context-list-files",
        context((c) => c.listFiles(C1, "/home/wuying/data"))
      )
      const p = right(outcome)
      const expected = result(fixture)
      assert.strictEqual(p.count, expected.count)
      assert.strictEqual(p.page, 1)
      assert.strictEqual(p.pageSize, 50)
      assert.deepStrictEqual(
        p.files,
        expected.entries.map((e: Record<string, any>) => ({
          id: e.fileId,
          name: e.fileName,
          path: e.filePath,
          type: e.fileType,
          size: e.size,
          status: e.status,
          createdAt: date(e.gmtCreate),
          modifiedAt: date(e.gmtModified)
        }))
      )
    }))

  const url = (name: string, call: Effect.Effect<AgentBayContext.FileUrl, unknown, any>) =>
    Effect.gen(function*() {
      const { fixture, result: outcome } = yield* replayFixture(name, call)
      const u = right(outcome)
      assert.strictEqual(Redacted.value(u.url), result(fixture).url)
      assert.notInclude(String(u.url), "context-files", "the URL is redacted when printed")
      assert.notInclude(JSON.stringify(u), "context-files")
      assert.strictEqual(u.expireTime, result(fixture).expireTime)
      assert.strictEqual(u.requestId, requestId(fixture, 0))
    })

  it.effect("context-file-upload-url: GetContextFileUploadUrl, the URL Redacted", () =>
    url("context-file-upload-url", context((c) => c.getFileUploadUrl(C1, "/home/wuying/data/report.txt"))))

  it.effect("context-file-download-url: GetContextFileDownloadUrl, the URL Redacted", () =>
    url("context-file-download-url", context((c) => c.getFileDownloadUrl(C1, "/home/wuying/data/notes.txt"))))

  it.effect("context-delete-file: DeleteContextFile", () =>
    Effect.gen(function*() {
      const { result: outcome } = yield* replayFixture(
        "context-delete-file",
        context((c) => c.deleteFile(C1, "/home/wuying/data/logs/run.log"))
      )
      assert.isUndefined(right(outcome))
    }))
})

describe("golden: a session's syncs (session.context)", () => {
  const getFixture = Fixtures.load("get")
  // Each runs on a Session from `bay.get`, so the first exchange is get.json's.
  const onSession = <A, E>(exchanges: ReadonlyArray<Fixtures.Exchange>, call: (s: Session) => Effect.Effect<A, E>) =>
    Effect.gen(function*() {
      const run = yield* golden(
        [getFixture.exchanges[0]!.response, ...exchanges.map((e) => e.response)],
        withBay((bay) => Effect.flatMap(bay.get(S1), call))
      )
      Fixtures.assertRequest(run.requests[0]!, getFixture.exchanges[0]!.request)
      Fixtures.assertRequests(run.requests.slice(1), exchanges)
      return right(run.result)
    })

  it.effect("session-context-info: GetContextInfo, the double-encoded tasks decoded", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("session-context-info")
      const tasks = yield* onSession(fixture.exchanges, (s) => s.context.info())
      assert.deepStrictEqual(tasks, result(fixture).contextStatusData)
    }))

  it.effect("session-context-sync: SyncContext (key in the query); ours does not wait, info asks the same GetContextInfo", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("session-context-sync")
      const options = { contextId: C1, path: "/home/wuying/data" }
      // The official sync polls GetContextInfo itself; ours starts the sync and
      // returns, and `info` with the same filters is that poll.
      const tasks = yield* onSession(
        fixture.exchanges,
        (s) => Effect.zipRight(s.context.sync({ ...options, mode: "upload" }), s.context.info(options))
      )
      const statuses = (tasks as ReadonlyArray<{ taskType: string; status: string }>).map((t) =>
        `${t.taskType}:${t.status}`
      )
      assert.deepStrictEqual(statuses, ["download:Success", "upload:Success"])
      assert.strictEqual(body(fixture.exchanges[0]!.response).Success, true)
    }))
})
