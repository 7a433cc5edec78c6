// The `/context-files/<token>` route of BackendHttp.router, driven with web
// Requests (no socket): a PUT streams its body into the context, a GET streams
// the file back with its length; the upload cap, refused tokens, and the
// volume check of a sandbox without volumes.
import * as HttpApp from "@effect/platform/HttpApp"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as BackendAuth from "../src/BackendAuth.js"
import * as BackendHttp from "../src/BackendHttp.js"
import * as BackendRuntime from "../src/BackendRuntime.js"
import * as BackendSandbox from "../src/BackendSandbox.js"
import * as BackendSessions from "../src/BackendSessions.js"
import { BackendVault } from "../src/BackendVault.js"
import * as MemoryFiles from "../src/MemoryFiles.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as MemoryVault from "../src/MemoryVault.js"

const key = "sk-http-files"
const host = "files.test:8080"

// A sandbox of in-memory trees that cannot mount volumes (no `removeVolume`).
const sandbox: BackendSandbox.BackendSandbox.Service = (() => {
  const trees = new Map<string, BackendSandbox.SessionFiles>()
  return {
    isolation: { level: "memory", detail: "test" },
    start: () => Effect.void,
    pause: () => Effect.void,
    resume: () => Effect.void,
    destroy: (id) => Effect.sync(() => void trees.delete(id)),
    exec: () => Effect.succeed({ exitCode: 0, stdout: "", stderr: "", timedOut: false }),
    files: (id) => {
      if (!trees.has(id)) trees.set(id, MemoryFiles.make())
      return trees.get(id)!
    }
  }
})()

const setup = (options: BackendHttp.Options = {}) =>
  Effect.gen(function*() {
    const layer = BackendRuntime.layer.pipe(
      Layer.provideMerge(BackendSessions.layer({ transitionDelay: 0 })),
      Layer.provideMerge(Layer.mergeAll(
        MemoryStore.layer,
        MemoryVault.layer,
        Layer.succeed(BackendSandbox.BackendSandbox, sandbox),
        BackendAuth.layerKeys([key])
      ))
    )
    const runtime = yield* Layer.toRuntime(layer)
    const handler = HttpApp.toWebHandlerRuntime(runtime)(BackendHttp.router({ host, ...options }))
    const send = (path: string, init: RequestInit = {}) =>
      Effect.promise(() => handler(new Request(`http://${host}${path}`, init)))
    const call = (fields: Record<string, string>) =>
      Effect.flatMap(
        Context.get(runtime.context, BackendRuntime.BackendRuntime).handle({
          ...fields,
          Authorization: `Bearer ${key}`
        }, { host }),
        (reply) =>
          reply.status === 200 ? Effect.succeed(reply.body.Data as any) : Effect.die(JSON.stringify(reply.body))
      )
    const contextId: string = (yield* call({ Action: "GetContext", Name: "files", AllowCreate: "true" })).Id
    const url = (kind: "Upload" | "Download", path: string) =>
      Effect.map(call({ Action: `GetContextFile${kind}Url`, ContextId: contextId, FilePath: path }), (d) => {
        assert.isTrue(d.Url.startsWith(`http://${host}${BackendHttp.filesPrefix}`))
        return new URL(d.Url).pathname
      })
    const vault = Context.get(runtime.context, BackendVault)
    return { call, contextId, send, url, vault }
  })

// A body in `pieces` chunks, with no declared length (chunked).
const chunked = (bytes: Uint8Array, pieces: number): RequestInit => {
  const size = Math.ceil(bytes.length / pieces)
  return {
    method: "PUT",
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size))
        controller.close()
      }
    }),
    duplex: "half"
  } as RequestInit
}

const bytesOf = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13) % 256)
const envelope = (response: Response) => Effect.promise(() => response.json() as Promise<Record<string, unknown>>)

describe("BackendHttp /context-files/<token>", () => {
  it.scoped("a PUT streams the body into the context (200, empty); a GET streams it back with its length", () =>
    Effect.gen(function*() {
      const { send, url } = yield* setup()
      const bytes = bytesOf(2 * 1024 * 1024 + 17)
      const put = yield* send(yield* url("Upload", "/home/wuying/big.bin"), chunked(bytes, 37))
      assert.strictEqual(put.status, 200)
      assert.strictEqual(yield* Effect.promise(() => put.text()), "")
      const got = yield* send(yield* url("Download", "/home/wuying/big.bin"))
      assert.strictEqual(got.status, 200)
      assert.strictEqual(got.headers.get("content-type"), "application/octet-stream")
      assert.strictEqual(got.headers.get("content-length"), String(bytes.length))
      assert.deepStrictEqual(new Uint8Array(yield* Effect.promise(() => got.arrayBuffer())), bytes)
    }))

  it.scoped("past maxUploadSize: 413 and nothing stored, whether the length is declared or not", () =>
    Effect.gen(function*() {
      const { contextId, send, url, vault } = yield* setup({ maxUploadSize: 1000 })
      const streamed = yield* send(yield* url("Upload", "/tmp/a"), chunked(bytesOf(1500), 5))
      assert.strictEqual(streamed.status, 413)
      assert.strictEqual((yield* envelope(streamed)).Code, "RequestTooLarge")
      const declared = yield* send(yield* url("Upload", "/tmp/b"), { method: "PUT", body: bytesOf(1001) })
      assert.strictEqual(declared.status, 413)
      assert.deepStrictEqual(yield* vault.files.walk(contextId, "/"), [])
      const fits = yield* send(yield* url("Upload", "/tmp/c"), { method: "PUT", body: bytesOf(1000) })
      assert.strictEqual(fits.status, 200)
    }))

  it.scoped("refused tokens are a 403 envelope; the route's paths never echo a token", () =>
    Effect.gen(function*() {
      const { send, url } = yield* setup()
      const forged = `${BackendHttp.filesPrefix}${"ab".repeat(16)}`
      for (const init of [{ method: "PUT", body: "x" }, {}]) {
        const response = yield* send(forged, init)
        assert.strictEqual(response.status, 403)
        const body = yield* envelope(response)
        assert.deepStrictEqual([body.Code, body.Success, body.HttpStatusCode], [
          BackendRuntime.accessDenied,
          false,
          403
        ])
      }
      // A download token does not upload, nor an upload token download.
      const down = yield* url("Download", "/tmp/none").pipe(Effect.exit)
      assert.isTrue(down._tag === "Failure") // no such file: no download URL
      const up = yield* url("Upload", "/tmp/x")
      assert.strictEqual((yield* send(up)).status, 403)
      const wrong = yield* send(up, { method: "POST", body: "x" })
      assert.strictEqual(wrong.status, 404)
      assert.notInclude(JSON.stringify(yield* envelope(wrong)), up.slice(BackendHttp.filesPrefix.length))
      // The upload token was not spent by the refused requests.
      assert.strictEqual((yield* send(up, { method: "PUT", body: "ok" })).status, 200)
    }))

  it.scoped("a sandbox without volumes refuses CreateMcpSession with a VolumeId (InvalidParameter)", () =>
    Effect.gen(function*() {
      const { call } = yield* setup()
      const volume = yield* call({ Action: "GetVolume", VolumeName: "v", ImageId: "linux_latest", AllowCreate: "true" })
      const refused = yield* Effect.exit(call({ Action: "CreateMcpSession", VolumeId: volume.VolumeId }))
      assert.isTrue(refused._tag === "Failure")
      assert.include(JSON.stringify(refused), "volumes are not supported by this sandbox")
    }))
})
