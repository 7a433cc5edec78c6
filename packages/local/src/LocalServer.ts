/**
 * The local runtime's HTTP server, and the only HTTP server module of this
 * package: the backend's router (`BackendHttp`: envelopes for every request,
 * spec: wire-protocol.md §1.5, §2) and the session links (`LocalLink`), served
 * by Node's HTTP server on a port.
 *
 * Envelopes reach even requests Node refuses before any route sees them
 * (malformed framing, conflicting `Content-Length`/`Transfer-Encoding`, a
 * request line and headers past 16 KiB, a request not received in time): the
 * server's `clientError` handler writes a minimal response with a JSON envelope
 * whenever the socket can still be written. A target the router cannot decode
 * (`/%zz`) and an HTTP/1.1 request without `Host` get envelopes too.
 *
 * A stalled client cannot hold the server: connections are capped
 * (`maxConnections`), a request must arrive within `headersTimeout` (headers;
 * also the first byte of a new connection) and `requestTimeout` (whole request),
 * an idle kept-alive connection is closed after `keepAliveTimeout`, and bodies
 * share `BackendHttp`'s in-flight budget.
 *
 * @since 0.1.0
 */
import type { BackendActivity } from "@effect-agentbay/backend/BackendActivity"
import { BackendAuth } from "@effect-agentbay/backend/BackendAuth"
import * as BackendHttp from "@effect-agentbay/backend/BackendHttp"
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import type * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as Wire from "@effect-agentbay/core/Wire"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from "node:http"
import type { Socket } from "node:net"
import * as Dashboard from "./Dashboard.js"
import * as LocalLink from "./LocalLink.js"
import * as LocalMetrics from "./LocalMetrics.js"

/**
 * @since 0.1.0
 * @category options
 */
export type Options = BackendHttp.Options

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultMaxBodySize = BackendHttp.defaultMaxBodySize

// An HTTP/1.1 request must name its Host (RFC 9112 §3.2); Node's own check
// answers a bare 400, so the server leaves it to this one.
const missingHost = (request: HttpServerRequest.HttpServerRequest) => {
  const source = request.source as Partial<IncomingMessage>
  return request.headers.host === undefined && source.httpVersion === "1.1"
}

const envelope = (status: number, code: string, message: string) => {
  const reply = BackendRuntime.failure(status, code, message)
  return HttpServerResponse.unsafeJson(reply.body, { status: reply.status })
}

/**
 * Serves the runtime on whatever `HttpServer` it is given: a port, or a test
 * server. A key in the query is checked (`BackendAuth`) before the body is read.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  never,
  never,
  HttpServer.HttpServer | BackendRuntime.BackendRuntime | BackendStore.BackendStore | BackendAuth | BackendActivity
> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const auth = yield* BackendAuth
      const address = (yield* HttpServer.HttpServer).address
      const routes = HttpRouter.concatAll(
        LocalLink.router,
        LocalMetrics.router, // GET /metrics (Prometheus text; the key in an Authorization header)
        Dashboard.router, // GET /ui (the dashboard) and /ui/api/ (the key in an Authorization header)
        BackendHttp.router({
          ...options,
          authenticate: options.authenticate ?? ((authorization) => Option.isSome(auth.authenticate(authorization))),
          host: address._tag === "TcpAddress" ? `${address.hostname}:${address.port}` : "localhost"
        })
      )
      const app = Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        missingHost(request)
          ? Effect.succeed(
            envelope(400, Wire.Code.InvalidParameter, "Host: an HTTP/1.1 request must carry a Host header")
          )
          : Effect.catchTag(routes, "RouteNotFound", () => BackendHttp.notFound))
      return HttpServer.serve(app)
    })
  ).pipe(
    // The platform's server span records the whole URL (`url.full`, `url.query`),
    // and two actions carry the key in the query, a pre-signed URL its token in
    // the path: no such span for those requests (the runtime's own span,
    // `BackendRuntime.handle`, has the action).
    HttpMiddleware.withTracerDisabledWhen((request) =>
      keyInQuery.test(request.url) || request.url.startsWith(BackendHttp.filesPrefix)
    )
  )

const keyInQuery = /[?&]Authorization=/i

/**
 * @since 0.1.0
 * @category options
 */
export interface NodeOptions extends Options {
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  readonly host?: string | undefined
  /** TCP port; 0 picks a free one. Default 18080. */
  readonly port?: number | undefined
  /** Connections open at once; more are closed as they arrive. Default 512. */
  readonly maxConnections?: number | undefined
  /** Time to receive a request's line and headers. Default 15 seconds. */
  readonly headersTimeout?: Duration.DurationInput | undefined
  /** Time to receive a whole request, body included (not to answer it). Default 60 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How long an idle kept-alive connection stays open. Default 5 seconds. */
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultPort = 18080

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  maxConnections: 512,
  headersTimeout: Duration.seconds(15),
  requestTimeout: Duration.seconds(60),
  keepAliveTimeout: Duration.seconds(5)
} as const

// What Node refuses before a route sees the request, as envelope answers.
const refusal = (error: NodeJS.ErrnoException): readonly [number, string, string] => {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return [431, Wire.Code.RequestTooLarge, "The request line and headers exceed 16 KiB"]
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, Wire.Code.RequestTooLarge, "The chunk extensions are too large"]
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "RequestTimeout", "The request was not received in time"]
    default:
      return [400, Wire.Code.InvalidParameter, `Malformed HTTP request (${error.code ?? "parse error"})`]
  }
}

// A minimal HTTP/1.1 response carrying an error envelope, closing the connection.
const rawEnvelope = (status: number, code: string, message: string): string => {
  const body = JSON.stringify(BackendRuntime.failure(status, code, message).body)
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
    "Content-Type: application/json; charset=utf-8\r\n" +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    "Connection: close\r\n\r\n" + body
}

// Node's default, with an envelope: answer when the socket is writable and no
// response has started on it, then close.
const onClientError = (error: NodeJS.ErrnoException, socket: Socket) => {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (error.code !== "ECONNRESET" && socket.writable && inFlight?.headersSent !== true) {
    const [status, code, message] = refusal(error)
    socket.end(rawEnvelope(status, code, message))
    socket.once("finish", () => socket.destroy())
  } else {
    socket.destroy()
  }
}

const millis = (d: Duration.DurationInput) => Math.max(1, Math.round(Duration.toMillis(Duration.decode(d))))

/**
 * Node's HTTP server with the limits of `options`: connection cap, timeouts,
 * envelopes for the requests it refuses itself.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeNodeServer = (options: NodeOptions = {}): Server => {
  const requestTimeout = millis(options.requestTimeout ?? defaults.requestTimeout)
  // Node wants headersTimeout <= requestTimeout.
  const headersTimeout = Math.min(millis(options.headersTimeout ?? defaults.headersTimeout), requestTimeout)
  const server = createServer({
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: millis(options.keepAliveTimeout ?? defaults.keepAliveTimeout),
    // How often the timeouts are checked: often enough that short ones hold.
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(headersTimeout / 4))),
    requireHostHeader: false
  })
  server.maxConnections = options.maxConnections ?? defaults.maxConnections
  server.on("clientError", onClientError)
  // Node's timeouts start with a request's first byte: a connection that never
  // sends one is answered 408 and closed here, so idle sockets cannot use up
  // `maxConnections`.
  server.on("connection", (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead > 0) return
      onClientError(Object.assign(new Error("no request"), { code: "ERR_HTTP_REQUEST_TIMEOUT" }), socket)
    }, headersTimeout)
    timer.unref()
    socket.once("close", () => clearTimeout(timer))
  })
  return server
}

/**
 * Node's HTTP server on `host:port` (`makeNodeServer`), serving the runtime.
 * Also provides the `HttpServer`, whose address tells the port actually bound.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNode = (options: NodeOptions = {}) =>
  layer(options).pipe(
    Layer.provideMerge(
      NodeHttpServer.layerServer(() => makeNodeServer(options), {
        host: options.host ?? "127.0.0.1",
        port: options.port ?? defaultPort
      })
    )
  )
