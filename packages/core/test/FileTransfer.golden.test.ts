// Golden wire tests of the file transfer: uploadFile and downloadFile drive
// the same exchanges as the official client's upload-file.json and
// download-file.json (the fake HTTP answers with the fixtures' responses): the
// API requests match field for field (query placement, GET vs POST), the PUT
// to the pre-signed URL carries the bytes with no key and no content-type, the
// GET of the download URL has no body, and the results are the fixtures'.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayFileSystem from "@effect-agentbay/core/AgentBayFileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

import * as Fixtures from "./fixtures.js"
import { recordingTracer } from "./tracing.js"

const S1 = Fixtures.sessionId(1)

const run = <A, E>(fixture: Fixtures.Fixture, use: Effect.Effect<A, E, AgentBay.Services>) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.replay(fixture.exchanges.map((e) => e.response))
    const { spans, tracer } = recordingTracer()
    // The raw bodies, beside what `replay` records (it decodes them as forms).
    const bodies: Array<Uint8Array | null> = []
    const client = HttpClient.tapRequest(fake.client, (request) =>
      Effect.sync(() => void bodies.push(request.body._tag === "Uint8Array" ? request.body.body : null)))
    const layer = AgentBay.layer({
      apiKey: Redacted.make(Fixtures.apiKey),
      endpoint: `http://${Fixtures.host}`,
      stamp: false
    })
      .pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
    const result = yield* Effect.either(Effect.provide(use, layer).pipe(Effect.withTracer(tracer)))
    return { result, requests: yield* fake.requests, spans, bodies }
  })

const fs = <A, E>(f: (fs: AgentBayFileSystem.AgentBayFileSystem.Service) => Effect.Effect<A, E, never>) =>
  Effect.flatMap(AgentBayFileSystem.AgentBayFileSystem, f)

// The API exchanges against the fixture's, one for one; the URL exchanges are compared by the caller.
const assertApiRequests = (actual: ReadonlyArray<Fixtures.Recorded>, fixture: Fixtures.Fixture) => {
  assert.deepStrictEqual(
    actual.map((r) => r.url.searchParams.get("Action") ?? `${r.method} ${r.url.pathname}`),
    fixture.exchanges.map((e) =>
      e.request.query.find(([k]) => k === "Action")?.[1] ?? `${e.request.method} ${e.request.path}`
    ),
    "the sequence of exchanges"
  )
  actual.forEach((r, i) => {
    const expected = fixture.exchanges[i]!.request
    if (expected.path === "/") Fixtures.assertRequest(r, expected)
  })
}

const urlExchange = (actual: ReadonlyArray<Fixtures.Recorded>, fixture: Fixtures.Fixture, method: string) => {
  const i = fixture.exchanges.findIndex((e) => e.request.method === method && e.request.path !== "/")
  return { actual: actual[i]!, expected: fixture.exchanges[i]!.request }
}

// Nothing any span recorded holds the pre-signed URL's token, the key or the bytes.
const assertSpansClean = (spans: ReadonlyArray<{ dump(): string }>, secrets: ReadonlyArray<string>) => {
  for (const span of spans) {
    const text = span.dump()
    for (const secret of secrets) assert.notInclude(text, secret)
  }
}

describe("golden: file transfer", () => {
  it.effect("upload-file: GetAndLoadInternalContext, upload URL, PUT of the bytes, sync, both waits, staging delete", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("upload-file")
      const bytes = new TextEncoder().encode("quarterly report\n")
      const path = "/home/wuying/file_transfer/report.txt"
      const { bodies, requests, result, spans } = yield* run(fixture, fs((f) => f.uploadFile(S1, bytes, path)))
      assert.isTrue(Either.isRight(result), String(Either.isLeft(result) && result.left))
      assertApiRequests(requests, fixture)

      const put = urlExchange(requests, fixture, "PUT")
      assert.strictEqual(put.actual.method, "PUT")
      assert.strictEqual(put.actual.url.href, `http://${Fixtures.host}${put.expected.path}`)
      assert.deepStrictEqual(put.actual.query, [], "no query on the pre-signed URL")
      // The bytes, their length, and neither a key nor a content-type (the official client sends none).
      assert.strictEqual(put.actual.headers["content-length"], put.expected.headers["Content-Length"])
      assert.isUndefined(put.actual.headers["content-type"])
      assert.isUndefined(put.actual.headers["authorization"])
      assert.isUndefined(put.actual.headers["x-acs-action"])
      const sentBody = bodies[requests.indexOf(put.actual)]
      assert.strictEqual(new TextDecoder().decode(sentBody!), put.expected.body, "the PUT body is the file's bytes")

      const token = put.expected.path.split("/").pop()!
      assertSpansClean(spans, [token, Fixtures.apiKey, "quarterly report"])
      const span = spans.find((s) => s.name === "AgentBayFileSystem.uploadFile")!
      assert.strictEqual(span.attributes.get("agentbay.session_id"), S1)
      assert.strictEqual(span.attributes.get("agentbay.remote_path"), path)
      assert.isTrue(spans.some((s) => s.name === "AgentBayClient.putUrl"))
    }))

  it.effect("download-file: GetAndLoadInternalContext, sync, both waits, download URL, GET, staging delete; the bytes", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("download-file")
      const path = "/home/wuying/file_transfer/result.csv"
      const { requests, result, spans } = yield* run(fixture, fs((f) => f.downloadFileBytes(S1, path)))
      if (Either.isLeft(result)) return assert.fail(String(result.left))
      assert.strictEqual(new TextDecoder().decode(result.right), "id,value\n1,42\n")
      assert.strictEqual(result.right.length, (fixture.result as { bytesReceived: number }).bytesReceived)
      assertApiRequests(requests, fixture)

      const get = urlExchange(requests, fixture, "GET")
      assert.strictEqual(get.actual.url.href, `http://${Fixtures.host}${get.expected.path}`)
      assert.isNull(get.actual.form, "no body")
      assert.isUndefined(get.actual.headers["authorization"])

      const token = get.expected.path.split("/").pop()!
      assertSpansClean(spans, [token, Fixtures.apiKey, "id,value"])
      const span = spans.find((s) => s.name === "AgentBayFileSystem.downloadFileBytes")!
      assert.strictEqual(span.attributes.get("agentbay.remote_path"), path)
    }))

  it.effect("download-file as a stream: the same exchanges, the staging copy deleted after the bytes are read", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("download-file")
      const path = "/home/wuying/file_transfer/result.csv"
      const { requests, result } = yield* run(
        fixture,
        fs((f) => Stream.runCollect(f.downloadFile(S1, path)))
      )
      if (Either.isLeft(result)) return assert.fail(String(result.left))
      const text = Chunk.toReadonlyArray(result.right).map((c) => new TextDecoder().decode(c)).join("")
      assert.strictEqual(text, "id,value\n1,42\n")
      assertApiRequests(requests, fixture)
      assert.strictEqual(requests.at(-1)!.url.searchParams.get("Action"), "DeleteContextFile")
    }))

  it.effect("session.filesystem offers the transfers bound to the session", () =>
    Effect.gen(function*() {
      const get = Fixtures.load("get")
      const upload = Fixtures.load("upload-file")
      const fixture: Fixtures.Fixture = { ...upload, exchanges: [...get.exchanges, ...upload.exchanges] }
      const { requests, result } = yield* run(
        fixture,
        Effect.flatMap(AgentBay.AgentBay, (bay) =>
          Effect.flatMap(bay.get(S1), (session) =>
            session.filesystem.uploadFile(
              new TextEncoder().encode("quarterly report\n"),
              "/home/wuying/file_transfer/report.txt"
            )))
      )
      assert.isTrue(Either.isRight(result), String(Either.isLeft(result) && result.left))
      assertApiRequests(requests, fixture)
    }))
})
