/**
 * Node wiring for the SDK: settings from explicit options, the process
 * environment and a `.env` file, and a Node HTTP client.
 *
 * Each setting is resolved on its own, first match wins: explicit option,
 * then the process environment, then the `.env` file, then the core default.
 * The `.env` file is read when the layer is built (never at import time), never
 * overrides the environment, and may be missing. A missing or empty
 * `AGENTBAY_API_KEY` fails the layer with a `ConfigError` naming it.
 *
 * @since 0.1.0
 */
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type * as AgentBayConfig from "@effect-agentbay/core/AgentBayConfig"
import type { ValidationError } from "@effect-agentbay/core/AgentBayError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as PlatformConfigProvider from "@effect/platform/PlatformConfigProvider"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

import * as NodeHttpClientLite from "./NodeHttpClientLite.js"

/**
 * The environment variables read, by setting.
 *
 * @since 0.1.0
 * @category config
 */
export const variables = {
  apiKey: "AGENTBAY_API_KEY",
  endpoint: "AGENTBAY_ENDPOINT",
  timeout: "AGENTBAY_TIMEOUT_MS",
  regionId: "AGENTBAY_REGION_ID"
} as const

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  /** Wins over `AGENTBAY_API_KEY`. */
  readonly apiKey?: Redacted.Redacted | undefined
  /** Wins over `AGENTBAY_ENDPOINT`: a base URL (`http://127.0.0.1:18080`) or a bare host (https). */
  readonly endpoint?: string | undefined
  /** Wins over `AGENTBAY_TIMEOUT_MS`: the bound on one HTTP attempt. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Wins over `AGENTBAY_REGION_ID`. */
  readonly regionId?: string | undefined
  /** Stamp owner labels on created sessions (see `AgentBay.Ownership`). Default true. */
  readonly stamp?: boolean | undefined
  /** The lifetime in each session's expiry stamp, unless `create({ ttl })` says otherwise. Default 1 hour. */
  readonly sessionTtl?: Duration.DurationInput | undefined
  /** The run id stamped. Default `AgentBay.processRunId` (random per process). */
  readonly runId?: string | undefined
  /** Cap on the live sessions created through the service: a create past it waits. Default: none. */
  readonly maxSessions?: number | undefined
  /**
   * The `.env` file to fall back on, read when the layer is built. Default:
   * `.env` in the current directory; `false` reads none. A missing or unreadable
   * file is skipped.
   */
  readonly dotEnv?: string | false | undefined
  /**
   * `"lite"` (default: `NodeHttpClientLite`, node:http keep-alive with the
   * lowest per-call overhead, see `pnpm bench`), or the platform's clients:
   * `"undici"`, `"node-http"` (node:http with a keep-alive agent).
   */
  readonly httpClient?: "lite" | "undici" | "node-http" | undefined
}

// Optional settings: unset or empty means "use the default".
const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.string(name).pipe(
    Config.map((value) => value.trim() === "" ? undefined : value.trim()),
    Config.withDefault(undefined)
  )

// Read as text and parsed afterwards, so that an invalid value in the
// environment is an error instead of falling through to `.env`.
const millis = (name: string) => (text: string | undefined) => {
  if (text === undefined) return Either.right(undefined)
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN
  return Number.isSafeInteger(n) && n > 0
    ? Either.right(Duration.millis(n))
    : Either.left(
      ConfigError.InvalidData([name], `${name} must be a whole number of milliseconds > 0, got ${JSON.stringify(text)}`)
    )
}

/**
 * The settings as `Config`s over the variables in `variables`.
 *
 * @since 0.1.0
 * @category config
 */
export const config = {
  // Read as an optional string so that a missing key gets a message that says
  // what to do (Config.redacted would print "<redacted>"); wrapped at once.
  apiKey: Config.option(Config.string(variables.apiKey)).pipe(
    Config.mapOrFail((key) =>
      Option.isNone(key)
        ? Either.left(ConfigError.MissingData(
          [variables.apiKey],
          `${variables.apiKey} is not set: set it in the environment or a .env file, or pass apiKey`
        ))
        : key.value.trim() === ""
        ? Either.left(ConfigError.InvalidData([variables.apiKey], `${variables.apiKey} is set but empty`))
        : Either.right(Redacted.make(key.value))
    )
  ),
  endpoint: optionalString(variables.endpoint),
  timeout: optionalString(variables.timeout).pipe(Config.mapOrFail(millis(variables.timeout))),
  regionId: optionalString(variables.regionId)
}

/**
 * The client options as one `Config`: each explicit option wins over its variable.
 *
 * @since 0.1.0
 * @category config
 */
export const configWith = (options: Options = {}): Config.Config<AgentBayConfig.Options> => {
  const pick = <A>(value: A | undefined, fallback: Config.Config<A | undefined>) =>
    value === undefined ? fallback : Config.succeed(value)
  return Config.all({
    apiKey: options.apiKey === undefined ? config.apiKey : Config.succeed(options.apiKey),
    endpoint: pick(options.endpoint, config.endpoint),
    timeout: pick<Duration.DurationInput>(options.timeout, config.timeout),
    regionId: pick(options.regionId, config.regionId)
  }).pipe(Config.map((resolved): AgentBayConfig.Options => ({
    ...resolved,
    stamp: options.stamp,
    sessionTtl: options.sessionTtl,
    runId: options.runId,
    maxSessions: options.maxSessions
  })))
}

// The current ConfigProvider (the process environment, unless replaced), with
// the `.env` file behind it.
const dotEnvLayer = (dotEnv: string | false | undefined): Layer.Layer<never> =>
  dotEnv === false
    ? Layer.empty
    : PlatformConfigProvider.layerDotEnvAdd(dotEnv ?? ".env").pipe(Layer.provide(NodeFileSystem.layer))

/**
 * Resolves the client options as the layers do, without building a client:
 * for inspecting the effective settings.
 *
 * @since 0.1.0
 * @category config
 */
export const loadOptions = (options: Options = {}): Effect.Effect<AgentBayConfig.Options, ConfigError.ConfigError> =>
  Effect.provide(configWith(options), dotEnvLayer(options.dotEnv))

/**
 * Every SDK service, over an `HttpClient` you provide.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutHttpClient = (
  options: Options = {}
): Layer.Layer<AgentBay.Services, ConfigError.ConfigError | ValidationError, HttpClient.HttpClient> =>
  AgentBay.layerConfig(configWith(options)).pipe(Layer.provide(dotEnvLayer(options.dotEnv)))

/**
 * The Node HTTP client the layers use.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerHttpClient = (
  kind: Options["httpClient"] = "lite"
): Layer.Layer<HttpClient.HttpClient> =>
  kind === "node-http"
    ? NodeHttpClient.layerWithoutAgent.pipe(Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true })))
    : kind === "undici"
    ? NodeHttpClient.layerUndici
    : NodeHttpClientLite.layer

/**
 * Every SDK service with explicit overrides, a chosen `.env` path or HTTP client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (
  options: Options = {}
): Layer.Layer<AgentBay.Services, ConfigError.ConfigError | ValidationError> =>
  layerWithoutHttpClient(options).pipe(Layer.provide(layerHttpClient(options.httpClient)))

/**
 * Every SDK service, configured from the environment and `./.env`, on the lite client.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBay.Services, ConfigError.ConfigError | ValidationError> = layerWith()
