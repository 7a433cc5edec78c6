// The responses of NodeHttpClientLite: read whole, or past `streamAbove`
// handed out while the body still arrives. Internal: NodeHttpClientLite.ts is
// the public surface.
import type * as Http from "node:http"

import * as NodeStream from "@effect/platform-node/NodeStream"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

// The connection of a streaming body that was never read: closed when its
// response is garbage collected (the platform's clients do the same).
const unread = new FinalizationRegistry<Http.IncomingMessage>((source) => source.destroy())

// What becomes of a streaming body before the consumer pulls it: an error
// there would otherwise be lost (or, with no listener, crash the process).
interface Pending {
  failure?: unknown
}

// A response read whole: every accessor succeeds at once (except `formData`,
// parsed on demand). Or, past `streamAbove`, one whose body is still arriving
// (`rest` given): `stream` reads it as it is pulled, once; the other accessors
// collect it once, bounded by `rest.maxBytes`.
export class LiteResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private bytes: Buffer | undefined
  private cachedText: string | undefined
  private cachedHeaders: Headers.Headers | undefined
  private whole: Effect.Effect<Buffer, HttpClientError.ResponseError> | undefined
  private pulled = false
  private readonly pending: Pending = {}

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Http.IncomingMessage,
    private readonly chunks: Array<Buffer>,
    private readonly address: string | undefined,
    private readonly rest?: { readonly maxBytes: number | undefined }
  ) {
    super()
    if (rest !== undefined) {
      const pending = this.pending
      source.on("error", (cause) => (pending.failure ??= cause))
      unread.register(this, source, this)
    }
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

  // The bytes read before `execute` returned, as one buffer.
  private get buffered(): Buffer {
    return this.bytes ??= this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
  }

  // The whole body: at once, or collected from the stream (once, cached).
  private get body(): Effect.Effect<Buffer, HttpClientError.ResponseError> {
    if (this.rest === undefined || this.bytes !== undefined) return Effect.sync(() => this.buffered)
    return this.whole ??= Effect.runSync(Effect.cached(this.collect(this.rest.maxBytes)))
  }

  private collect(maxBytes: number | undefined): Effect.Effect<Buffer, HttpClientError.ResponseError> {
    return Effect.suspend(() => {
      const parts: Array<Uint8Array> = []
      let size = 0
      return Stream.runForEach(this.stream, (chunk) => {
        size += chunk.length
        if (maxBytes !== undefined && size > maxBytes) {
          return Effect.fail(this.decodeError(`the body is over ${maxBytes} bytes`))
        }
        parts.push(chunk)
        return Effect.void
      }).pipe(Effect.map(() => (this.bytes = Buffer.concat(parts))))
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    if (this.cachedText !== undefined) return Effect.succeed(this.cachedText)
    if (this.rest === undefined) return Effect.succeed(this.cachedText = this.buffered.toString("utf8"))
    return Effect.map(this.body, (body) => (this.cachedText ??= body.toString("utf8")))
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
    return Effect.map(
      this.body,
      (body) => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer
    )
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.suspend(() => {
      if (this.rest === undefined || this.bytes !== undefined) {
        const body = this.buffered
        return body.length === 0 ? Stream.empty : Stream.succeed(body)
      }
      if (this.pulled) return Stream.fail(this.decodeError("the body is being read, or was read, already"))
      this.pulled = true
      unread.unregister(this)
      const failure = this.pending.failure ??
        (this.source.destroyed && !this.source.readableEnded
          ? "the connection closed before the body ended"
          : undefined)
      if (failure !== undefined) return Stream.fail(this.decodeError(failure))
      const prefix = this.chunks.splice(0)
      return Stream.concat(
        Stream.fromIterable(prefix),
        NodeStream.fromReadable<HttpClientError.ResponseError>(() => this.source, (cause) => this.decodeError(cause))
      )
    })
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.flatMap(this.body, (body) =>
      Effect.tryPromise({
        try: () =>
          new Response(body as unknown as BodyInit, {
            status: this.status,
            headers: new globalThis.Headers(this.headers)
          }).formData(),
        catch: (cause) => this.decodeError(cause)
      }))
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
