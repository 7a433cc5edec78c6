/**
 * Client options and defaults. Core never reads the environment: platform
 * packages turn `Config` into these (see `@effect-agentbay/platform-node`).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import type * as Redacted from "effect/Redacted"

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  readonly apiKey: Redacted.Redacted
  /**
   * A base URL (`http://127.0.0.1:18080`, for a local server) or a bare
   * `host[:port]`, which means https. Default: the AgentBay cloud.
   */
  readonly endpoint?: string | undefined
  /** Bound on one HTTP attempt; retries get their own. Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Sent as `LoginRegionId` when creating sessions. It never changes the endpoint. */
  readonly regionId?: string | undefined
  /**
   * Stamp owner labels (`agentbay.sdk/*`: client, run, creation and expiry
   * time) on every session created, so that `AgentBay.reap` can find the
   * sessions a dead process left behind. Default true; `false` opts out.
   */
  readonly stamp?: boolean | undefined
  /** The lifetime written in the expiry stamp, unless `create({ ttl })` says otherwise. Default 1 hour. */
  readonly sessionTtl?: Duration.DurationInput | undefined
  /** The run id stamped (`agentbay.sdk/run`). Default: random, one per process (module load). */
  readonly runId?: string | undefined
  /**
   * At most this many live sessions created through this client: a create
   * past the cap waits (it does not fail) until one of them is deleted. Default: no cap.
   */
  readonly maxSessions?: number | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  endpoint: "https://wuyingai.cn-shanghai.aliyuncs.com",
  timeout: Duration.seconds(60)
} as const

/**
 * Normalises `endpoint` to a base URL without a trailing slash, or says why it
 * cannot: only http and https, a host, no path, query or credentials.
 *
 * @since 0.1.0
 * @category utils
 */
export const baseUrl = (endpoint: string | undefined): Either.Either<string, string> => {
  const value = endpoint?.trim() || defaults.endpoint
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    return Either.left(`is not a URL or host[:port]: ${JSON.stringify(value)}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Either.left(`must use http or https, not ${url.protocol.slice(0, -1)}`)
  }
  if (url.username || url.password) return Either.left("must not carry credentials")
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    return Either.left("must be a base URL without a path, query or fragment")
  }
  return Either.right(`${url.protocol}//${url.host}`)
}
