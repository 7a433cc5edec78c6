// Session links end to end through the real local server (process mode): a web server started INSIDE a
// session with CallMcpTool shell answers through the URL GetLink hands out, and every refusal is an error
// envelope. Real processes and sockets, so real time; every wait is bounded and everything is on 127.0.0.1.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as Wire from "@effect-agentbay/core/Wire"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Net from "node:net"
import * as AgentBayLocal from "../src/AgentBayLocal.js"

/** True when nothing listens on 127.0.0.1:port (we could bind it). */
const isFree = (port: number) =>
  Effect.async<boolean>((resume) => {
    const server = Net.createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.succeed(true))))
  })

/** A free port of the links' range (30100..30199), from 30150 on, skipping `taken`. */
const freePort = (taken: ReadonlyArray<number> = []) =>
  Effect.gen(function*() {
    const candidates = Array.from({ length: 100 }, (_, i) => 30100 + ((i + 50) % 100))
    for (const port of candidates.filter((p) => !taken.includes(p)).slice(0, 20)) {
      if (yield* isFree(port)) return port
    }
    return yield* Effect.dieMessage("no free port in 30150..30199, 30100..")
  })

interface Answer {
  readonly status: number
  readonly bytes: Uint8Array
  readonly contentType: string | null
}

/** One request with `fetch`, bounded by 5 seconds. */
const get = (url: string) =>
  Effect.promise(async (): Promise<Answer> => {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    const bytes = new Uint8Array(await response.arrayBuffer())
    return { status: response.status, bytes, contentType: response.headers.get("content-type") }
  })

/** The answer must be an error envelope with this status and code. */
const envelope = (answer: Answer, status: number, code: string) => {
  const body = JSON.parse(new TextDecoder().decode(answer.bytes))
  assert.strictEqual(answer.status, status, JSON.stringify(body))
  assert.strictEqual(body.Success, false)
  assert.strictEqual(body.Code, code)
  assert.strictEqual(body.HttpStatusCode, status)
  assert.isString(body.RequestId)
  assert.isString(body.Message)
}

const page = "<h1>Hello from inside the session ✓</h1>\n"

layer(AgentBayLocal.layer({ isolation: "process" }), { excludeTestServices: true, timeout: "30 seconds" })(
  "LocalLink",
  (it) => {
    it.effect("a web server started inside a session answers through the session's link", () =>
      Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const client = yield* AgentBayClient.AgentBayClient
        const session = yield* bay.create()
        const written = yield* client.callMcpTool(session.id, "write_file", {
          path: "/home/wuying/site/index.html",
          content: page,
          mode: "overwrite"
        })
        assert.isFalse(written.isError)
        const port = yield* freePort()
        // A command's processes end with it: the server lives while this call runs (at most 15 s).
        const serving = yield* Effect.fork(client.callMcpTool(session.id, "shell", {
          command: `exec python3 -m http.server ${port} --bind 127.0.0.1`,
          cwd: "/home/wuying/site",
          timeout_ms: 15_000
        }, { timeout: "20 seconds" }))
        const url = yield* client.getLink(session.id, { port })
        assert.isTrue(url.endsWith(`/link/${session.id}/port/${port}`), url)

        // Until python listens the link answers 502; poll (every 100 ms, at most 10 s).
        let answer = yield* get(`${url}/index.html`)
        for (let i = 0; i < 100 && answer.status === 502; i++) {
          yield* Effect.sleep("100 millis")
          answer = yield* get(`${url}/index.html`)
        }
        const why = `${new TextDecoder().decode(answer.bytes)}; the shell call: ${yield* Fiber.poll(serving)}`
        assert.strictEqual(answer.status, 200, why)
        assert.deepStrictEqual(answer.bytes, new TextEncoder().encode(page))
        assert.include(answer.contentType ?? "", "text/html")
        // The inside server's own statuses pass through as they are (not envelopes).
        const missing = yield* get(`${url}/missing.html`)
        assert.strictEqual(missing.status, 404)
        assert.include(new TextDecoder().decode(missing.bytes), "File not found")

        // Deleting the session kills the server: the call returns and the port is free again.
        yield* bay.delete(session)
        const ended = yield* Fiber.join(serving).pipe(Effect.either, Effect.timeoutOption("10 seconds"))
        assert.isTrue(Option.isSome(ended), "the shell call is still running after the session was deleted")
        // It ran until killed (128 + SIGKILL), and its log shows the requests the link forwarded.
        const result = Either.getOrThrow(ended.pipe(Option.getOrThrow))
        const shell = Either.getOrThrow(McpTool.decodeResult(McpTool.Shell, McpTool.textOf(result)))
        assert.strictEqual(shell.exit_code, 137, shell.stderr)
        assert.include(shell.stderr, `"GET /index.html HTTP/1.1" 200`)
        let free = yield* isFree(port)
        for (let i = 0; i < 20 && !free; i++) {
          yield* Effect.sleep("100 millis")
          free = yield* isFree(port)
        }
        assert.isTrue(free, `port ${port} is still taken after the session was deleted`)
      }))

    it.effect("refusals are error envelopes: bad port 400, unknown session 404, paused 409, nothing there 502", () =>
      Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const client = yield* AgentBayClient.AgentBayClient
        const info = yield* AgentBayLocal.Info
        const session = yield* bay.create()
        const port = yield* freePort()
        const url = yield* client.getLink(session.id, { port })

        envelope(yield* get(`${url}/`), 502, "Link.Unreachable")
        for (const bad of [8080, 30099, 30200, 0]) {
          envelope(yield* get(`${info.endpoint}/link/${session.id}/port/${bad}/`), 400, Wire.Code.InvalidParameter)
        }
        envelope(yield* get(`${info.endpoint}/link/${session.id}/port/http/`), 400, Wire.Code.InvalidParameter)
        envelope(yield* get(`${info.endpoint}/link/no-such-session/port/${port}/`), 404, Wire.Code.SessionNotFound)

        yield* bay.betaPauseAsync(session)
        envelope(yield* get(`${url}/index.html`), 409, Wire.Code.InvalidStatus)
        yield* bay.betaResumeAsync(session)
        envelope(yield* get(`${url}/index.html`), 502, "Link.Unreachable")
        yield* bay.delete(session)
      }))
  }
)
