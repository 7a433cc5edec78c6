/**
 * A lean `HttpClient` for Node: `node:http`/`node:https` over keep-alive
 * agents, one callback-driven exchange per request, a response body read whole
 * before `execute` returns (unless it is large, see below).
 *
 * The platform's clients pay for generality on every request: a span check, an
 * `AbortController`, a parsed `URL`, a response registered for garbage
 * collection, a streamed body read by further fibers. This one does none of
 * that on its fast path, which is every request that is not traced (the SDK
 * disables the platform's HTTP spans, see `AgentBayClient`) and has an empty,
 * byte, text or stream body. A stream body is written as the connection takes
 * it: the next chunk is pulled once the previous one was taken, so a large
 * upload is never whole in memory. Any other request (traced, or with a
 * `FormData` body) goes through the platform's `node:http` client over the
 * same agents, so it behaves exactly as there.
 *
 * Fast-path semantics: interruption destroys the request (and its socket); a
 * socket or protocol failure is a `RequestError` ("Transport"); a failure while
 * reading the body, or a body over `HttpIncomingMessage.MaxBodySize`, is a
 * `ResponseError` ("Decode").
 *
 * Bodies up to `streamAbove` bytes (every API answer) are read whole before
 * `execute` returns. A larger body, announced by its `content-length` or seen
 * growing past it, is handed out as it arrives: `execute` returns with the
 * bytes read so far, `stream` yields them and then reads the rest as the
 * consumer pulls (node's backpressure: never the whole body in memory), and
 * the other accessors collect it (bounded by `MaxBodySize`). Such a body is
 * read once; ending its `stream` early closes the connection, and so does the
 * garbage collection of a response whose body was never read.
 *
 * @since 0.1.0
 */
import * as Http from "node:http"
import * as Https from "node:https"

import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

import { LiteResponse } from "./internal/liteResponse.js"

/**
 * Bodies up to this many bytes (1 MiB) are read whole before `execute`
 * returns; larger ones are handed out streaming (see the module note).
 *
 * @since 0.1.0
 * @category constants
 */
export const streamAbove = 1024 * 1024

/**
 * The client over the given agents (`NodeHttpClient.makeAgent`); the caller
 * owns them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWithAgent = (agent: NodeHttpClient.HttpAgent): HttpClient.HttpClient => {
  const general = Effect.runSync(Effect.provideService(NodeHttpClient.make, NodeHttpClient.HttpAgent, agent))
  const targets = new Targets()
  return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(effect, (request) =>
        Effect.withFiberRuntime((fiber) => {
          const body = request.body._tag
          const traced = fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
            !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
          if (traced || body === "FormData") return general.execute(request)
          const target = targets.resolve(request)
          if (target === undefined) {
            return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl" }))
          }
          const maxBytes = Context.get(fiber.currentContext, IncomingMessage.MaxBodySize)
          const max = Option.isSome(maxBytes) ? Number(maxBytes.value) : undefined
          return body === "Stream"
            ? Effect.flatMap(Effect.runtime<never>(), (runtime) => exchange(request, target, agent, max, runtime))
            : exchange(request, target, agent, max)
        })),
    Effect.succeed
  )
}

/**
 * The client with its own keep-alive agents, destroyed when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options?: Https.AgentOptions
): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.map(NodeHttpClient.makeAgent({ keepAlive: true, ...options }), makeWithAgent)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(HttpClient.HttpClient, make())

/**
 * Where a request goes: the parsed base URL (requests of one client mostly
 * share one, so the last few are kept) and the path with its query.
 */
interface Target {
  readonly secure: boolean
  readonly hostname: string
  readonly port: string
  /** `user:password` from the URL, as node:http sends it (basic auth). */
  readonly auth: string | undefined
  readonly path: string
}

class Targets {
  private readonly cache = new Map<string, URL>()

  resolve(request: HttpClientRequest.HttpClientRequest): Target | undefined {
    let url = this.cache.get(request.url)
    if (url === undefined) {
      try {
        url = new URL(request.url)
      } catch {
        return undefined
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") return undefined
      if (this.cache.size >= 16) this.cache.clear()
      this.cache.set(request.url, url)
    }
    let path = url.pathname + url.search
    if (request.urlParams.length > 0) {
      // The platform appends to the URL's own query through `searchParams`,
      // which re-serialises it; do the same when there is one.
      if (url.search === "") {
        path += "?" + UrlParams.toString(request.urlParams.filter(([, v]) => v !== undefined))
      } else {
        const merged = new URL(url.href)
        for (const [k, v] of request.urlParams) if (v !== undefined) merged.searchParams.append(k, v)
        path = merged.pathname + merged.search
      }
    }
    return {
      secure: url.protocol === "https:",
      // `[::1]` in a URL, `::1` for node:http
      hostname: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      auth: url.username === "" && url.password === ""
        ? undefined
        : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
      path
    }
  }
}

// Writes a stream body as the connection takes it: each chunk once the
// previous one was taken (`drain`), then the end. (The platform's node client
// waits for `drain` only inside a chunk, so a stream of one-element chunks is
// buffered whole.)
const pump = (nodeRequest: Http.ClientRequest, body: Stream.Stream<Uint8Array, unknown>) =>
  Effect.zipRight(
    Stream.runForEach(body, (chunk) =>
      chunk.length === 0 ? Effect.void : Effect.async<void>((resume) => {
        if (nodeRequest.write(chunk)) return resume(Effect.void)
        // Closed instead: the exchange fails on its own; stop writing.
        const go = () => {
          nodeRequest.off("drain", go).off("close", go)
          resume(Effect.void)
        }
        nodeRequest.once("drain", go).once("close", go)
        return Effect.sync(() => void nodeRequest.off("drain", go).off("close", go))
      })),
    Effect.sync(() => void nodeRequest.end())
  )

const exchange = (
  request: HttpClientRequest.HttpClientRequest,
  target: Target,
  agent: NodeHttpClient.HttpAgent,
  maxBytes: number | undefined,
  runtime?: Runtime.Runtime<never>
) =>
  Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
    const options: Http.RequestOptions = {
      hostname: target.hostname,
      method: request.method,
      path: target.path,
      headers: request.headers
    }
    if (target.port !== "") options.port = target.port
    if (target.auth !== undefined) options.auth = target.auth
    let done = false
    // The writer of a stream body, while it runs.
    let writer: Fiber.RuntimeFiber<void, unknown> | undefined
    const stopWriter = () => {
      if (writer !== undefined && writer.unsafePoll() === null) writer.unsafeInterruptAsFork(writer.id())
    }
    // Errors are built only when they are the outcome: "close" follows every
    // "end", and an Error costs its stack trace.
    const fail = (error: () => HttpClientError.HttpClientError) => {
      if (done) return
      done = true
      stopWriter()
      resume(Effect.fail(error()))
    }
    const onResponse = (source: Http.IncomingMessage) => {
      const chunks: Array<Buffer> = []
      let size = 0
      // Read now: the socket goes back to the pool once the body has ended
      // (node caches the address on the socket, so this costs one lookup per connection).
      const address = source.socket?.remoteAddress
      const response = new LiteResponse(request, source, chunks, address)
      const decodeError = (cause: unknown) => () =>
        new HttpClientError.ResponseError({ request, response, reason: "Decode", cause })
      const onData = (chunk: Buffer) => {
        size += chunk.length
        if (maxBytes !== undefined && size > maxBytes) {
          nodeRequest.destroy()
          fail(decodeError(`the body is over ${maxBytes} bytes`))
          return
        }
        chunks.push(chunk)
        if (size > streamAbove) handOver()
      }
      const onEnd = () => {
        if (done) return
        done = true
        // Answered before the whole body was taken: the rest is not sent (nor the connection reused).
        if (writer !== undefined && writer.unsafePoll() === null) {
          stopWriter()
          nodeRequest.destroy()
        }
        resume(Effect.succeed(response))
      }
      const onError = (cause: unknown) => fail(decodeError(cause))
      // Closed before its end (the server went away mid-body); a no-op after "end".
      const onClose = () => {
        if (!done) fail(decodeError("the connection closed before the body ended"))
      }
      // A large body: the rest is read as the consumer pulls (see `streamAbove`).
      const handOver = () => {
        done = true
        source.off("data", onData).off("end", onEnd).off("error", onError).off("close", onClose)
        source.pause()
        resume(Effect.succeed(new LiteResponse(request, source, chunks, address, { maxBytes })))
      }
      if (Number(source.headers["content-length"]) > streamAbove) return handOver()
      source.on("data", onData).on("end", onEnd).on("error", onError).on("close", onClose)
    }
    const nodeRequest = target.secure
      ? Https.request({ ...options, agent: agent.https }, onResponse)
      : Http.request({ ...options, agent: agent.http }, onResponse)
    nodeRequest.on("error", (cause) =>
      fail(() => new HttpClientError.RequestError({ request, reason: "Transport", cause })))
    switch (request.body._tag) {
      case "Uint8Array":
      case "Raw":
        nodeRequest.end(request.body.body as Uint8Array | string)
        break
      case "Stream":
        writer = Runtime.runFork(runtime!)(
          Effect.catchAllCause(pump(nodeRequest, request.body.stream), (cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Effect.sync(() => {
              fail(() =>
                new HttpClientError.RequestError({ request, reason: "Encode", cause: Cause.squash(cause) })
              )
              nodeRequest.destroy()
            }))
        )
        break
      default:
        nodeRequest.end()
    }
    return Effect.sync(() => {
      done = true
      stopWriter()
      nodeRequest.destroy()
    })
  })
