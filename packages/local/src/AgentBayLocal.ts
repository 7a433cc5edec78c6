/**
 * The local runtime in-process: `AgentBayLocal.layer()` starts the server on
 * 127.0.0.1 (a free port by default) over a data directory (a temporary one,
 * removed on close, unless one is given) and provides the SDK's services
 * (`AgentBay` and the rest) pointed at it. Closing the scope stops the server,
 * the sessions' processes and the database, in that order.
 *
 * ```ts
 * Effect.gen(function*() {
 *   const bay = yield* AgentBay.AgentBay
 *   const session = yield* bay.create({ labels: { demo: "yes" } })
 * }).pipe(Effect.provide(AgentBayLocal.layer()))
 * ```
 *
 * @since 0.1.0
 */
import * as BackendActivity from "@effect-agentbay/backend/BackendActivity"
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as BackendSessions from "@effect-agentbay/backend/BackendSessions"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type { PlatformError } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpServer from "@effect/platform/HttpServer"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as Path from "@effect/platform/Path"
import type { MigrationError } from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as LocalAuth from "./LocalAuth.js"
import * as LocalDataDir from "./LocalDataDir.js"
import * as LocalServer from "./LocalServer.js"
import * as LocalStore from "./LocalStore.js"
import * as LocalVault from "./LocalVault.js"
import * as Sandbox from "./Sandbox.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface ServerOptions {
  /**
   * State directory: `agentbay.db`, `api-key`, `sandboxes/`, `contexts/`, `volumes/`. Default: a temporary
   * one, removed on close.
   */
  readonly dataDir?: string | undefined
  /** Keys to accept. Default: the key generated on the first start of the data dir. */
  readonly apiKeys?: ReadonlyArray<Redacted.Redacted> | undefined
  /** A file of keys to accept, one a line, besides `apiKeys` (see `LocalAuth.Options`). */
  readonly apiKeyFile?: string | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
  /** Default 0 (a free port); the CLI uses 18080. */
  readonly port?: number | undefined
  /** How long PAUSING and RESUMING last. Default 300 ms. */
  readonly transitionDelay?: Duration.DurationInput | undefined
  /** How long DELETING lasts. Default 0: a deleted session is gone when the request returns. */
  readonly deleteDelay?: Duration.DurationInput | undefined
  /**
   * How long a session may live before the server deletes it (checked every
   * minute, and at start). Default: no limit. Not the SDK's `sessionTtl` stamp.
   */
  readonly sessionTtl?: Duration.DurationInput | undefined
  /**
   * How long deleted sessions stay visible (as DELETED) before their records
   * are purged. Default 7 days; `Duration.infinity` keeps them.
   */
  readonly retention?: Duration.DurationInput | undefined
  /** Default `auto`: bubblewrap when it works here, else plain processes. */
  readonly isolation?: "auto" | "bubblewrap" | "process" | undefined
  /** Largest request body in bytes. Default 8 MiB. */
  readonly maxBodySize?: number | undefined
  /** Bytes all request bodies may hold at once (`BackendHttp.Options`). Default 64 MiB. */
  readonly maxBodyBytesInFlight?: number | undefined
  /** How long a request waits for room to hold its body, then gets a 503. Default 10 seconds. */
  readonly bodyWait?: Duration.DurationInput | undefined
  /** Connections open at once. Default 512. */
  readonly maxConnections?: number | undefined
  /** Time to receive a request's headers. Default 15 seconds. */
  readonly headersTimeout?: Duration.DurationInput | undefined
  /** Time to receive a whole request. Default 60 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** How long an idle kept-alive connection stays open. Default 5 seconds. */
  readonly keepAliveTimeout?: Duration.DurationInput | undefined
  /** How long a pre-signed context-file URL is valid. Default 1 hour. */
  readonly urlLifetime?: Duration.DurationInput | undefined
  /** How often the recycle sweep of synced data (and of expired URL tokens) runs. Default 10 minutes. */
  readonly recycleInterval?: Duration.DurationInput | undefined
  /** Largest upload through a context-file URL, in bytes (past it 413, nothing stored). Default 1 GiB. */
  readonly maxUploadSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Options extends Omit<ServerOptions, "apiKeys"> {
  /** The key the server accepts and the SDK sends. Default: generated (or read from `<dataDir>/api-key`). */
  readonly apiKey?: Redacted.Redacted | undefined
  /** The SDK's wait defaults. Default `waits` (short polls); `AgentBay.cloudWaits` polls as against the cloud. */
  readonly waits?: AgentBay.Waits | undefined
}

/**
 * Where the running server is and how to reach it.
 *
 * @since 0.1.0
 * @category tags
 */
export class Info extends Context.Tag("@effect-agentbay/local/AgentBayLocal/Info")<Info, {
  /** Base URL for our SDK, e.g. `http://127.0.0.1:18080` (`AGENTBAY_ENDPOINT`). */
  readonly endpoint: string
  /** `host:port` for the official client's `endpoint` (with `client._protocol = "HTTP"`). */
  readonly hostPort: string
  readonly port: number
  /** A key a client here can use (see `LocalAuth.LocalAuth.Service.clientKey`). */
  readonly apiKey: Option.Option<Redacted.Redacted>
  readonly keySource: LocalAuth.KeySource
  /** Generated by this start; print it once. */
  readonly generatedKey: Option.Option<Redacted.Redacted>
  readonly keyFile: Option.Option<string>
  readonly dataDir: string
  /** The data dir is temporary and removed on close. */
  readonly temporary: boolean
  readonly isolation: Sandbox.Isolation
}>() {}

/**
 * Everything that can stop the server from starting.
 *
 * @since 0.1.0
 * @category errors
 */
export type StartError =
  | PlatformError
  | ServeError
  | SqlError
  | MigrationError
  | ConfigError.ConfigError
  | Sandbox.SandboxError
  | LocalDataDir.InUse

/**
 * The default data dir of the CLI (relative to the working directory; git-ignored).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultDataDir = ".agentbay-local"

const loopback = (hostname: string) =>
  hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname === "::"
    ? "[::1]"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname

/**
 * The server alone, with `sandbox` building the sessions' sandboxes for a data
 * dir (tests pass a double). Provides `Info`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServerWith = <E>(
  options: ServerOptions,
  sandbox: (dataDir: string) => Layer.Layer<Sandbox.Sandbox, E>
): Layer.Layer<Info, StartError | E> =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      const temporary = options.dataDir === undefined
      const dataDir = options.dataDir === undefined
        ? yield* fs.makeTempDirectoryScoped({ prefix: "agentbay-local-" })
        : path.resolve(options.dataDir)
      yield* fs.makeDirectory(dataDir, { recursive: true, mode: 0o700 })
      const claimed = yield* LocalDataDir.claim(dataDir)

      // The vault shares the store's database (one SqlClient): contexts, volumes, networks, URL tokens.
      const store = LocalStore.layer({ filename: path.join(dataDir, LocalDataDir.files.database) })
      const deps = Layer.mergeAll(
        LocalVault.layer({ dataDir }).pipe(Layer.provideMerge(store)),
        // The backend runs on the same sandbox service.
        Layer.effect(BackendSandbox.BackendSandbox, Sandbox.Sandbox).pipe(Layer.provideMerge(sandbox(dataDir))),
        // The dashboard's record of transitions and commands (in memory).
        BackendActivity.layer(),
        NodeContext.layer
      )
      const services = Layer.mergeAll(
        LocalAuth.layer({ apiKeys: options.apiKeys, apiKeyFile: options.apiKeyFile, dataDir }),
        // Before the server takes requests: trees left by a create cut short.
        Layer.effectDiscard(
          Effect.flatMap(LocalStore.LocalStore, (store) => LocalDataDir.sweepOrphans(dataDir, store))
        ),
        BackendSessions.layer({
          transitionDelay: options.transitionDelay,
          deleteDelay: options.deleteDelay,
          sessionTtl: options.sessionTtl,
          retention: options.retention ?? BackendSessions.defaultRetention
        })
      ).pipe(Layer.provideMerge(deps))
      const http = LocalServer.layerNode({
        host: options.host,
        port: options.port ?? 0,
        maxBodySize: options.maxBodySize,
        maxBodyBytesInFlight: options.maxBodyBytesInFlight,
        bodyWait: options.bodyWait,
        maxConnections: options.maxConnections,
        headersTimeout: options.headersTimeout,
        requestTimeout: options.requestTimeout,
        keepAliveTimeout: options.keepAliveTimeout,
        maxUploadSize: options.maxUploadSize
      }).pipe(Layer.provide(BackendRuntime.layerWith({
        urlLifetime: options.urlLifetime,
        recycleInterval: options.recycleInterval
      })))
      const info = Layer.effect(
        Info,
        Effect.gen(function*() {
          const auth = yield* LocalAuth.LocalAuth
          const box = yield* Sandbox.Sandbox
          const address = yield* HttpServer.HttpServer.pipe(Effect.map((s) => s.address))
          const [host, port] = address._tag === "TcpAddress"
            ? [loopback(address.hostname), address.port]
            : ["localhost", 0]
          yield* claimed.publish(`http://${host}:${port}`)
          return {
            endpoint: `http://${host}:${port}`,
            hostPort: `${host}:${port}`,
            port,
            apiKey: auth.clientKey,
            keySource: auth.source,
            generatedKey: auth.generated,
            keyFile: auth.keyFile,
            dataDir,
            temporary,
            isolation: box.isolation
          }
        })
      )
      return info.pipe(Layer.provide(http), Layer.provide(services))
    }).pipe(Effect.provide(NodeContext.layer))
  )

/**
 * The server with real sandboxes (`Sandbox.layer`). Provides `Info`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerServer = (options: ServerOptions = {}): Layer.Layer<Info, StartError> =>
  layerServerWith(options, (dataDir) => Sandbox.layer({ dataDir, isolation: options.isolation }))

/**
 * The SDK's waits against the local runtime: a poll every 50 ms, so that a
 * pause or resume (300 ms by default) returns about when it settles, and a
 * delete (gone at once), a context sync or a context clear after one poll.
 * The bounds stay the cloud's.
 *
 * @since 0.1.0
 * @category constants
 */
export const waits: AgentBay.Waits = {
  transition: { interval: "50 millis", timeout: AgentBay.cloudWaits.transition.timeout },
  delete: { interval: "50 millis", timeout: AgentBay.cloudWaits.delete.timeout },
  contextSync: { interval: "50 millis", timeout: AgentBay.cloudWaits.contextSync.timeout },
  // ClearContext wipes the files before it answers: the first poll sees `available`.
  contextClear: { interval: "50 millis", timeout: AgentBay.cloudWaits.contextClear.timeout }
}

/**
 * The SDK's services over a server built by `server` (anything providing
 * `Info`), with the local runtime's `waits` as their defaults.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSdk = <E>(
  server: Layer.Layer<Info, E>,
  sdkWaits: AgentBay.Waits = waits
): Layer.Layer<AgentBay.Services | Info, E | ValidationError> =>
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const info = yield* Info
      if (Option.isNone(info.apiKey)) {
        return yield* new ValidationError({
          operation: "AgentBayLocal.layer",
          field: "apiKey",
          reason: "no key to use: pass apiKey, or keep the generated key file in the data dir"
        })
      }
      return AgentBay.layer({ apiKey: info.apiKey.value, endpoint: info.endpoint }).pipe(
        // Merged too, so that the program sees the waits its services run with.
        Layer.provideMerge(AgentBay.layerWaits(sdkWaits))
      )
    })
  ).pipe(Layer.provide(NodeHttpClient.layerUndici), Layer.provideMerge(server))

const serverOptions = ({ apiKey, waits: _, ...rest }: Options): ServerOptions => ({
  ...rest,
  apiKeys: apiKey === undefined ? undefined : [apiKey]
})

/**
 * The local runtime in-process plus the SDK pointed at it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<AgentBay.Services | Info, StartError | ValidationError> =>
  layerSdk(layerServer(serverOptions(options)), options.waits)

/**
 * As `layer`, with the sandboxes from `sandbox` (for tests and embedders).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = <E>(
  options: Options,
  sandbox: (dataDir: string) => Layer.Layer<Sandbox.Sandbox, E>
): Layer.Layer<AgentBay.Services | Info, StartError | ValidationError | E> =>
  layerSdk(layerServerWith(serverOptions(options), sandbox), options.waits)
