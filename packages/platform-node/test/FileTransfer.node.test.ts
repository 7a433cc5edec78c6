// File transfer through the SDK over NodeHttpClientLite, against a tiny
// node:http server on 127.0.0.1 (closed by each test) that answers the
// transfer's API actions and the pre-signed URLs, counting bytes as they pass
// (it never buffers a transfer to measure it). A 50 MiB upload and download
// arrive byte for byte (SHA-256), and the client never holds the whole body:
// at every moment the bytes it has pulled from the source (upload) or been
// given by the server (download) run ahead of the other side by far less than
// the file. Local files go up with `uploadFileFrom` and come down with
// `downloadFileTo`, which leaves no partial file when the download fails.
import { createHash, randomBytes } from "node:crypto"
import * as NodeFs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayFileSystem from "@effect-agentbay/core/AgentBayFileSystem"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as NodeHttpClientLite from "@effect-agentbay/platform-node/NodeHttpClientLite"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"

const MiB = 1024 * 1024
const CHUNK = 64 * 1024
const CTX = "ctx-ft"

/** Chunk `i` of a generated file: 64 KiB, different from its neighbours. */
const generated = (i: number) => {
  const b = Buffer.allocUnsafe(CHUNK)
  for (let j = 0; j < CHUNK; j += 4) b.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ j) >>> 0, j)
  return b
}
const generatedSha = (chunks: number) => {
  const h = createHash("sha256")
  for (let i = 0; i < chunks; i++) h.update(generated(i))
  return h.digest("hex")
}

interface ServerState {
  url: string
  /** Files stored in the context by path (small ones: the 50 MiB upload is only counted). */
  readonly files: Map<string, Buffer>
  /** Files in the sandbox by path; SyncContext copies between the two. */
  readonly sandbox: Map<string, Buffer>
  /** A path not stored is served as a generated file of this many chunks. */
  generatedChunks: number
  getStatus: number
  /** Bytes of the PUT body received so far, and what the test's source had given out at each arrival. */
  put: { received: number; maxLead: number; sha: string; contentLength: string | undefined }
  /** Bytes of the GET body the server has written so far. */
  sent: number
}

const reply = (res: Http.ServerResponse, data?: unknown) => {
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({ RequestId: "r", Success: true, Code: "ok", ...(data === undefined ? {} : { Data: data }) }))
}

// The API actions of a transfer (fields from the query and the form body) and
// the two URL routes. `pulled` is the test's count of bytes its source gave out.
const serve = (pulled: () => number) =>
  Effect.acquireRelease(
    Effect.async<{ server: Http.Server; state: ServerState }>((resume) => {
      const state: ServerState = {
        url: "",
        files: new Map(),
        sandbox: new Map(),
        generatedChunks: 0,
        getStatus: 200,
        put: { received: 0, maxLead: 0, sha: "", contentLength: undefined },
        sent: 0
      }
      const tokens = new Map<string, string>()
      let synced = { path: "", mode: "" }
      const server = Http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://h")
        const token = url.pathname.split("/")[2] ?? ""
        if (req.method === "PUT" && url.pathname.startsWith("/put/")) {
          const h = createHash("sha256")
          const keep: Array<Buffer> = []
          state.put.contentLength = req.headers["content-length"]
          req.on("data", (c: Buffer) => {
            state.put.received += c.length
            h.update(c)
            if (state.put.received <= 8 * MiB) keep.push(c)
            state.put.maxLead = Math.max(state.put.maxLead, pulled() - state.put.received)
          })
          req.on("end", () => {
            state.put.sha = h.digest("hex")
            if (state.put.received <= 8 * MiB) state.files.set(tokens.get(token)!, Buffer.concat(keep))
            res.end()
          })
          return
        }
        if (req.method === "GET" && url.pathname.startsWith("/get/")) {
          if (state.getStatus !== 200) return res.writeHead(state.getStatus).end(`denied ${token}`)
          const stored = state.files.get(tokens.get(token)!)
          if (stored !== undefined) return res.writeHead(200, { "content-length": stored.length }).end(stored)
          res.writeHead(200, { "content-length": state.generatedChunks * CHUNK })
          let i = 0
          const pump = () => {
            while (i < state.generatedChunks) {
              const c = generated(i++)
              state.sent += c.length
              if (!res.write(c)) return void res.once("drain", pump)
            }
            res.end()
          }
          return pump()
        }
        let body = ""
        req.setEncoding("utf8")
        req.on("data", (c: string) => (body += c))
        req.on("end", () => {
          const f = new Map([...url.searchParams, ...new URLSearchParams(body)])
          const path = f.get("FilePath") ?? f.get("Path") ?? ""
          const signed = (kind: string) => {
            const t = randomBytes(16).toString("hex")
            tokens.set(t, path)
            reply(res, { Url: `${state.url}/${kind}/${t}`, ExpireTime: 1 })
          }
          switch (f.get("Action")) {
            case "GetAndLoadInternalContext":
              return reply(res, [{
                ContextId: CTX,
                ContextPath: "/home/wuying/file_transfer",
                ContextType: "file_transfer"
              }])
            case "GetContextFileUploadUrl":
              return signed("put")
            case "GetContextFileDownloadUrl":
              return signed("get")
            case "SyncContext": {
              synced = { path, mode: f.get("Mode") ?? "" }
              const [from, to] = synced.mode === "download"
                ? [state.files, state.sandbox]
                : [state.sandbox, state.files]
              if (from.has(path)) to.set(path, from.get(path)!)
              return reply(res)
            }
            case "GetContextInfo":
              return reply(res, {
                ContextStatus: WireContext.encodeTasks([
                  { contextId: CTX, path: synced.path, taskType: synced.mode, status: "Success", errorMessage: "" }
                ])
              })
            case "DeleteContextFile":
              state.files.delete(path)
              return reply(res)
            default:
              res.writeHead(400).end()
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(Effect.succeed({ server, state }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))

// The SDK over the lite client, pointed at the server.
const sdk = (state: ServerState) =>
  AgentBay.layer({ apiKey: Redacted.make("sk-node"), endpoint: state.url, stamp: false }).pipe(
    Layer.provide(NodeHttpClientLite.layer),
    Layer.provide(AgentBay.layerWaits({ contextSync: { interval: "20 millis", timeout: "10 seconds" } }))
  )

const withFs = <A, E, R>(
  state: ServerState,
  f: (fs: AgentBayFileSystem.AgentBayFileSystem.Service) => Effect.Effect<A, E, R>
) => Effect.provide(Effect.flatMap(AgentBayFileSystem.AgentBayFileSystem, f), sdk(state))

const S1 = "s-1"
const BIG = 800 // chunks of 64 KiB: 50 MiB
// Far below the 50 MiB a buffering client would show; socket buffers and
// stream high-water marks on loopback stay within a few MiB.
const leadBound = 25 * MiB

describe("file transfer over NodeHttpClientLite", () => {
  it.scopedLive("a 50 MiB upload streams: exact bytes, and the source is pulled only as the server reads", () =>
    Effect.gen(function*() {
      let pulled = 0
      const state = yield* serve(() => pulled)
      const source = Stream.unfold(0, (i) => i < BIG ? Option.some([generated(i), i + 1] as const) : Option.none())
        .pipe(
          Stream.tap((c) => Effect.sync(() => void (pulled += c.length)))
        )
      yield* withFs(
        state,
        (fs) => fs.uploadFile(S1, source, "/home/wuying/file_transfer/big.bin", { contentLength: BIG * CHUNK })
      )
      assert.strictEqual(state.put.received, 50 * MiB)
      assert.strictEqual(state.put.contentLength, String(50 * MiB))
      assert.strictEqual(state.put.sha, generatedSha(BIG))
      assert.isBelow(state.put.maxLead, leadBound, `the client ran ${state.put.maxLead} bytes ahead of the server`)
    }))

  it.scopedLive("a 50 MiB download streams: exact bytes, and the server is read only as the consumer pulls", () =>
    Effect.gen(function*() {
      const state = yield* serve(() => 0)
      state.generatedChunks = BIG
      const h = createHash("sha256")
      let consumed = 0
      let maxLead = 0
      yield* withFs(state, (fs) =>
        Stream.runForEach(
          fs.downloadFile(S1, "/home/wuying/file_transfer/big.bin"),
          (c) =>
            Effect.sync(() => {
              consumed += c.length
              h.update(c)
              maxLead = Math.max(maxLead, state.sent - consumed)
            })
        ))
      assert.strictEqual(consumed, 50 * MiB)
      assert.strictEqual(h.digest("hex"), generatedSha(BIG))
      assert.isBelow(maxLead, leadBound, `the server got ${maxLead} bytes ahead of the consumer`)
    }))

  it.scopedLive("a local file goes up with uploadFileFrom and comes down with downloadFileTo", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => NodeFs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-transfer-"))),
        (d) => Effect.sync(() => NodeFs.rmSync(d, { recursive: true, force: true }))
      )
      const state = yield* serve(() => 0)
      const content = randomBytes(3 * MiB + 17)
      const source = Path.join(dir, "in.bin")
      const target = Path.join(dir, "out.bin")
      NodeFs.writeFileSync(source, content)
      NodeFs.writeFileSync(target, "an older file")
      const remote = "/home/wuying/file_transfer/in.bin"
      yield* withFs(
        state,
        (fs) => Effect.zipRight(fs.uploadFileFrom(S1, source, remote), fs.downloadFileTo(S1, remote, target))
      ).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(state.put.contentLength, String(content.length))
      assert.isTrue(state.sandbox.get(remote)?.equals(content), "the sandbox has the file")
      assert.strictEqual(state.files.size, 0, "no staging copy stays in the context")
      assert.isTrue(NodeFs.readFileSync(target).equals(content))
      assert.deepStrictEqual(NodeFs.readdirSync(dir).sort(), ["in.bin", "out.bin"])

      // An empty file, both ways.
      const empty = Path.join(dir, "empty.bin")
      NodeFs.writeFileSync(empty, "")
      yield* withFs(
        state,
        (fs) =>
          Effect.zipRight(
            fs.uploadFileFrom(S1, empty, "/tmp/empty.bin"),
            fs.downloadFileTo(S1, "/tmp/empty.bin", target)
          )
      ).pipe(Effect.provide(NodeContext.layer))
      assert.strictEqual(NodeFs.readFileSync(target).length, 0)
      NodeFs.rmSync(empty)

      // A refused download: the error, the older file untouched, no partial file.
      NodeFs.writeFileSync(target, "an older file")
      state.getStatus = 403
      const error = yield* Effect.flip(withFs(state, (fs) => fs.downloadFileTo(S1, remote, target))).pipe(
        Effect.provide(NodeContext.layer)
      )
      assert.deepInclude(error, { _tag: "AuthError", status: 403 })
      assert.strictEqual(NodeFs.readFileSync(target, "utf8"), "an older file")
      assert.deepStrictEqual(NodeFs.readdirSync(dir).sort(), ["in.bin", "out.bin"])

      // A directory is not a file to upload.
      const notFile = yield* Effect.flip(withFs(state, (fs) => fs.uploadFileFrom(S1, dir, remote))).pipe(
        Effect.provide(NodeContext.layer)
      )
      assert.deepInclude(notFile, { _tag: "ValidationError", field: "localPath" })
    }))
})
