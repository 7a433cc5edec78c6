// Large files through the real client and AgentBayFileSystem, against a tiny
// in-test server that implements get_file_info, read_file (binary windows) and
// write_file over a Map: 5 MiB of text whose multi-byte characters straddle the
// 61 440-byte windows comes back exact, and so do bytes; what write_file cannot
// carry is refused before anything is sent.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as AgentBayFileSystem from "@effect-agentbay/core/AgentBayFileSystem"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const S1 = "sess-1"
const W = McpTool.chunkSize

interface Call {
  readonly name: string
  readonly args: Record<string, any>
}

// The server: files by path, every tool call recorded (Args parsed).
const memoryServer = (files: Map<string, Uint8Array>) => {
  const calls: Array<Call> = []
  const result = (text: string, isError = false) => ({ content: [{ type: "text", text }], isError })
  const run = ({ args, name }: Call) => {
    const file = files.get(args.path)
    switch (name) {
      case "get_file_info": {
        if (file === undefined) return result(`${args.path}: no such file or directory`, true)
        const info = {
          name: args.path.split("/").pop(),
          path: args.path,
          size: file.length,
          isDirectory: false,
          modTime: "2026-01-05T08:00:00Z",
          mode: "-rw-r--r--"
        }
        return result(Schema.encodeSync(McpTool.FileInfoText)(info))
      }
      case "read_file": {
        if (file === undefined) return result(`${args.path}: no such file or directory`, true)
        const window = file.subarray(args.offset ?? 0, (args.offset ?? 0) + (args.length ?? file.length))
        return result(args.format === "binary" ? Encoding.encodeBase64(window) : new TextDecoder().decode(window))
      }
      case "write_file": {
        const bytes = new TextEncoder().encode(args.content)
        if (args.mode === "create_new" && file !== undefined) return result(`${args.path}: file exists`, true)
        files.set(args.path, args.mode === "append" && file !== undefined ? concat([file, bytes]) : bytes)
        return result(`Successfully wrote to ${args.path}`)
      }
      default:
        return result(`unknown tool ${name}`, true)
    }
  }
  const client = HttpClient.make((request) =>
    Effect.sync(() => {
      const body = request.body as { readonly body: Uint8Array }
      const form = new URLSearchParams(new TextDecoder().decode(body.body))
      const call = { name: form.get("Name")!, args: JSON.parse(form.get("Args")!) }
      calls.push(call)
      const envelope = { RequestId: `r${calls.length}`, Success: true, Code: "ok", Data: run(call) }
      return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(envelope), { status: 200 }))
    })
  )
  return { client, calls }
}

const concat = (parts: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const withFs = (files: Map<string, Uint8Array> = new Map()) =>
  Effect.gen(function*() {
    const server = memoryServer(files)
    const client = yield* AgentBayClient.make({ apiKey: Redacted.make("sk-fs"), endpoint: "http://127.0.0.1:1" }).pipe(
      Effect.provideService(HttpClient.HttpClient, server.client)
    )
    return { fs: AgentBayFileSystem.fromClient(client), calls: server.calls, files }
  })

const utf8 = (text: string) => new TextEncoder().encode(text)
const isContinuation = (byte: number) => (byte & 0xc0) === 0x80

// 5 MiB of 1-, 2-, 3- and 4-byte characters (11 bytes a round): window
// boundaries (multiples of 61 440 = 11 × 5 585 + 5) fall inside characters.
const unit = "aé€😀b"
const bigText = unit.repeat(Math.ceil((5 * 1024 * 1024) / utf8(unit).length))

// The windows that cover `size` bytes.
const windowSizes = (size: number) => Array.from({ length: Math.ceil(size / W) }, (_, i) => Math.min(W, size - i * W))

describe("AgentBayFileSystem: 5 MiB through 61 440-byte windows", () => {
  it.effect("text with multi-byte characters split across windows round-trips exactly", () =>
    Effect.gen(function*() {
      const { calls, files, fs } = yield* withFs()
      const bytes = utf8(bigText)
      assert.isAbove(bytes.length, 5 * 1024 * 1024 - 1)
      yield* fs.writeFile(S1, "/big.txt", bigText)

      const writes = calls.filter((c) => c.name === "write_file")
      // Pieces end early at a character boundary, so there may be one more than windows.
      assert.include([Math.ceil(bytes.length / W), Math.ceil(bytes.length / W) + 1], writes.length)
      let cut = 0
      for (const [i, w] of writes.entries()) {
        const size = utf8(w.args.content).length
        assert.isAtMost(size, W, `piece ${i}`)
        if (i < writes.length - 1) assert.isAbove(size, W - 4, `piece ${i} is full but for one character`)
        if (size < W && i < writes.length - 1) cut++
        assert.strictEqual(w.args.mode, i === 0 ? "overwrite" : "append")
        assert.isFalse(w.args.content.includes("\uFFFD"), `piece ${i} holds whole characters`)
      }
      assert.isAbove(cut, 0, "some pieces were cut short of 61 440 bytes to keep a character whole")
      assert.deepStrictEqual(files.get("/big.txt"), bytes)

      // The stored file really has characters across window boundaries.
      assert.isTrue([1, 2, 3].some((n) => isContinuation(bytes[n * W]!)))

      calls.length = 0
      const back = yield* fs.readFile(S1, "/big.txt")
      assert.isTrue(back === bigText, "the text read back is the text written")
      const reads = calls.filter((c) => c.name === "read_file")
      assert.strictEqual(calls[0]!.name, "get_file_info")
      assert.strictEqual(reads.length, windowSizes(bytes.length).length)
      reads.forEach((r, i) =>
        assert.deepStrictEqual(r.args, {
          path: "/big.txt",
          offset: i * W,
          length: Math.min(W, bytes.length - i * W),
          format: "binary"
        })
      )
    }))

  it.effect("bytes (valid UTF-8, NUL and a BOM included) round-trip; the stream yields the windows", () =>
    Effect.gen(function*() {
      const { fs } = yield* withFs()
      const bytes = concat([new Uint8Array([0xef, 0xbb, 0xbf, 0, 1, 2]), utf8(bigText.slice(0, 200_000))])
      yield* fs.writeFile(S1, "/data.bin", bytes)
      assert.deepStrictEqual(yield* fs.readFileBytes(S1, "/data.bin"), bytes)
      const windows = Chunk.toReadonlyArray(yield* Stream.runCollect(fs.readFileStream(S1, "/data.bin")))
      assert.deepStrictEqual(windows.map((w) => w.length), windowSizes(bytes.length))
      assert.deepStrictEqual(concat(windows), bytes)
    }))

  it.effect("any bytes read back exactly (binary windows), even those write_file could not carry", () =>
    Effect.gen(function*() {
      const bytes = new Uint8Array(3 * W + 17).map((_, i) => (i * 7919) % 256)
      const { fs } = yield* withFs(new Map([["/random.bin", bytes]]))
      assert.deepStrictEqual(yield* fs.readFileBytes(S1, "/random.bin"), bytes)
    }))

  it.effect("create_new then append: the first piece carries the mode", () =>
    Effect.gen(function*() {
      const { calls, fs } = yield* withFs()
      yield* fs.writeFile(S1, "/new.txt", "x".repeat(W + 1), { mode: "create_new" })
      assert.deepStrictEqual(calls.map((c) => c.args.mode), ["create_new", "append"])
      const again = yield* Effect.flip(fs.writeFile(S1, "/new.txt", "y", { mode: "create_new" }))
      assert.deepInclude(again, { _tag: "ToolError", tool: "write_file", text: "/new.txt: file exists" })
    }))

  it.effect("an empty write still writes once; an empty file reads without a window", () =>
    Effect.gen(function*() {
      const { calls, files, fs } = yield* withFs()
      yield* fs.writeFile(S1, "/empty.txt", "")
      assert.deepStrictEqual(files.get("/empty.txt"), new Uint8Array(0))
      assert.strictEqual(yield* fs.readFile(S1, "/empty.txt"), "")
      assert.deepStrictEqual(calls.map((c) => c.name), ["write_file", "get_file_info"])
    }))
})

describe("AgentBayFileSystem: refused before sending", () => {
  it.effect("bytes that are not UTF-8 are ValidationError pointing at file transfer; nothing is sent", () =>
    Effect.gen(function*() {
      const { calls, fs } = yield* withFs()
      const e = yield* Effect.flip(fs.writeFile(S1, "/x.bin", new Uint8Array([0x66, 0xff, 0xfe, 0x00])))
      assert.deepInclude(e, { _tag: "ValidationError", operation: "writeFile", field: "content" })
      if (e._tag === "ValidationError") assert.include(e.reason, "file-transfer")
      assert.strictEqual(calls.length, 0)
    }))

  it.effect("a lone surrogate is ValidationError (UTF-8 cannot encode it)", () =>
    Effect.gen(function*() {
      const { calls, fs } = yield* withFs()
      const e = yield* Effect.flip(fs.writeFile(S1, "/x.txt", "ok \uD83D then"))
      assert.deepInclude(e, { _tag: "ValidationError", field: "content" })
      assert.strictEqual(calls.length, 0)
    }))

  it.effect("an unknown mode is ValidationError", () =>
    Effect.gen(function*() {
      const { calls, fs } = yield* withFs()
      const e = yield* Effect.flip(fs.writeFile(S1, "/x.txt", "a", { mode: "truncate" as "append" }))
      assert.deepInclude(e, { _tag: "ValidationError", field: "mode" })
      assert.strictEqual(calls.length, 0)
    }))

  it.effect("a missing file is ToolError with the tool's text", () =>
    Effect.gen(function*() {
      const { fs } = yield* withFs()
      const e = yield* Effect.flip(fs.readFile(S1, "/nope.txt"))
      assert.deepInclude(e, {
        _tag: "ToolError",
        tool: "get_file_info",
        sessionId: S1,
        text: "/nope.txt: no such file or directory"
      })
    }))
})
