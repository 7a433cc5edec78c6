// Bad input on the pre-signed context-file URLs (`/context-files/<token>`,
// no key: the token is the credential). Seeded random requests, 16 at a time:
// forged tokens of many shapes (empty, long, `..`, `%2f`, NUL, unicode, near
// misses of a real one) under every method, a real upload token reused after
// its one PUT, bodies past the server's small `maxUploadSize` (with a
// Content-Length, and chunked without one), and uploads cut short (chunked or
// not, then FIN). Every refusal must be a well-formed 4xx envelope in time;
// afterwards the context holds exactly the one valid upload, byte-exact, and
// no staging file is left. (Kept apart from Fuzz.test.ts, which is past the
// house's file size already.)
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as http from "node:http"
import * as Path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import {
  type Answer,
  envelopeViolation,
  eventually,
  figure,
  filesBelow,
  filesDouble,
  form,
  formType,
  jsonOf,
  rawExchange,
  rng,
  seedOf,
  send
} from "./utils.js"

const key = "akl-chaos-files-0123456789abcdef"
const maxUploadSize = 64 * 1024 // small, so that "oversized" stays cheap
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: [Redacted.make(key)], maxUploadSize },
  (dataDir) => filesDouble(dataDir)
)
const requestCount = 600
const concurrency = 16
const answerBoundMs = 10_000
const validPath = "/home/wuying/data/ok.txt"
const validBody = "the one valid upload\n"

const post = (port: number, action: string, fields: Record<string, string>) =>
  send(false, port, {
    path: `/?Action=${action}`,
    headers: formType,
    body: form({ Authorization: `Bearer ${key}`, ...fields })
  })

/** The data of a successful action, else a failed assertion. */
const dataOf = (answer: Answer): any => {
  assert.isUndefined(envelopeViolation(answer), envelopeViolation(answer))
  assert.strictEqual(answer._tag === "Response" && answer.status, 200)
  return jsonOf(answer).Data
}

const tokenOfUrl = (url: string) => url.slice(url.indexOf("/context-files/") + "/context-files/".length)

/** One generated request: raw bytes on a fresh connection (any target, framing or cut). */
interface Generated {
  readonly kind: string
  readonly bytes: string | Buffer
  readonly halfClose: boolean
}

const rawRequest = (method: string, token: string, headers: ReadonlyArray<string>, body: string | Buffer = "") =>
  Buffer.concat([
    Buffer.from([`${method} /context-files/${token} HTTP/1.1`, "Host: 127.0.0.1", ...headers, "", ""].join("\r\n")),
    Buffer.from(body)
  ])

/** A chunked PUT of `body` (two chunks, no Content-Length). */
const chunkedPut = (token: string, body: Buffer) => {
  const chunks = [body.subarray(0, body.length >> 1), body.subarray(body.length >> 1)]
  const framed = Buffer.concat([
    ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")]),
    Buffer.from("0\r\n\r\n")
  ])
  return rawRequest("PUT", token, ["Transfer-Encoding: chunked", "Connection: close"], framed)
}

layer(Server, { excludeTestServices: true, timeout: "60 seconds" })("bad input: context-file URLs", (it) => {
  it.effect(
    `${requestCount} requests to /context-files/<token>: each refusal a well-formed 4xx envelope in time; only the one valid PUT is stored; no staging file left`,
    () =>
      Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const port = info.port
        const context = dataOf(yield* post(port, "GetContext", { Name: "chaos-files", AllowCreate: "true" }))
        const contextId = context.Id as string
        const uploadToken = Effect.map(
          post(port, "GetContextFileUploadUrl", { ContextId: contextId, FilePath: validPath }),
          (a) => tokenOfUrl(dataOf(a).Url)
        )
        // The one valid PUT; its token is then spent.
        const spent = yield* uploadToken
        const stored = yield* send(false, port, { method: "PUT", path: `/context-files/${spent}`, body: validBody })
        assert.strictEqual(stored._tag === "Response" && stored.status, 200, "the valid PUT is stored")

        const seed = seedOf("fuzz/context-files")
        const r = rng(seed)
        const forged: ReadonlyArray<string> = [
          "",
          "a",
          "0".repeat(32),
          `${spent.slice(0, 31)}${spent[31] === "0" ? "1" : "0"}`,
          spent.toUpperCase(),
          `${spent}0`,
          spent.slice(0, 31),
          "a".repeat(8 * 1024),
          "..",
          "%2e%2e",
          "..%2f..%2fagentbay.db",
          "%2f",
          `${spent}%2f..`,
          `${spent}%00`,
          `${spent}\u0000`,
          "\u00fc\u00f1\u00ef",
          "\ud83d\ude00",
          `${spent}?x=1`,
          `${spent}#frag`,
          spent // reused after its PUT
        ]
        const methods = ["PUT", "GET", "POST", "DELETE", "PATCH", "OPTIONS"]
        const fresh: Array<string> = yield* Effect.forEach(
          Array.from({ length: requestCount }),
          () => uploadToken,
          { concurrency: 8 }
        )
        const generated = fresh.map((token, i): Generated => {
          const size = r.between(maxUploadSize + 1, 4 * maxUploadSize)
          const body = Buffer.alloc(size, 0x61 + (i % 26))
          switch (r.int(5)) {
            case 0:
            case 1: {
              const method = r.pick(methods)
              const payload = method === "GET" ? "" : `forged ${i}`
              return {
                kind: `forged token, ${method}`,
                bytes: rawRequest(method, r.pick(forged), [
                  `Content-Length: ${Buffer.byteLength(payload)}`,
                  "Connection: close"
                ], payload),
                halfClose: false
              }
            }
            case 2:
              return {
                kind: "oversized, Content-Length",
                bytes: rawRequest("PUT", token, [`Content-Length: ${size}`, "Connection: close"], body),
                halfClose: false
              }
            case 3: {
              // Chunked, no length: the cap is met while streaming.
              return { kind: "oversized, chunked", bytes: chunkedPut(token, body), halfClose: false }
            }
            default: {
              const part = body.subarray(0, r.between(1, maxUploadSize - 1))
              return r.chance(0.5)
                ? {
                  kind: "cut short, chunked, then FIN",
                  bytes: rawRequest(
                    "PUT",
                    token,
                    ["Transfer-Encoding: chunked"],
                    Buffer.concat([Buffer.from(`${(part.length + 100).toString(16)}\r\n`), part])
                  ),
                  halfClose: true
                }
                : {
                  kind: "cut short, Content-Length, then FIN",
                  bytes: rawRequest("PUT", token, [`Content-Length: ${part.length + 100}`], part),
                  halfClose: true
                }
            }
          }
        })

        const started = Date.now()
        const statuses: Record<string, number> = {}
        const kinds: Record<string, number> = {}
        const violations = new Map<string, number>()
        let slowest = 0
        yield* Effect.forEach(generated, (g) =>
          Effect.map(rawExchange(port, g.bytes, { halfClose: g.halfClose, timeoutMs: answerBoundMs }), (answer) => {
            slowest = Math.max(slowest, answer.ms)
            kinds[g.kind] = (kinds[g.kind] ?? 0) + 1
            const status = answer._tag === "Response" ? String(answer.status) : answer._tag
            statuses[status] = (statuses[status] ?? 0) + 1
            const violation = envelopeViolation(answer) ??
              (answer._tag === "Response" && answer.status < 400 ? `HTTP ${answer.status}: not refused` : undefined)
            if (violation !== undefined) {
              const group = `${violation.replace(/"[^"]*"/g, "\"…\"").slice(0, 90)} <- ${g.kind}`
              violations.set(group, (violations.get(group) ?? 0) + 1)
            }
          }), { concurrency, discard: true })
        const seconds = (Date.now() - started) / 1000

        // Afterwards: the server serves; the context holds exactly the valid upload; staging is empty.
        const dir = Path.join(info.dataDir, "contexts", contextId)
        const staging = Path.join(dir, "staging")
        const stagingEmpty = () =>
          !Fs.existsSync(staging) || Fs.readdirSync(staging).length === 0
        yield* eventually(stagingEmpty, 5_000)
        const left = Fs.existsSync(staging) ? Fs.readdirSync(staging) : []
        const onDisk = filesBelow(Path.join(dir, "files")).map((f) =>
          Path.relative(Path.join(dir, "files"), f)
        )
        const listed = dataOf(
          yield* post(port, "DescribeContextFiles", { ContextId: contextId, ParentFolderPath: "/home/wuying/data" })
        ) as ReadonlyArray<{ FilePath: string; Size?: number }>
        const download = tokenOfUrl(
          dataOf(yield* post(port, "GetContextFileDownloadUrl", { ContextId: contextId, FilePath: validPath })).Url
        )
        const got = yield* send(new http.Agent(), port, { method: "GET", path: `/context-files/${download}` })
        figure("fuzz/context-files", {
          requests: generated.length,
          kinds,
          seconds,
          slowestMs: slowest,
          statuses,
          violations: [...violations.values()].reduce((a, b) => a + b, 0),
          filesStored: onDisk.length,
          stagingLeft: left.length
        })
        for (const [group, count] of violations) console.log(`[chaos] fuzz/context-files violation x${count}: ${group}`)
        assert.deepStrictEqual([...violations].map(([g, n]) => `x${n} ${g}`), [], "every refusal is a 4xx envelope")
        assert.deepStrictEqual(left, [], "no staging file left")
        assert.deepStrictEqual(listed.map((f) => f.FilePath), [validPath], "the context lists only the valid upload")
        assert.deepStrictEqual(onDisk, [Path.join("home/wuying/data/ok.txt")], "only the valid upload is on disk")
        assert.strictEqual(got._tag === "Response" && got.text, validBody, "byte-exact")
        for (const kind of ["oversized, Content-Length", "oversized, chunked"]) {
          assert.isAbove(kinds[kind] ?? 0, 0, kind)
        }
        assert.isAbove(statuses["413"] ?? 0, 0)
        assert.isAbove(statuses["403"] ?? 0, 0)
      }),
    { timeout: 90_000 }
  )

  // Once answered with a closed connection and no response at all: the upload failed at the cap
  // mid-stream, and the server dropped the connection before its 413 went out. Past the cap the
  // rest of the body is now read and dropped (up to 4 times the cap), then the 413 is sent.
  it.effect("an oversized chunked upload (no Content-Length) gets its 413 envelope and stores nothing", () =>
    Effect.gen(function*() {
      const port = (yield* AgentBayLocal.Info).port
      const contextId = dataOf(yield* post(port, "GetContext", { Name: "chaos-files-413", AllowCreate: "true" })).Id
      const path = "/home/wuying/big.bin"
      const url = dataOf(yield* post(port, "GetContextFileUploadUrl", { ContextId: contextId, FilePath: path })).Url
      const answer = yield* rawExchange(port, chunkedPut(tokenOfUrl(url), Buffer.alloc(3 * maxUploadSize, 0x62)))
      assert.isUndefined(envelopeViolation(answer), envelopeViolation(answer))
      assert.strictEqual(answer._tag === "Response" && answer.status, 413)
      // No file (the write makes the target's parent folders first: they stay, empty; see RELIABILITY.md).
      const dir = Path.join((yield* AgentBayLocal.Info).dataDir, "contexts", contextId)
      assert.deepStrictEqual(filesBelow(Path.join(dir, "files")), [])
      assert.deepStrictEqual(Fs.readdirSync(Path.join(dir, "staging")), [])
    }))
})
