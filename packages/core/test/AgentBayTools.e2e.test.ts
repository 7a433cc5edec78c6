// The tool services end to end: the real AgentBay, AgentBayClient and tool
// services over the in-memory transport of AgentBayTest to the backend the
// local runtime runs (its tool handlers, in-memory files, programmed commands).
// Proves that both sides of the McpTool declarations agree.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"

const home = "/home/wuying"

describe("tools end to end (AgentBayTest's backend)", () => {
  it.effect("files: multi-byte text across windows, stream, info, list, move, search, edit, read several", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const fs = s.filesystem
      const text = "ü€😀 line\n".repeat(20_000) // 300 000 bytes: windows split characters
      yield* fs.createDirectory(`${home}/demo`)
      yield* fs.writeFile(`${home}/demo/big.txt`, text)
      assert.strictEqual(yield* fs.readFile(`${home}/demo/big.txt`), text)
      const windows = Chunk.toReadonlyArray(yield* Stream.runCollect(fs.readFileStream(`${home}/demo/big.txt`)))
      assert.deepStrictEqual(windows.map((w) => w.length), [61_440, 61_440, 61_440, 61_440, 54_240])
      assert.strictEqual((yield* fs.getFileInfo(`${home}/demo/big.txt`)).size, 300_000)

      yield* fs.writeFile(`${home}/demo/notes.md`, "status: draft\n")
      yield* fs.editFile(`${home}/demo/notes.md`, [{ oldText: "draft", newText: "final" }])
      yield* fs.moveFile(`${home}/demo/big.txt`, `${home}/demo/large.txt`)
      assert.deepStrictEqual(yield* fs.listDirectory(`${home}/demo`), [
        { name: "large.txt", isDirectory: false },
        { name: "notes.md", isDirectory: false }
      ])
      assert.deepStrictEqual(yield* fs.searchFiles(`${home}/demo`, "*.md"), [`${home}/demo/notes.md`])
      assert.deepStrictEqual(yield* fs.readMultipleFiles([`${home}/demo/notes.md`]), [
        { path: `${home}/demo/notes.md`, content: "status: final" }
      ])
      yield* fs.deleteFile(`${home}/demo/notes.md`)
      const e = yield* Effect.flip(fs.readFile(`${home}/demo/notes.md`))
      assert.strictEqual(e._tag, "ToolError")
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("bytes round-trip; non-UTF-8 bytes are refused before sending", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const bytes = new TextEncoder().encode("\uFEFFbinary-ish\u0000text ✓".repeat(5_000))
      yield* s.filesystem.writeFile(`${home}/b.dat`, bytes)
      assert.deepStrictEqual(yield* s.filesystem.readFileBytes(`${home}/b.dat`), bytes)
      const refused = yield* Effect.flip(s.filesystem.writeFile(`${home}/c.dat`, new Uint8Array([0xc3, 0x28])))
      assert.deepInclude(refused, { _tag: "ValidationError", field: "content" })
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("commands: output and exit code as data; past the timeout CommandTimeout with the output so far", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      const s = yield* bay.create()
      yield* backend.onCommand("make", { stdout: "built\n", stderr: "1 warning\n", exitCode: 2 })
      yield* backend.onCommand("sleep 10", () => Effect.as(Effect.sleep("10 seconds"), { stdout: "never" }))
      assert.deepInclude(yield* s.command.executeCommand("make"), {
        stdout: "built\n",
        stderr: "1 warning\n",
        exitCode: 2
      })
      const fiber = yield* Effect.fork(Effect.flip(s.command.executeCommand("sleep 10", { timeout: "2 seconds" })))
      yield* TestClock.adjust("3 seconds")
      assert.deepInclude(yield* Fiber.join(fiber), { _tag: "CommandTimeout", tool: "shell", timeout: "2s" })
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.effect("mcp: the catalogue of the image, a tool by name, metrics", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const s = yield* bay.create()
      const tools = yield* s.mcp.listTools()
      assert.includeMembers(tools.map((t) => t.name), ["shell", "read_file", "write_file", "run_code", "get_metrics"])
      yield* s.filesystem.writeFile(`${home}/a.txt`, "hello")
      const info = yield* s.mcp.callTool("get_file_info", { path: `${home}/a.txt` })
      assert.include(info.text, "size: 5")
      const missing = yield* Effect.flip(s.mcp.callTool("read_file", { path: `${home}/nope` }))
      assert.strictEqual(missing._tag, "ToolError")
      const metrics = yield* s.getMetrics()
      assert.isAbove(metrics.cpu_count, 0)
    }).pipe(Effect.provide(AgentBayTest.layer())))
})
