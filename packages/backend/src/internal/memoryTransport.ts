// An `HttpClientResponse` over a body already in memory, for MemoryTransport:
// what `HttpClientResponse.fromWeb(request, new Response(text, ...))` gives,
// without the web `Response`, its body stream and the promise per read (each an
// async boundary in the caller's fiber). Internal: not exported from the package.
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

const encoder = new TextEncoder()

const jsonHeaders = Headers.fromInput({ "content-type": "application/json" })

class MemoryResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly headers: Headers.Headers = jsonHeaders
  readonly cookies: Cookies.Cookies = Cookies.empty
  readonly remoteAddress: Option.Option<string> = Option.none()

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly body: string
  ) {
    super()
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.succeed(this.body)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => this.body === "" ? null : JSON.parse(this.body) as unknown,
      catch: (cause) => this.decodeError(cause)
    })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => UrlParams.fromInput(new URLSearchParams(this.body)),
      catch: (cause) => this.decodeError(cause)
    })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() => encoder.encode(this.body).buffer as ArrayBuffer)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.sync(() => encoder.encode(this.body))
  }

  // A JSON body is not form data (a web Response rejects it the same way).
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.fail(this.decodeError(new TypeError("The body is application/json, not form data")))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

// The envelope as the JSON response a server writes.
export const json = (
  request: HttpClientRequest.HttpClientRequest,
  status: number,
  body: unknown
): HttpClientResponse.HttpClientResponse => new MemoryResponse(request, status, JSON.stringify(body))
