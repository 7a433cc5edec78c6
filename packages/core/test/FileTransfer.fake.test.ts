// File transfer end to end over the fake (AgentBayTest: the real client over
// MemoryTransport and the shared backend): binary bytes and a stream go into
// the sandbox (read back with the MCP file tools), come back byte for byte, and
// a file the sandbox does not have is NotFound.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const binary = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)

describe("file transfer over the fake", () => {
  it.effect("bytes and streams go into the sandbox and come back exact", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const session = yield* bay.create()
      const bytes = binary(300_000) // not UTF-8: writeFile would refuse it
      yield* session.filesystem.uploadFile(bytes, "/home/wuying/file_transfer/a.bin")
      assert.deepStrictEqual(yield* session.filesystem.readFileBytes("/home/wuying/file_transfer/a.bin"), bytes)
      assert.deepStrictEqual(yield* session.filesystem.downloadFileBytes("/home/wuying/file_transfer/a.bin"), bytes)

      const parts = [bytes.subarray(0, 100_000), bytes.subarray(100_000)]
      yield* session.filesystem.uploadFile(Stream.fromIterable(parts), "/tmp/b.bin", { contentLength: bytes.length })
      const back = yield* Stream.runCollect(session.filesystem.downloadFile("/tmp/b.bin"))
      const joined = Uint8Array.from(Chunk.toReadonlyArray(back).flatMap((c) => [...c]))
      assert.deepStrictEqual(joined, bytes)
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("a file the sandbox does not have is NotFound (ContextFile); a stream without a length goes up too", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const session = yield* bay.create()
      const error = yield* Effect.flip(session.filesystem.downloadFileBytes("/tmp/missing.bin"))
      assert.deepInclude(error, { _tag: "NotFound", resource: "ContextFile", id: "/tmp/missing.bin" })
      yield* session.filesystem.uploadFile(Stream.make(binary(10), binary(5)), "/tmp/c.bin")
      assert.strictEqual((yield* session.filesystem.readFileBytes("/tmp/c.bin")).length, 15)
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
