/**
 * The local runtime's HTTP server, and the only HTTP server module of this
 * package: the backend's router (`BackendHttp`: envelopes for every request,
 * spec: wire-protocol.md §1.5, §2) and the session links (`LocalLink`), served
 * by Node's HTTP server on a port.
 *
 * @since 0.1.0
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as BackendHttp from "@effect-agentbay/backend/BackendHttp"
import type * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import type * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import * as LocalLink from "./LocalLink.js"

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

/**
 * Serves the runtime on whatever `HttpServer` it is given: a port, or a test server.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<never, never, HttpServer.HttpServer | BackendRuntime.BackendRuntime | BackendStore.BackendStore> =>
  Layer.unwrapEffect(
    HttpServer.addressWith((address) =>
      Effect.succeed(
        HttpServer.serve(HttpRouter.concat(
          LocalLink.router,
          BackendHttp.router({
            ...options,
            host: address._tag === "TcpAddress" ? `${address.hostname}:${address.port}` : "localhost"
          })
        ))
      )
    )
  )

/**
 * @since 0.1.0
 * @category options
 */
export interface NodeOptions extends Options {
  /** Interface to listen on. Default `127.0.0.1` (this machine only). */
  readonly host?: string | undefined
  /** TCP port; 0 picks a free one. Default 18080. */
  readonly port?: number | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaultPort = 18080

/**
 * Node's HTTP server on `host:port`, serving the runtime. Also provides the
 * `HttpServer`, whose address tells the port actually bound.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNode = (options: NodeOptions = {}) =>
  layer(options).pipe(
    Layer.provideMerge(
      NodeHttpServer.layerServer(createServer, { host: options.host ?? "127.0.0.1", port: options.port ?? defaultPort })
    )
  )
