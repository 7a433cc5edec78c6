/**
 * A lean `HttpClient` for Node: `node:http`/`node:https` over keep-alive
 * agents, one callback-driven exchange per request, the whole response body
 * read before `execute` returns.
 *
 * The platform's clients pay for generality on every request: a span check, an
 * `AbortController`, a parsed `URL`, a response registered for garbage
 * collection, a streamed body read by further fibers. This one does none of
 * that on its fast path, which is every request that is not traced (the SDK
 * disables the platform's HTTP spans, see `AgentBayClient`) and has an empty,
 * byte or text body. Any other request (traced, or with a `FormData` or
 * `Stream` body) goes through the platform's `node:http` client over the same
 * agents, so it behaves exactly as there.
 *
 * Fast-path semantics: interruption destroys the request (and its socket); a
 * socket or protocol failure is a `RequestError` ("Transport"); a failure while
 * reading the body, or a body over `HttpIncomingMessage.MaxBodySize`, is a
 * `ResponseError` ("Decode"). Bodies are buffered, so this client is not for
 * streaming large downloads.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Http from "node:http"
import * as Https from "node:https"

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
          if (traced || body === "FormData" || body === "Stream") return general.execute(request)
          const target = targets.resolve(request)
          if (target === undefined) {
            return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl" }))
          }
          const maxBytes = Context.get(fiber.currentContext, IncomingMessage.MaxBodySize)
          return exchange(request, target, agent, Option.isSome(maxBytes) ? Number(maxBytes.value) : undefined)
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

const exchange = (
  request: HttpClientRequest.HttpClientRequest,
  target: Target,
  agent: NodeHttpClient.HttpAgent,
  maxBytes: number | undefined
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
    // Errors are built only when they are the outcome: "close" follows every
    // "end", and an Error costs its stack trace.
    const fail = (error: () => HttpClientError.HttpClientError) => {
      if (done) return
      done = true
      resume(Effect.fail(error()))
    }
    const onResponse = (source: Http.IncomingMessage) => {
      const chunks: Array<Buffer> = []
      let size = 0
      // Read now: the socket goes back to the pool once the body has ended
      // (node caches the address on the socket, so this costs one lookup per connection).
      const response = new LiteResponse(request, source, chunks, source.socket?.remoteAddress)
      const decodeError = (cause: unknown) => () =>
        new HttpClientError.ResponseError({ request, response, reason: "Decode", cause })
      source.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (maxBytes !== undefined && size > maxBytes) {
          nodeRequest.destroy()
          fail(decodeError(`the body is over ${maxBytes} bytes`))
          return
        }
        chunks.push(chunk)
      })
      source.on("end", () => {
        if (done) return
        done = true
        resume(Effect.succeed(response))
      })
      source.on("error", (cause) => fail(decodeError(cause)))
      // Closed before its end (the server went away mid-body); a no-op after "end".
      source.on("close", () => {
        if (!done) fail(decodeError("the connection closed before the body ended"))
      })
    }
    const nodeRequest = target.secure
      ? Https.request({ ...options, agent: agent.https }, onResponse)
      : Http.request({ ...options, agent: agent.http }, onResponse)
    nodeRequest.on("error", (cause) => fail(() => new HttpClientError.RequestError({ request, reason: "Transport", cause })))
    switch (request.body._tag) {
      case "Uint8Array":
      case "Raw":
        nodeRequest.end(request.body.body as Uint8Array | string)
        break
      default:
        nodeRequest.end()
    }
    return Effect.sync(() => {
      done = true
      nodeRequest.destroy()
    })
  })

// A fully read response: every accessor succeeds at once (except `formData`,
// parsed on demand).
class LiteResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private bytes: Buffer | undefined
  private cachedText: string | undefined
  private cachedHeaders: Headers.Headers | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Http.IncomingMessage,
    private readonly chunks: Array<Buffer>,
    private readonly address: string | undefined
  ) {
    super()
  }

  get status(): number {
    return this.source.statusCode ?? 0
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(header)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.fromNullable(this.address)
  }

  private get body(): Buffer {
    return this.bytes ??= this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.succeed(this.cachedText ??= this.body.toString("utf8"))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => (text === "" ? null : JSON.parse(text)) as unknown,
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text)))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => {
      const body = this.body
      return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.suspend(() => Stream.succeed(this.body))
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () =>
        new Response(this.body as unknown as BodyInit, {
          status: this.status,
          headers: new globalThis.Headers(this.headers)
        }).formData(),
      catch: (cause) => this.decodeError(cause)
    })
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
