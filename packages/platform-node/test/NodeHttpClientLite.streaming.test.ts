// The lite client's large bodies, against real node:http servers on 127.0.0.1
// (each closed by its test): a body past `streamAbove` (announced, or seen
// growing) is handed out before it has ended and read as pulled; a cut while
// streaming is a ResponseError; the buffering accessors still collect it, under
// MaxBodySize; a stream request body goes out with its content-length. Live
// clock: a guard of 10 s fails a test that would otherwise hang.
import { createHash } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

import * as NodeHttpClientLite from "@effect-agentbay/platform-node/NodeHttpClientLite"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

// A server on 127.0.0.1 answering with `handler`, closed with the test's scope.
const serve = (handler: (req: Http.IncomingMessage, res: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer(handler)
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

const lite: Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> = Effect.map(
  NodeHttpClientLite.make(),
  (client) => HttpClient.withTracerDisabledWhen(client, () => true)
)

const MiB = 1024 * 1024
const chunk = (i: number) => Buffer.alloc(64 * 1024, i & 0xff)
const sha = (parts: Iterable<Uint8Array>) => {
  const h = createHash("sha256")
  for (const p of parts) h.update(p)
  return h.digest("hex")
}

const within = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(self, { duration: "10 seconds", onTimeout: () => new Error("nothing happened in 10 s") })

describe("NodeHttpClientLite: large response bodies stream", () => {
  it.scopedLive("a body announced past streamAbove: execute returns before the server has sent it all", () =>
    Effect.gen(function*() {
      const rest = yield* Deferred.make<void>()
      const parts = Array.from({ length: 64 }, (_, i) => chunk(i)) // 4 MiB
      const url = yield* serve((_, res) => {
        res.writeHead(200, { "content-length": String(parts.length * 64 * 1024) })
        res.write(parts[0])
        // The rest only once the client holds a response: a client that waits for the end never gets it.
        Effect.runFork(Effect.andThen(Deferred.await(rest), () => {
          for (const p of parts.slice(1)) res.write(p)
          res.end()
        }))
      })
      const client = yield* lite
      const response = yield* within(client.get(url))
      yield* Deferred.succeed(rest, void 0)
      const got: Array<Uint8Array> = []
      yield* within(Stream.runForEach(response.stream, (c) => Effect.sync(() => void got.push(c))))
      assert.strictEqual(sha(got), sha(parts))
    }))

  it.scopedLive("a chunked body (no length) growing past streamAbove is handed out too; text collects it", () =>
    Effect.gen(function*() {
      const rest = yield* Deferred.make<void>()
      const parts = Array.from({ length: 40 }, (_, i) => chunk(i + 1)) // 2.5 MiB
      const url = yield* serve((_, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        for (const p of parts.slice(0, 20)) res.write(p) // 1.25 MiB: past the threshold
        Effect.runFork(Effect.andThen(Deferred.await(rest), () => {
          for (const p of parts.slice(20)) res.write(p)
          res.end()
        }))
      })
      const client = yield* lite
      const response = yield* within(client.get(url))
      assert.strictEqual(response.headers["transfer-encoding"], "chunked")
      yield* Deferred.succeed(rest, void 0)
      const text = yield* within(response.text)
      assert.strictEqual(text.length, 40 * 64 * 1024)
      assert.strictEqual(createHash("sha256").update(text, "latin1").digest("hex"), sha(parts))
      // Read once: the stream now gives the collected body.
      const again = yield* Stream.runCollect(response.stream)
      assert.strictEqual([...again].reduce((n, c) => n + c.length, 0), text.length)
    }))

  it.scopedLive("a streamed body cut by the server is a ResponseError (Decode)", () =>
    Effect.gen(function*() {
      const url = yield* serve((_, res) => {
        res.writeHead(200, { "content-length": String(8 * MiB) })
        res.write(Buffer.alloc(2 * MiB, 1), () => setTimeout(() => res.destroy(), 20))
      })
      const client = yield* lite
      const response = yield* within(client.get(url))
      const error = yield* within(Effect.flip(Stream.runDrain(response.stream)))
      assert.deepInclude(error, { _tag: "ResponseError", reason: "Decode" })
    }))

  it.scopedLive("collecting a streamed body is bounded by MaxBodySize", () =>
    Effect.gen(function*() {
      const url = yield* serve((_, res) => {
        res.writeHead(200, { "content-length": String(3 * MiB) })
        res.end(Buffer.alloc(3 * MiB, 2))
      })
      const client = yield* lite
      const response = yield* within(
        client.get(url).pipe(IncomingMessage.withMaxBodySize(Option.some(2 * MiB)))
      )
      const error = yield* Effect.flip(response.arrayBuffer)
      assert.deepInclude(error, { _tag: "ResponseError", reason: "Decode" })
    }))

  it.scopedLive("ending a streamed body early closes its connection", () =>
    Effect.gen(function*() {
      const closed = yield* Deferred.make<void>()
      const url = yield* serve((req, res) => {
        req.socket.on("close", () => Deferred.unsafeDone(closed, Exit.void))
        res.writeHead(200, { "content-length": String(64 * MiB) })
        const pump = () => {
          while (res.write(Buffer.alloc(64 * 1024, 3))) { /* until the socket is full */ }
        }
        res.on("drain", pump)
        pump()
      })
      const client = yield* lite
      const response = yield* within(client.get(url))
      const first = yield* Stream.runCollect(Stream.take(response.stream, 2))
      assert.strictEqual(first.length, 2)
      yield* within(Deferred.await(closed))
    }))
})

describe("NodeHttpClientLite: stream request bodies", () => {
  it.scopedLive("go out with their content-length, byte for byte", () =>
    Effect.gen(function*() {
      const parts = Array.from({ length: 48 }, (_, i) => chunk(i + 5)) // 3 MiB
      const url = yield* serve((req, res) => {
        const h = createHash("sha256")
        let n = 0
        req.on("data", (c: Buffer) => {
          h.update(c)
          n += c.length
        })
        req.on("end", () =>
          res.end(`${req.headers["content-length"]} ${req.headers["transfer-encoding"]} ${n} ${h.digest("hex")}`))
      })
      const client = yield* lite
      const response = yield* within(client.execute(
        HttpClientRequest.put(url).pipe(
          HttpClientRequest.bodyStream(Stream.fromIterable(parts), { contentLength: 3 * MiB, contentType: "" })
        )
      ))
      assert.strictEqual(yield* response.text, `${3 * MiB} undefined ${3 * MiB} ${sha(parts)}`)
    }))

  it.scopedLive("a failing stream body is a RequestError (Encode) carrying the failure", () =>
    Effect.gen(function*() {
      const url = yield* serve((req, res) => {
        req.resume()
        req.on("end", () => res.end("ok"))
      })
      const client = yield* lite
      const body = Stream.concat(Stream.make(chunk(1)), Stream.fail("source broke"))
      const error = yield* within(Effect.flip(client.execute(
        HttpClientRequest.put(url).pipe(HttpClientRequest.bodyStream(body, { contentType: "" }))
      )))
      assert.deepInclude(error, { _tag: "RequestError", reason: "Encode", cause: "source broke" })
    }))

  it.scopedLive("a server answering before taking the body: the answer comes, and the rest is never pulled", () =>
    Effect.gen(function*() {
      const url = yield* serve((_, res) => res.writeHead(403).end("no"))
      const client = yield* lite
      let pulled = 0
      const body = Stream.unfold(0, (i) => i < 800 ? Option.some([chunk(i), i + 1] as const) : Option.none()).pipe(
        Stream.tap((c) => Effect.sync(() => void (pulled += c.length)))
      )
      const response = yield* within(client.execute(
        HttpClientRequest.put(url).pipe(
          HttpClientRequest.bodyStream(body, { contentLength: 800 * 64 * 1024, contentType: "" })
        )
      ))
      assert.strictEqual(response.status, 403)
      assert.isBelow(pulled, 800 * 64 * 1024)
    }))
})
