// Transport rules of the wire client over a scripted HttpClient: which actions are
// retried and how, attempt timeouts, how each kind of answer maps to a typed error,
// and endpoint validation.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import type * as AgentBayConfig from "@effect-agentbay/core/AgentBayConfig"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"

type Client = AgentBayClient.AgentBayClient.Service

const S1 = "sess-1"

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
const text = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/html" } })
const ok = (data: unknown) => json(200, { RequestId: "r-ok", Success: true, Code: "ok", Data: data })

// The client over a scripted server; `use` gets the client and the requests seen so far.
const withClient = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: (client: Client, requests: Effect.Effect<ReadonlyArray<Fixtures.Recorded>>) => Effect.Effect<A, E>,
  options: Partial<AgentBayConfig.Options> = {}
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted(reply)
    const client = yield* AgentBayClient.make({
      apiKey: Redacted.make("sk-transport"),
      endpoint: "http://127.0.0.1:18080",
      ...options
    }).pipe(Effect.provideService(HttpClient.HttpClient, fake.client))
    return yield* use(client, fake.requests)
  })

const actions = (requests: ReadonlyArray<Fixtures.Recorded>) => requests.map((r) => r.url.searchParams.get("Action"))

interface Call {
  readonly action: string
  readonly call: (c: Client) => Effect.Effect<unknown, unknown>
  readonly data: unknown
}

const reads: ReadonlyArray<Call> = [
  { action: "GetSession", call: (c) => c.getSession(S1), data: { SessionId: S1, Status: "RUNNING" } },
  { action: "GetSessionDetail", call: (c) => c.getSessionDetail(S1), data: { Status: "RUNNING" } },
  { action: "ListSession", call: (c) => c.listSession({}), data: [] },
  { action: "GetLabel", call: (c) => c.getLabel(S1), data: { Labels: "{}" } },
  { action: "GetMcpResource", call: (c) => c.getMcpResource(S1), data: { SessionId: S1 } },
  { action: "GetLink", call: (c) => c.getLink(S1), data: { Url: "https://link" } },
  { action: "GetContextInfo", call: (c) => c.getContextInfo({ sessionId: S1 }), data: { ContextStatus: "" } }
]

const writes: ReadonlyArray<Call> = [
  { action: "CreateMcpSession", call: (c) => c.createMcpSession({}), data: { SessionId: S1 } },
  { action: "DeleteSessionAsync", call: (c) => c.deleteSessionAsync(S1), data: undefined },
  { action: "PauseSessionAsync", call: (c) => c.pauseSessionAsync(S1), data: undefined },
  { action: "ResumeSessionAsync", call: (c) => c.resumeSessionAsync(S1), data: undefined },
  { action: "SetLabel", call: (c) => c.setLabel(S1, { team: "qa" }), data: undefined },
  { action: "SyncContext", call: (c) => c.syncContext({ sessionId: S1 }), data: undefined }
]

describe("AgentBayClient transport: retries", () => {
  for (const read of reads) {
    it.effect(`${read.action} is retried after network errors and 5xx, with backoff`, () =>
      withClient(
        (_, attempt) =>
          attempt === 1
            ? "network"
            : attempt === 2
            ? text(503, "Service Unavailable")
            : attempt === 3
            ? json(503, { Success: false, Code: "ServiceUnavailable", Message: "busy" })
            : ok(read.data),
        (c, requests) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(read.call(c))
            yield* TestClock.adjust("100 millis") // less than the first (jittered 200 ms) backoff
            assert.strictEqual((yield* requests).length, 1, "the retry waits")
            yield* TestClock.adjust("10 seconds")
            yield* Fiber.join(fiber)
            assert.deepStrictEqual(actions(yield* requests), Array(4).fill(read.action))
          })
      ))

    it.effect(`${read.action} gives up after 3 retries`, () =>
      withClient(
        () => text(500, "Internal Server Error"),
        (c, requests) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(Effect.flip(read.call(c)))
            yield* TestClock.adjust("1 minute")
            const e = yield* Fiber.join(fiber)
            assert.deepInclude(e, { _tag: "TransportError", reason: "HttpStatus", status: 500 })
            assert.strictEqual((yield* requests).length, 4)
          })
      ))
  }

  for (const write of writes) {
    it.effect(`${write.action} is sent once, even on 503 or a network error`, () =>
      Effect.gen(function*() {
        const unavailable = json(503, { Success: false, Code: "ServiceUnavailable" })
        for (const reply of [text(503, "Service Unavailable"), unavailable, "network"] as const) {
          yield* withClient(() => reply, (c, requests) =>
            Effect.gen(function*() {
              const fiber = yield* Effect.fork(Effect.flip(write.call(c)))
              yield* TestClock.adjust("1 minute")
              const e = (yield* Fiber.join(fiber)) as { readonly _tag: string }
              assert.include(["TransportError", "ApiError"], e._tag)
              assert.deepStrictEqual(actions(yield* requests), [write.action])
            }))
        }
      }))
  }

  it.effect("a read failing with a non-retryable answer is not retried", () =>
    Effect.gen(function*() {
      const replies = [json(200, { Success: false, Code: "Quota.Exceeded" }), json(401, {}), ok({ SessionId: 1 })]
      for (const reply of replies) {
        yield* withClient(() => reply, (c, requests) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(Effect.flip(c.getSession(S1)))
            yield* TestClock.adjust("1 minute")
            yield* Fiber.join(fiber)
            assert.strictEqual((yield* requests).length, 1)
          }))
      }
    }))
})

describe("AgentBayClient transport: timeouts", () => {
  it.effect("an attempt with no answer is TransportError Timeout; a write is not repeated", () =>
    withClient(() => "hang", (c, requests) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(c.createMcpSession({})))
        yield* TestClock.adjust("4999 millis")
        assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map((o) => o._tag === "None" ? null : o)))
        yield* TestClock.adjust("1 millis")
        const e = yield* Fiber.join(fiber)
        assert.deepInclude(e, { _tag: "TransportError", reason: "Timeout", action: "CreateMcpSession" })
        assert.strictEqual((yield* requests).length, 1)
      }), { timeout: "5 seconds" }))

  it.effect("a read times out per attempt and is retried 3 times", () =>
    withClient(() => "hang", (c, requests) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(c.getSession(S1)))
        yield* TestClock.adjust("1 minute")
        const e = yield* Fiber.join(fiber)
        assert.deepInclude(e, { _tag: "TransportError", reason: "Timeout" })
        assert.strictEqual((yield* requests).length, 4)
      }), { timeout: "5 seconds" }))

  it.effect("the default attempt timeout is 60 seconds", () =>
    withClient(() => "hang", (c) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(c.deleteSessionAsync(S1)))
        yield* TestClock.adjust("59 seconds")
        assert.strictEqual((yield* Fiber.poll(fiber))._tag, "None")
        yield* TestClock.adjust("1 second")
        assert.deepInclude(yield* Fiber.join(fiber), { _tag: "TransportError", reason: "Timeout" })
      })))
})

describe("AgentBayClient transport: answers to typed errors", () => {
  // Writes are not retried, so one canned answer decides the outcome.
  const pause = (c: Client) => c.pauseSessionAsync(S1)
  const answer = (reply: Response, call: (c: Client) => Effect.Effect<unknown, unknown> = pause) =>
    withClient(() => reply, (c) => Effect.flip(call(c)))

  it.effect("non-JSON 2xx is DecodeError", () =>
    Effect.gen(function*() {
      const e = yield* answer(text(200, "<html>hello</html>"))
      assert.deepInclude(e, { _tag: "DecodeError", action: "PauseSessionAsync" })
      assert.deepInclude(yield* answer(text(200, "")), { _tag: "DecodeError" })
    }))

  it.effect("non-JSON 5xx is TransportError HttpStatus", () =>
    Effect.gen(function*() {
      assert.deepInclude(yield* answer(text(502, "<html>Bad Gateway</html>")), {
        _tag: "TransportError",
        reason: "HttpStatus",
        status: 502
      })
    }))

  it.effect("2xx with Success:false and a code is ApiError", () =>
    Effect.gen(function*() {
      const e = yield* answer(json(200, { RequestId: "r9", Success: false, Code: "Quota.Exceeded", Message: "busy" }))
      assert.deepInclude(e, { _tag: "ApiError", code: "Quota.Exceeded", description: "busy", requestId: "r9" })
      assert.deepInclude(e, { status: 200 })
    }))

  it.effect("401 and 403 are AuthError, with or without an envelope", () =>
    Effect.gen(function*() {
      assert.deepInclude(yield* answer(json(401, { RequestId: "r1", Success: false, Code: "InvalidApiKey" })), {
        _tag: "AuthError",
        code: "InvalidApiKey",
        status: 401,
        requestId: "r1"
      })
      assert.deepInclude(yield* answer(text(401, "Unauthorized")), { _tag: "AuthError", status: 401 })
      assert.deepInclude(yield* answer(json(403, {})), { _tag: "AuthError", status: 403 })
    }))

  it.effect("Data of the wrong shape is DecodeError", () =>
    Effect.gen(function*() {
      const create = (c: Client) => c.createMcpSession({})
      const e = yield* answer(ok({ SessionId: 42 }), create)
      assert.deepInclude(e, { _tag: "DecodeError", action: "CreateMcpSession" })
      assert.deepInclude(yield* answer(ok([]), create), { _tag: "DecodeError" })
      assert.deepInclude(yield* answer(ok({ SessionId: S1, ToolList: [] }), create), { _tag: "DecodeError" })
      const link = yield* answer(ok({ Url: 1 }), (c) => c.getLink(S1))
      assert.deepInclude(link, { _tag: "DecodeError", action: "GetLink" })
    }))

  it.effect("the not-found code is NotFound only on id-addressed calls", () =>
    Effect.gen(function*() {
      const notFound = () => json(400, { Success: false, Code: "InvalidMcpSession.NotFound", Message: "not found" })
      assert.deepInclude(yield* answer(notFound()), { _tag: "NotFound", resource: "Session", id: S1 })
      assert.deepInclude(yield* answer(notFound(), (c) => c.createMcpSession({})), {
        _tag: "ApiError",
        code: "InvalidMcpSession.NotFound"
      })
    }))
})

describe("AgentBayClient configuration", () => {
  const firstUrl = (endpoint: string) =>
    withClient(() => ok(undefined), (c, requests) =>
      Effect.gen(function*() {
        yield* c.pauseSessionAsync(S1)
        return (yield* requests)[0]!.url
      }), { endpoint })

  it.effect("an endpoint that is not an http(s) base URL is ValidationError before any request", () =>
    Effect.gen(function*() {
      for (const endpoint of ["ftp://x", "http://h/path", "http://h:1/?a=b", "http://user:pw@h"]) {
        const e = yield* Effect.flip(firstUrl(endpoint))
        assert.deepInclude(e, { _tag: "ValidationError", field: "endpoint" }, endpoint)
      }
    }))

  it.effect("a bare host:port means https; an http base URL with a trailing slash is fine", () =>
    Effect.gen(function*() {
      const bare = yield* firstUrl("127.0.0.1:18080")
      assert.strictEqual(bare.origin, "https://127.0.0.1:18080")
      assert.strictEqual(bare.pathname, "/")
      const http = yield* firstUrl("http://127.0.0.1:18080/")
      assert.strictEqual(http.origin, "http://127.0.0.1:18080")
      assert.strictEqual(http.pathname, "/")
    }))

  it.effect("a timeout that is not positive is ValidationError", () =>
    Effect.gen(function*() {
      const e = yield* Effect.flip(withClient(() => ok(undefined), () => Effect.void, { timeout: "0 millis" }))
      assert.deepInclude(e, { _tag: "ValidationError", field: "timeout" })
    }))
})
