// The HTTP edge under hostile clients, over raw sockets (net.connect) on
// 127.0.0.1: requests Node refuses itself still get JSON envelopes; stalled
// senders cannot hold memory past the in-flight cap nor connections past the
// timeouts; a bad key in the query is refused before the body is read; a URL
// fragment is not part of the action (defects 2, 5 and 6 of "Performance and
// reliability"). Every socket opened here is destroyed by the test that opened it.
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as net from "node:net"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { form, portOf, raw, sandboxDouble } from "./utils.js"

const key = "akl-hardening-http"
const auth = `Bearer ${key}`

/** What came back on one connection, up to its close. */
interface Answer {
  readonly status: number
  readonly json: any
  readonly text: string
}

const parse = (bytes: Buffer): Answer => {
  const text = bytes.toString("utf8")
  const split = text.indexOf("\r\n\r\n")
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
  let json: unknown
  try {
    json = JSON.parse(split < 0 ? "" : text.slice(split + 4))
  } catch {
    json = undefined
  }
  return { status, json, text }
}

/** Writes `request` on a fresh connection (then half-closes it if `end`), reads until the server closes. */
const exchange = (port: number, request: string | Buffer, options: { readonly end?: boolean } = {}) =>
  Effect.async<Answer>((resume) => {
    const socket = net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("error", () => {}) // a reset is followed by close
    socket.on("close", () => resume(Effect.succeed(parse(Buffer.concat(chunks)))))
    socket.write(request)
    if (options.end) socket.end()
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeout("10 seconds"))

const expectEnvelope = (answer: Answer, status: number, code: string) => {
  assert.strictEqual(answer.status, status, answer.text)
  assert.deepStrictEqual(Object.keys(answer.json ?? {}), ["RequestId", "Success", "Code", "Message", "HttpStatusCode"])
  assert.strictEqual(answer.json.Success, false)
  assert.strictEqual(answer.json.Code, code)
  assert.strictEqual(answer.json.HttpStatusCode, status)
  assert.isTrue(typeof answer.json.RequestId === "string" && answer.json.RequestId.length > 0)
}

const port = Effect.map(AgentBayLocal.Info, (info) => portOf(info.endpoint))

const formHeaders = { "content-type": "application/x-www-form-urlencoded" }

const post = (action: string, fields: Record<string, string>) =>
  Effect.flatMap(
    port,
    (p) => raw(p, { path: `/?Action=${action}`, headers: formHeaders, body: form({ Authorization: auth, ...fields }) })
  )

const head = (lines: ReadonlyArray<string>) => lines.join("\r\n") + "\r\n\r\n"

const post1 = (target: string, ...headers: ReadonlyArray<string>) =>
  head([`POST ${target} HTTP/1.1`, "Host: 127.0.0.1", ...headers])

const formType = "Content-Type: application/x-www-form-urlencoded"

const server = (options: AgentBayLocal.ServerOptions = {}) =>
  AgentBayLocal.layerServerWith(
    { apiKeys: [Redacted.make(key)], transitionDelay: 0, ...options },
    () => sandboxDouble().layer
  )

layer(server(), { excludeTestServices: true, timeout: "60 seconds" })("envelopes where Node refuses", (it) => {
  it.effect("malformed framing, missing Host, oversized headers, undecodable paths: all envelopes", () =>
    Effect.gen(function*() {
      const p = yield* port
      // An undecodable path (an empty 404 before).
      expectEnvelope(
        yield* exchange(p, head(["GET /%zz?Action=GetSession HTTP/1.1", "Host: 127.0.0.1", "Connection: close"])),
        404,
        "InvalidAction.NotFound"
      )
      // HTTP/1.1 without Host (Node's bare 400 before).
      expectEnvelope(
        yield* exchange(p, head(["POST /?Action=GetSession HTTP/1.1", "Content-Length: 0", "Connection: close"])),
        400,
        "InvalidParameter"
      )
      // A request line past 16 KiB (Node's bare 431 before).
      const pad = "a".repeat(17 * 1024)
      expectEnvelope(
        yield* exchange(p, head([`GET /?Action=GetSession&Pad=${pad} HTTP/1.1`, "Host: 127.0.0.1"])),
        431,
        "RequestTooLarge"
      )
      // A body shorter than its Content-Length, then end of input.
      expectEnvelope(
        yield* exchange(
          p,
          post1("/?Action=GetSession", formType, "Content-Length: 100") +
            "Authorization=x",
          { end: true }
        ),
        400,
        "InvalidParameter"
      )
      // Content-Length and Transfer-Encoding together.
      expectEnvelope(
        yield* exchange(
          p,
          post1("/?Action=GetSession", "Content-Length: 5", "Transfer-Encoding: chunked") +
            "0\r\n\r\n"
        ),
        400,
        "InvalidParameter"
      )
      // A chunk size that is not hex.
      expectEnvelope(
        yield* exchange(
          p,
          post1("/?Action=GetSession", "Transfer-Encoding: chunked") + "zz\r\nab\r\n"
        ),
        400,
        "InvalidParameter"
      )
      // The server still answers.
      assert.strictEqual((yield* post("ListSession", {})).status, 200)
    }))

  it.effect("a fragment is not part of the action name", () =>
    Effect.gen(function*() {
      const id: string = (yield* post("CreateMcpSession", {})).json.Data.SessionId
      const p = yield* port
      const body = form({ Authorization: auth, SessionId: id })
      const answer = yield* exchange(
        p,
        head([
          "POST /?Action=GetSession#x HTTP/1.1",
          "Host: 127.0.0.1",
          "Content-Type: application/x-www-form-urlencoded",
          `Content-Length: ${body.length}`,
          "Connection: close"
        ]) + body
      )
      assert.strictEqual(answer.status, 200, answer.text)
      assert.strictEqual(answer.json.Data.SessionId, id)
    }))

  it.effect("a rejected key in the query is a 401 before the body is read", () =>
    Effect.gen(function*() {
      const p = yield* port
      const query = form({ Action: "SyncContext", Authorization: "Bearer akl-wrong" })
      // Declares 8 MiB - 1 and sends none of it: the answer cannot wait for the body.
      expectEnvelope(
        yield* exchange(
          p,
          post1(`/?${query}`, formType, `Content-Length: ${8 * 1024 * 1024 - 1}`)
        ),
        401,
        "InvalidApiKey"
      )
    }))
})

const MiB = 1024 * 1024

const Limited = server({
  maxBodyBytesInFlight: 4 * MiB,
  bodyWait: "300 millis",
  headersTimeout: "1 second",
  requestTimeout: "2 seconds",
  keepAliveTimeout: "500 millis",
  maxConnections: 64
})

/** A client that sends headers and `bytes` of a `declared`-byte body (or nothing at all if `silent`), then stalls. */
const stall = (port: number, declared: number, bytes: number, options: { readonly silent?: boolean } = {}) => {
  const socket = net.connect(port, "127.0.0.1")
  const chunks: Array<Buffer> = []
  const state = { closed: false, answer: () => parse(Buffer.concat(chunks)), socket }
  socket.on("data", (chunk: Buffer) => chunks.push(chunk))
  socket.on("error", () => {})
  socket.on("close", () => {
    state.closed = true
  })
  if (options.silent) return state
  socket.write(
    post1("/?Action=ListSession", formType, `Content-Length: ${declared}`)
  )
  if (bytes > 0) socket.write(Buffer.alloc(bytes, 0x61))
  return state
}

// Polls `done` every 100 ms, at most `seconds`.
const waitUntil = (done: () => boolean, seconds: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < seconds * 10 && !done(); i++) yield* Effect.sleep("100 millis")
  })

layer(Limited, { excludeTestServices: true, timeout: "60 seconds" })("stalled senders", (it) => {
  it.scoped("40 stalled 1 MiB senders: the in-flight cap holds, a normal request answers, timeouts close them", () =>
    Effect.gen(function*() {
      const p = yield* port
      const senders = Array.from({ length: 40 }, () => stall(p, MiB, MiB - 1))
      yield* Effect.addFinalizer(() => Effect.sync(() => senders.forEach((s) => s.socket.destroy())))
      // Those that cannot get their share within bodyWait get a 503 envelope; 4 MiB holds 4 of them.
      yield* waitUntil(() => senders.filter((s) => s.closed).length >= 36, 10)
      const refused = senders.filter((s) => s.closed)
      assert.isAtLeast(refused.length, 36)
      for (const s of refused) expectEnvelope(s.answer(), 503, "ServiceUnavailable")
      // A normal request answers while the others still hold their shares.
      assert.isTrue(senders.some((s) => !s.closed))
      const list = yield* post("ListSession", {}).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(list.status, 200, list.text)
      // requestTimeout (2 s) closes the rest, with a 408 envelope.
      yield* waitUntil(() => senders.every((s) => s.closed), 10)
      const held = senders.filter((s) => !refused.includes(s))
      assert.isTrue(senders.every((s) => s.closed))
      for (const s of held) expectEnvelope(s.answer(), 408, "RequestTimeout")
    }))

  it.scoped("a chunked body that cannot get its share is read, dropped and refused with a 503", () =>
    Effect.gen(function*() {
      const p = yield* port
      // Four stalled 1 MiB senders hold almost all of the 4 MiB.
      const holders = Array.from({ length: 4 }, () => stall(p, MiB, MiB - 1))
      yield* Effect.addFinalizer(() => Effect.sync(() => holders.forEach((s) => s.socket.destroy())))
      yield* Effect.sleep("500 millis")
      assert.isTrue(holders.every((s) => !s.closed))
      const chunk = "a".repeat(64 * 1024)
      const body = `${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(16) + "0\r\n\r\n"
      const answer = yield* exchange(
        p,
        post1("/?Action=ListSession", formType, "Transfer-Encoding: chunked") + body
      )
      expectEnvelope(answer, 503, "ServiceUnavailable")
      assert.strictEqual((yield* post("ListSession", {})).status, 200)
    }))

  it.scoped("silent connections are closed by headersTimeout; connections past maxConnections are refused", () =>
    Effect.gen(function*() {
      const p = yield* port
      // Connected, never sending a byte: 64, the cap.
      const idle = Array.from({ length: 64 }, () => stall(p, 0, 0, { silent: true }))
      yield* Effect.addFinalizer(() => Effect.sync(() => idle.forEach((s) => s.socket.destroy())))
      yield* Effect.sleep("300 millis")
      // The 65th is closed at once, unanswered (it is over the cap) ...
      const extra = yield* exchange(p, head(["GET /?Action=ListSession HTTP/1.1", "Host: 127.0.0.1"]))
      assert.strictEqual(extra.status, 0)
      // ... and the silent ones by the headers timeout (1 s), with a 408 envelope.
      yield* waitUntil(() => idle.every((s) => s.closed), 10)
      assert.isTrue(idle.every((s) => s.closed))
      for (const s of idle) expectEnvelope(s.answer(), 408, "RequestTimeout")
      assert.strictEqual((yield* post("ListSession", {})).status, 200)
    }))

  it.scoped("a kept-alive connection is closed once idle for keepAliveTimeout", () =>
    Effect.gen(function*() {
      const p = yield* port
      const body = form({ Authorization: auth })
      const client = stall(p, body.length, 0)
      yield* Effect.addFinalizer(() => Effect.sync(() => client.socket.destroy()))
      client.socket.write(body)
      yield* waitUntil(() => client.answer().status !== 0, 5)
      assert.strictEqual(client.answer().status, 200)
      // Still open right after the answer (keep-alive), closed after 500 ms of idleness.
      assert.isFalse(client.closed)
      yield* waitUntil(() => client.closed, 10)
      assert.isTrue(client.closed)
    }))
})
