// The API key never leaves the request: not in errors (however printed), not in
// span attributes, events or exits, not in logs, even for SyncContext, which
// carries it in the URL.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"
import { recordingTracer } from "./tracing.js"

const KEY = "sk-very-secret-123"
const S1 = "sess-1"

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

const services = (reply: (action: string, attempt: number) => Fixtures.Reply, endpoint = "http://127.0.0.1:18080") =>
  Effect.map(Fixtures.scripted(reply), (fake) => ({
    requests: fake.requests,
    layer: AgentBay.layer({ apiKey: Redacted.make(KEY), endpoint, timeout: "5 seconds" }).pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
    )
  }))

// Runs `use` (forked, with a minute of test time) and returns its failure.
const failure = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: Effect.Effect<A, E, AgentBay.Services>
) =>
  Effect.gen(function*() {
    const { layer, requests } = yield* services(reply)
    const fiber = yield* Effect.fork(Effect.exit(Effect.provide(use, layer)))
    yield* TestClock.adjust("1 minute")
    const exit = yield* Fiber.join(fiber)
    if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
    const error = Option.getOrThrowWith(Cause.failureOption(exit.cause), () => new Error(Cause.pretty(exit.cause)))
    return { error, cause: exit.cause, requests: yield* requests }
  })

const assertNoKey = (label: string, error: unknown, cause: Cause.Cause<unknown>) => {
  const e = error as Error
  for (
    const [how, text] of [
      ["String", String(e)],
      ["JSON", JSON.stringify(e)],
      ["message", e.message],
      ["pretty", Cause.pretty(Cause.fail(e))],
      ["pretty(exit)", Cause.pretty(cause)]
    ] as const
  ) {
    assert.notInclude(text, KEY, `${label}: ${how}`)
  }
}

const withClient = <A, E>(f: (client: AgentBayClient.AgentBayClient.Service) => Effect.Effect<A, E>) =>
  Effect.flatMap(AgentBayClient.AgentBayClient, f)
const withBay = <A, E, R>(f: (bay: AgentBay.AgentBay.Service) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(AgentBay.AgentBay, f)
const sync = withClient((c) => c.syncContext({ sessionId: S1 }))

describe("secrets: errors", () => {
  it.effect("a network failure on SyncContext (key in the URL) gives a TransportError without the key", () =>
    Effect.gen(function*() {
      const { cause, error, requests } = yield* failure(() => "network", sync)
      // The key really was in the URL, and the low-level error quoted that URL (encoded and decoded).
      assert.strictEqual(requests[0]!.url.searchParams.get("Authorization"), `Bearer ${KEY}`)
      assert.deepInclude(error, { _tag: "TransportError", reason: "Network", action: "SyncContext" })
      assert.include(error.message, "ECONNREFUSED")
      assertNoKey("SyncContext network", error, cause)
    }))

  type Case = readonly [string, () => Fixtures.Reply, Effect.Effect<unknown, unknown, AgentBay.Services>]
  const paused = { Success: true, Data: { SessionId: S1, Status: "PAUSED" } }
  // A server echoing the request it could not handle.
  const echo = `bad request /?Action=SyncContext&Authorization=Bearer ${KEY} (body Authorization=Bearer+${KEY})`
  const cases: ReadonlyArray<Case> = [
    ["AuthError", () => json(401, { Success: false, Code: "InvalidApiKey", Message: KEY }), withBay((b) => b.create())],
    ["ApiError", () => json(200, { Success: false, Code: "X", Message: echo }), withBay((b) => b.create())],
    ["ApiError (HTTP 500)", () => json(500, { Success: false, Code: "InternalError", Message: echo }), sync],
    ["DecodeError", () => json(200, { Success: true, Data: { SessionId: 7 } }), withBay((b) => b.get(S1))],
    ["NotFound", () => json(400, { Success: false, Code: "InvalidMcpSession.NotFound" }), withBay((b) => b.get(S1))],
    ["TransportError HttpStatus", () => new Response("oops", { status: 502 }), sync],
    ["TransportError Timeout", () => "hang", sync],
    ["network on a read", () => "network", withBay((b) => b.get(S1))],
    ["InvalidState", () => json(200, paused), withBay((b) => b.betaPauseAsync(S1))],
    ["delete with sync, network", () => "network", withBay((b) => b.delete(S1, { syncContext: true }))]
  ]
  for (const [label, reply, use] of cases) {
    it.effect(`${label}: no key in String, JSON, message or Cause.pretty`, () =>
      Effect.gen(function*() {
        const { cause, error } = yield* failure(reply, use)
        assertNoKey(label, error, cause)
      }))
  }

  it.effect("a rejected configuration names no key", () =>
    Effect.gen(function*() {
      const { layer } = yield* services(() => "network", "ftp://x")
      const exit = yield* Effect.exit(Effect.provide(AgentBayClient.AgentBayClient, layer))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Option.getOrThrow(Cause.failureOption(exit.cause))
        assert.strictEqual(error._tag, "ValidationError")
        assertNoKey("config", error, exit.cause)
      }
    }))
})

describe("secrets: spans and logs", () => {
  it.effect("no span attribute, event or exit carries the key", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recordingTracer()
      const reply = (action: string): Fixtures.Reply =>
        action === "SyncContext"
          ? "network"
          : action === "GetSession"
          ? json(200, { Success: true, Data: { SessionId: S1, Status: "RUNNING" } })
          : json(401, { Success: false, Code: "InvalidApiKey" })
      const { layer } = yield* services(reply)
      const work = Effect.gen(function*() {
        const b = yield* AgentBay.AgentBay
        yield* b.get(S1)
        yield* Effect.exit(b.create({ labels: { team: "qa" } }))
        yield* Effect.exit(b.delete(S1, { syncContext: true }))
        yield* Effect.exit(withClient((c) => c.syncContext({ sessionId: S1, contextId: "ctx-1", path: "/p" })))
      })
      yield* Effect.fork(Effect.provide(work, layer).pipe(Effect.withTracer(tracer))).pipe(
        Effect.tap(() => TestClock.adjust("1 minute")),
        Effect.flatMap(Fiber.join)
      )
      const names = spans.map((s) => s.name)
      const expected = ["AgentBay.get", "AgentBayClient.GetSession", "AgentBay.delete", "AgentBayClient.SyncContext"]
      for (const name of expected) assert.include(names, name)
      const syncSpan = spans.find((s) => s.name === "AgentBayClient.SyncContext")!
      assert.isTrue(syncSpan.exit !== undefined && Exit.isFailure(syncSpan.exit), "the span ended with the error")
      assert.strictEqual(syncSpan.attributes.get("agentbay.action"), "SyncContext")
      for (const span of spans) assert.notInclude(span.dump(), KEY, span.name)
    }))

  it.effect("a failed release of a scoped session logs a warning without the key", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.make(({ cause, message }) => {
        logs.push(`${String(message)} ${Cause.pretty(cause)}`)
      })
      const reply = (action: string): Fixtures.Reply =>
        action === "CreateMcpSession" ? json(200, { Success: true, Data: { SessionId: S1 } }) : "network"
      const { layer } = yield* services(reply)
      const scoped = Effect.scoped(withBay((b) => b.session({ release: { syncContext: true } })))
      const fiber = yield* Effect.fork(
        Effect.provide(scoped, Layer.merge(layer, Logger.replace(Logger.defaultLogger, logger)))
      )
      yield* TestClock.adjust("5 minutes")
      yield* Fiber.join(fiber)
      assert.isAbove(logs.length, 0)
      assert.isTrue(logs.some((l) => l.includes("TransportError")), logs.join("\n"))
      for (const line of logs) assert.notInclude(line, KEY)
    }))
})
