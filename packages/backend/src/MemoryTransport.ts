/**
 * An `HttpClient` whose every request is answered in memory by the backend's
 * router (`BackendHttp`), in the caller's fiber: no socket, and the backend's
 * `Clock` is the caller's, so a `TestClock` drives it. The fake gives it to the
 * real `AgentBayClient`, so a test goes through the same request encoding,
 * envelope decoding and error mapping as production.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as BackendHttp from "./BackendHttp.js"
import type * as BackendRuntime from "./BackendRuntime.js"

/**
 * The host the fake's client is pointed at (never resolved).
 *
 * @since 0.1.0
 * @category constants
 */
export const endpoint = "http://agentbay.test"

const bodyOf = (request: HttpClientRequest.HttpClientRequest): BodyInit | undefined => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return undefined
    case "Uint8Array":
      return body.body as BodyInit
    case "Raw":
      return body.body as BodyInit
    default:
      // Form data and streams are not what the AgentBay client sends.
      return undefined
  }
}

/**
 * Builds the client over the runtime in the context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<HttpClient.HttpClient, never, BackendRuntime.BackendRuntime> = Effect.map(
  Effect.context<BackendRuntime.BackendRuntime>(),
  (context) => {
    const app = BackendHttp.router({ host: new URL(endpoint).host })
    return HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const body = bodyOf(request)
        const web = new Request(url, {
          method: request.method,
          headers: new Headers(request.headers as Record<string, string>),
          ...(body === undefined ? {} : { body })
        })
        const response = yield* app.pipe(
          Effect.provideService(HttpServerRequest.HttpServerRequest, HttpServerRequest.fromWeb(web)),
          Effect.catchAllCause(() => Effect.succeed(HttpServerResponse.empty({ status: 500 }))),
          Effect.provide(context)
        )
        return HttpClientResponse.fromWeb(request, HttpServerResponse.toWeb(response))
      }).pipe(
        Effect.catchAllDefect((cause) =>
          Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))
        )
      )
    )
  }
)
