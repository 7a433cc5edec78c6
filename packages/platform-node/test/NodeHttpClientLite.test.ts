// The lite HTTP client against real local node:http servers (127.0.0.1, each
// closed by the test that started it): what it sends, statuses, headers and
// bodies (large, chunked, cut short), connection reuse, abort on interruption,
// transport errors, the body size limit, the platform fallback; then the SDK over
// it with the live clock: the attempt timeout and interruption reach the socket.
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as NodeHttpClientLite from "@effect-agentbay/platform-node/NodeHttpClientLite"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

interface TestServer {
  readonly url: string
  readonly seen: Array<Seen>
  /** Sockets the server accepted so far. */
  readonly connections: () => number
}

// A server on 127.0.0.1 answering with `handler` (after reading the request
// body), closed with the test's scope.
const serve = (
  handler: (req: Http.IncomingMessage, res: Http.ServerResponse, body: string) => void
): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: Http.Server; state: TestServer }>((resume) => {
      const seen: Array<Seen> = []
      let connections = 0
      const server = Http.createServer((req, res) => {
        let body = ""
        req.setEncoding("utf8")
        req.on("data", (c: string) => (body += c))
        req.on("end", () => {
          seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
          handler(req, res, body)
        })
      })
      server.on("connection", () => connections++)
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(
          Effect.succeed({ server, state: { url: `http://127.0.0.1:${port}`, seen, connections: () => connections } })
        )
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))

const lite = Effect.flatMap(NodeHttpClientLite.make(), (client) =>
  // The SDK's requests are untraced: the fast path.
  Effect.succeed(HttpClient.withTracerDisabledWhen(client, () => true)))

// Guards a wait on the server's side, so that a broken client fails the test
// instead of hanging it.
const within = <A, E>(self: Effect.Effect<A, E>) =>
  Effect.timeoutFail(self, { duration: "5 seconds", onTimeout: () => new Error("the server saw nothing in 5 s") })

describe("NodeHttpClientLite: requests and responses", () => {
  it.scoped("sends method, path, query, headers and body; reads status, headers and body", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(201, { "content-type": "application/json", "x-reply": "yes", "set-cookie": ["a=1", "b=2"] })
        res.end(JSON.stringify({ ok: true }))
      })
      const client = yield* lite
      const response = yield* HttpClientRequest.post(`${server.url}/path?fixed=1`).pipe(
        HttpClientRequest.setUrlParams({ Action: "GetSession", note: "a b&c" }),
        HttpClientRequest.setHeader("x-acs-action", "GetSession"),
        HttpClientRequest.bodyUrlParams({ Authorization: "Bearer k", SessionId: "s-1" }),
        client.execute
      )
      assert.strictEqual(response.status, 201)
      assert.strictEqual(response.headers["x-reply"], "yes")
      assert.deepStrictEqual(yield* response.json, { ok: true })
      assert.strictEqual(yield* response.text, "{\"ok\":true}")
      assert.deepStrictEqual(Object.keys(response.cookies.cookies).sort(), ["a", "b"])
      assert.isTrue(Option.isSome(response.remoteAddress))

      const [seen] = server.seen
      assert.strictEqual(seen!.method, "POST")
      const url = new URL(seen!.url, server.url)
      assert.strictEqual(url.pathname, "/path")
      assert.deepStrictEqual([...url.searchParams], [["fixed", "1"], ["Action", "GetSession"], ["note", "a b&c"]])
      assert.strictEqual(seen!.headers["x-acs-action"], "GetSession")
      assert.strictEqual(seen!.headers["content-type"], "application/x-www-form-urlencoded")
      assert.strictEqual(seen!.headers["content-length"], String(Buffer.byteLength(seen!.body)))
      assert.deepStrictEqual([...new URLSearchParams(seen!.body)], [["Authorization", "Bearer k"], [
        "SessionId",
        "s-1"
      ]])
    }))

  it.scoped("credentials in the URL are sent as basic auth, as node:http does", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res) => res.end(req.headers.authorization ?? "none"))
      const client = yield* lite
      const response = yield* client.get(server.url.replace("http://", "http://us%40er:p%3Ass@"))
      assert.strictEqual(yield* response.text, `Basic ${Buffer.from("us@er:p:ss").toString("base64")}`)
    }))

  it.scoped("a GET has no body; error statuses are responses, not failures", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res) => {
        const status = Number(new URL(req.url ?? "/", "http://h").searchParams.get("status"))
        res.writeHead(status, { "content-type": "text/plain" })
        res.end(`status ${status}`)
      })
      const client = yield* lite
      for (const status of [200, 204, 401, 404, 500, 503]) {
        const response = yield* client.get(`${server.url}/?status=${status}`)
        assert.strictEqual(response.status, status)
        assert.strictEqual(yield* response.text, status === 204 ? "" : `status ${status}`)
      }
      assert.isTrue(server.seen.every((s) => s.method === "GET" && s.body === "" && !("content-length" in s.headers)))
    }))

  it.scoped("large and chunked bodies arrive whole, through every accessor", () =>
    Effect.gen(function*() {
      const big = "0123456789abcdef".repeat(256 * 1024) // 4 MiB
      const parts = ["first,", "second,", "third"]
      const server = yield* serve((req, res) => {
        if (req.url === "/big") {
          res.writeHead(200, { "content-type": "text/plain", "content-length": big.length })
          res.end(big)
        } else {
          // No content-length: node sends Transfer-Encoding: chunked.
          res.writeHead(200, { "content-type": "text/plain" })
          parts.forEach((p, i) => setTimeout(() => (i === parts.length - 1 ? res.end(p) : res.write(p)), 10 * i))
        }
      })
      const client = yield* lite
      const large = yield* client.get(`${server.url}/big`)
      const text = yield* large.text
      assert.strictEqual(text.length, big.length)
      assert.isTrue(text === big)
      assert.strictEqual((yield* large.arrayBuffer).byteLength, big.length)

      const chunked = yield* client.get(`${server.url}/chunked`)
      assert.strictEqual(chunked.headers["transfer-encoding"], "chunked")
      assert.strictEqual(yield* chunked.text, parts.join(""))
      const streamed = yield* Stream.runCollect(chunked.stream)
      assert.strictEqual(Buffer.concat(Chunk.toArray(streamed)).toString("utf8"), parts.join(""))
    }))

  it.scoped("sequential requests reuse one keep-alive connection", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => res.end("ok"))
      const client = yield* lite
      for (let i = 0; i < 20; i++) {
        const response = yield* client.post(`${server.url}/`, { body: HttpBody.text(`n=${i}`) })
        assert.strictEqual(yield* response.text, "ok")
      }
      assert.strictEqual(server.seen.length, 20)
      assert.strictEqual(server.connections(), 1)
    }))

  it.scoped("a body cut short by the server is a ResponseError", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => {
        res.writeHead(200, { "content-length": 1000 })
        res.write("only part of it")
        setTimeout(() => res.destroy(), 10)
      })
      const client = yield* lite
      const error = yield* Effect.flip(client.get(server.url))
      assert.strictEqual(error._tag, "ResponseError")
      if (error._tag === "ResponseError") assert.strictEqual(error.reason, "Decode")
    }))

  it.scoped("a body over MaxBodySize is a ResponseError", () =>
    Effect.gen(function*() {
      const server = yield* serve((_, res) => res.end("x".repeat(10_000)))
      const client = yield* lite
      const error = yield* Effect.flip(
        client.get(server.url).pipe(IncomingMessage.withMaxBodySize(Option.some(1_000)))
      )
      assert.strictEqual(error._tag, "ResponseError")
      const ok = yield* client.get(server.url).pipe(IncomingMessage.withMaxBodySize(Option.some(20_000)))
      assert.strictEqual((yield* ok.text).length, 10_000)
    }))
})

describe("NodeHttpClientLite: failures and interruption", () => {
  it.scoped("connection refused is a RequestError (Transport)", () =>
    Effect.gen(function*() {
      // A port that was free a moment ago: nothing listens there now.
      const port = yield* Effect.async<number>((resume) => {
        const s = Http.createServer()
        s.listen(0, "127.0.0.1", () => {
          const { port } = s.address() as AddressInfo
          s.close(() => resume(Effect.succeed(port)))
        })
      })
      const client = yield* lite
      const error = yield* Effect.flip(client.get(`http://127.0.0.1:${port}/`))
      assert.strictEqual(error._tag, "RequestError")
      if (error._tag === "RequestError") {
        assert.strictEqual(error.reason, "Transport")
        assert.include(String((error.cause as Error).message), "ECONNREFUSED")
      }
    }))

  it.scoped("a URL that is not http(s) is a RequestError (InvalidUrl)", () =>
    Effect.gen(function*() {
      const client = yield* lite
      for (const url of ["ftp://127.0.0.1/", "not a url"]) {
        const error = yield* Effect.flip(client.get(url))
        assert.deepInclude(error, { _tag: "RequestError", reason: "InvalidUrl" }, url)
      }
    }))

  it.scoped("interrupting a request in flight closes its connection", () =>
    Effect.gen(function*() {
      const arrived = yield* Deferred.make<void>()
      const closed = yield* Deferred.make<void>()
      const server = yield* serve((req) => {
        // Never answers; tells the test when the client hangs up.
        req.socket.on("close", () => Deferred.unsafeDone(closed, Exit.void))
        Deferred.unsafeDone(arrived, Exit.void)
      })
      const client = yield* lite
      const fiber = yield* Effect.fork(client.get(server.url))
      yield* within(Deferred.await(arrived))
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(exit))
      yield* within(Deferred.await(closed))
      assert.isTrue(yield* Deferred.isDone(closed))
    }))

  it.scoped("traced requests and FormData bodies go through the platform client, and work", () =>
    Effect.gen(function*() {
      const server = yield* serve((req, res, body) =>
        res.end(`${req.headers["content-type"]?.split(";")[0]} ${body.length > 0}`)
      )
      const client = yield* NodeHttpClientLite.make() // tracing on: the platform's node:http client
      const traced = yield* client.post(server.url, { body: HttpBody.text("hello") })
      assert.strictEqual(yield* traced.text, "text/plain true")
      const form = new FormData()
      form.append("field", "value")
      const untraced = HttpClient.withTracerDisabledWhen(client, () => true)
      const multipart = yield* untraced.post(server.url, { body: HttpBody.formData(form) })
      assert.strictEqual(yield* multipart.text, "multipart/form-data true")
    }))
})

describe("the SDK over NodeHttpClientLite (live clock)", () => {
  // A server that takes requests and never answers; `closed` counts the
  // connections the client hung up.
  const silent = Effect.gen(function*() {
    const arrived = yield* Deferred.make<void>()
    const closed = yield* Deferred.make<void>()
    const server = yield* serve((req) => {
      req.socket.on("close", () => Deferred.unsafeDone(closed, Exit.void))
      Deferred.unsafeDone(arrived, Exit.void)
    })
    return { server, arrived, closed }
  })
  const bay = (endpoint: string) =>
    NodeAgentBay.layerWith({ apiKey: Redacted.make("sk-lite"), endpoint, timeout: "200 millis", dotEnv: false })

  it.scopedLive("an attempt with no answer times out and its connection is closed", () =>
    Effect.gen(function*() {
      const { closed, server } = yield* silent
      // CreateMcpSession is not retried: one attempt, one timeout.
      const error = yield* Effect.flip(
        Effect.provide(Effect.flatMap(AgentBay.AgentBay, (b) => b.create()), bay(server.url))
      )
      assert.deepInclude(error, { _tag: "TransportError", reason: "Timeout", action: "CreateMcpSession" })
      yield* within(Deferred.await(closed))
      assert.strictEqual(server.seen.length, 1)
    }))

  it.scopedLive("interrupting a call closes its connection", () =>
    Effect.gen(function*() {
      const { arrived, closed, server } = yield* silent
      const layer = NodeAgentBay.layerWith({ apiKey: Redacted.make("sk-lite"), endpoint: server.url, dotEnv: false })
      const fiber = yield* Effect.fork(Effect.provide(Effect.flatMap(AgentBay.AgentBay, (b) => b.get("s-1")), layer))
      yield* within(Deferred.await(arrived))
      assert.isTrue(Exit.isInterrupted(yield* Fiber.interrupt(fiber)))
      yield* within(Deferred.await(closed))
      assert.isTrue(yield* Deferred.isDone(closed))
    }))

  it.scopedLive("a read answered after a first timeout succeeds on its retry", () =>
    Effect.gen(function*() {
      let calls = 0
      const server = yield* serve((_, res) => {
        if (++calls === 1) return // the first attempt hangs
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ RequestId: "r", Success: true, Data: { SessionId: "s-1", Status: "RUNNING" } }))
      })
      const session = yield* Effect.provide(Effect.flatMap(AgentBay.AgentBay, (b) => b.get("s-1")), bay(server.url))
      assert.strictEqual(session.status, "RUNNING")
      assert.strictEqual(server.seen.length, 2)
    }))
})
