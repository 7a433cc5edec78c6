/**
 * Who is calling: the backend asks this service to turn the request's
 * `Authorization` field (`Bearer <key>`) into an owner id, and every session
 * belongs to the owner that created it. The local runtime checks key hashes
 * (`LocalAuth`); the fake accepts the key it hands its client.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendAuth extends Context.Tag("@effect-agentbay/backend/BackendAuth")<BackendAuth, {
  /** The owner id for an `Authorization` field, or none when the key is missing or not accepted. */
  readonly authenticate: (authorization: string | undefined) => Option.Option<string>
}>() {}

/**
 * The key of an `Authorization` field: `Bearer <key>` (the scheme in any case),
 * one key without spaces.
 *
 * @since 0.1.0
 * @category utils
 */
export const bearer = (authorization: string | undefined): Option.Option<string> => {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  return match === null ? Option.none() : Option.some(match[1]!)
}

/**
 * Accepts exactly the given keys; each key is its own owner (named by its index).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerKeys = (keys: ReadonlyArray<string>): Layer.Layer<BackendAuth> =>
  Layer.succeed(BackendAuth, {
    authenticate: (authorization) =>
      Option.flatMap(bearer(authorization), (key) => {
        const index = keys.indexOf(key)
        return index < 0 ? Option.none() : Option.some(`owner-${index}`)
      })
  })
