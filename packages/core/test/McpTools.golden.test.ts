// Golden wire tests of the tool calls: each tool fixture's call, made through a
// Session's bound services, sends the official client's CallMcpTool requests
// (method, query, form fields, Args byte for byte) and reads the fixture's
// answers. One declared difference: text reads go in binary windows
// (`"format":"binary"` added to read_file's Args, the answer base64), so that a
// character split across windows stays whole (spec sdk-gaps §1.13).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type { Session } from "@effect-agentbay/core/Session"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Fixtures from "./fixtures.js"

const getFixture = Fixtures.load("get")

// Runs `call` on the Session of get.json over the real layer, the fake HTTP
// answering with get.json's then the exchanges' responses; checks every request.
const onSession = <A, E>(exchanges: ReadonlyArray<Fixtures.Exchange>, call: (s: Session) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.replay([getFixture.exchanges[0]!.response, ...exchanges.map((e) => e.response)])
    const layer = AgentBay.layer({ apiKey: Redacted.make(Fixtures.apiKey), endpoint: `http://${Fixtures.host}` }).pipe(
      Layer.provide(Layer.succeed(HttpClient.HttpClient, fake.client))
    )
    const use = Effect.flatMap(AgentBay.AgentBay, (bay) => Effect.flatMap(bay.get(Fixtures.sessionId(1)), call))
    const result = yield* Effect.either(Effect.provide(use, layer))
    const requests = yield* fake.requests
    Fixtures.assertRequest(requests[0]!, getFixture.exchanges[0]!.request)
    Fixtures.assertRequests(requests.slice(1), exchanges)
    if (Either.isLeft(result)) return assert.fail(`expected success, got ${String(result.left)}`)
    return result.right
  })

// The fixture `name`, sent as the official client sends it.
const golden = <A, E>(name: string, call: (s: Session) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const fixture = Fixtures.load(name)
    return Effect.map(onSession(fixture.exchanges, call), (value) => ({ fixture, value }))
  })

const argsOf = (exchange: Fixtures.Exchange) => JSON.parse(new Map(exchange.request.form).get("Args")!)
const textOf = (exchange: Fixtures.Exchange) => (exchange.response.body as any).Data.content[0].text as string

// The fixture as we send it: read_file windows in binary, answered in base64.
const binaryWindows = (fixture: Fixtures.Fixture): ReadonlyArray<Fixtures.Exchange> =>
  fixture.exchanges.map((exchange) => {
    const form = exchange.request.form!
    const args = argsOf(exchange)
    if (new Map(form).get("Name") !== "read_file") return exchange
    const body = exchange.response.body as any
    return {
      request: {
        ...exchange.request,
        form: form.map(([k, v]) => [k, k === "Args" ? JSON.stringify({ ...args, format: "binary" }) : v] as const)
      },
      response: {
        ...exchange.response,
        body: {
          ...body,
          Data: { ...body.Data, content: [{ type: "text", text: Encoding.encodeBase64(textOf(exchange)) }] }
        }
      }
    }
  })

describe("golden: files", () => {
  it.effect("read-file: get_file_info, then one binary window, decoded once", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("read-file")
      const text = yield* onSession(binaryWindows(fixture), (s) => s.filesystem.readFile("/home/wuying/demo/hello.txt"))
      assert.strictEqual(text, (fixture.result as any).content)
      // The window's Args are the official text read's plus `format`, in the official binary read's key order.
      assert.deepStrictEqual(
        Object.keys(JSON.parse(new Map(binaryWindows(fixture)[1]!.request.form).get("Args")!)),
        Object.keys(argsOf(Fixtures.load("read-file-bytes").exchanges[1]!))
      )
    }))

  it.effect("read-file-chunked: 128 000 bytes in windows of 61 440, 61 440 and 5 120", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("read-file-chunked")
      const text = yield* onSession(binaryWindows(fixture), (s) => s.filesystem.readFile("/home/wuying/demo/big.txt"))
      assert.strictEqual(text.length, 128_000)
      assert.strictEqual(text, fixture.exchanges.slice(1).map(textOf).join(""))
    }))

  it.effect("read-file-bytes: the same requests as the official client, bytes exact", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden("read-file-bytes", (s) =>
        s.filesystem.readFileBytes("/home/wuying/demo/hello.txt"))
      assert.strictEqual(Encoding.encodeBase64(value), (fixture.result as any).content.$uint8arrayBase64)
    }))

  it.effect("write-file: one write_file, mode overwrite", () =>
    Effect.gen(function*() {
      const { value } = yield* golden(
        "write-file",
        (s) =>
          s.filesystem.writeFile("/home/wuying/demo/hello.txt", "Hello, AgentBay!\nsymbols: & = + % \"quoted\" ✓\n")
      )
      assert.isUndefined(value)
    }))

  it.effect("write-file-append: mode append", () =>
    Effect.gen(function*() {
      const { value } = yield* golden(
        "write-file-append",
        (s) => s.filesystem.writeFile("/home/wuying/demo/hello.txt", "appended line\n", { mode: "append" })
      )
      assert.isUndefined(value)
    }))

  it.effect("write-file-chunked: 128 000 ASCII characters as 61 440 + 61 440 + 5 120, then append", () =>
    Effect.gen(function*() {
      const fixture = Fixtures.load("write-file-chunked")
      const content = fixture.exchanges.map((e) => argsOf(e).content as string).join("")
      assert.strictEqual(content.length, 128_000)
      yield* onSession(fixture.exchanges, (s) => s.filesystem.writeFile("/home/wuying/demo/big.txt", content))
    }))

  it.effect("get-file-info: the whole modTime (the official parser cuts it at the second colon)", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "get-file-info",
        (s) => s.filesystem.getFileInfo("/home/wuying/demo/hello.txt")
      )
      const official = (fixture.result as any).fileInfo
      assert.deepStrictEqual(value, { ...official, modTime: "2026-01-05T08:00:00Z" })
      assert.strictEqual(official.modTime, "2026-01-05T08")
    }))

  it.effect("list-directory", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden("list-directory", (s) => s.filesystem.listDirectory("/home/wuying/demo"))
      assert.deepStrictEqual(value, (fixture.result as any).entries)
    }))

  it.effect("read-multiple-files", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "read-multiple-files",
        (s) => s.filesystem.readMultipleFiles(["/home/wuying/demo/greeting.txt", "/home/wuying/demo/notes.md"])
      )
      assert.deepStrictEqual(
        Object.fromEntries(value.map((f) => [f.path, f.content])),
        (fixture.result as any).contents
      )
    }))

  it.effect("search-files: excludePatterns", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "search-files",
        (s) => s.filesystem.searchFiles("/home/wuying/demo", "*.txt", { exclude: ["big*"] })
      )
      assert.deepStrictEqual(value, (fixture.result as any).matches)
    }))

  it.effect("move-file", () =>
    Effect.gen(function*() {
      const { value } = yield* golden(
        "move-file",
        (s) => s.filesystem.moveFile("/home/wuying/demo/hello.txt", "/home/wuying/demo/greeting.txt")
      )
      assert.isUndefined(value)
    }))

  it.effect("delete-file", () =>
    Effect.gen(function*() {
      assert.isUndefined(
        (yield* golden("delete-file", (s) => s.filesystem.deleteFile("/home/wuying/demo/notes.md"))).value
      )
    }))

  it.effect("create-directory", () =>
    Effect.gen(function*() {
      const { value } = yield* golden("create-directory", (s) => s.filesystem.createDirectory("/home/wuying/demo"))
      assert.isUndefined(value)
    }))

  it.effect("edit-file: dryRun false sent", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "edit-file",
        (s) => s.filesystem.editFile("/home/wuying/demo/notes.md", [{ oldText: "draft", newText: "final" }])
      )
      assert.strictEqual(value, textOf(fixture.exchanges[0]!))
    }))
})

describe("golden: commands and code", () => {
  it.effect("shell: command, timeout_ms, cwd, envs", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "shell",
        (s) =>
          s.command.executeCommand("echo \"$GREETING\" && pwd", {
            timeout: "5 seconds",
            cwd: "/home/wuying",
            env: { GREETING: "hello world" }
          })
      )
      const official = fixture.result as any
      assert.deepStrictEqual(value, {
        stdout: official.stdout,
        stderr: official.stderr,
        exitCode: 0,
        traceId: undefined
      })
    }))

  it.effect("shell-exit-code: a non-zero exit is a result (our default timeout is 60 s; 1 s given to match)", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "shell-exit-code",
        (s) => s.command.executeCommand("echo out; echo err >&2; exit 3", { timeout: "1 second" })
      )
      const official = fixture.result as any
      assert.deepStrictEqual(value, {
        stdout: official.stdout,
        stderr: official.stderr,
        exitCode: 3,
        traceId: undefined
      })
    }))

  it.effect("run-code: code, language, timeout_s; rich result decoded", () =>
    Effect.gen(function*() {
      const { fixture, value } = yield* golden(
        "run-code",
        (s) => s.code.runCode("print('hello')\n2 + 3", "python", { timeout: "30 seconds" })
      )
      const official = fixture.result as any
      assert.strictEqual(value.text, official.result)
      assert.deepStrictEqual(value.results, official.results)
      assert.deepStrictEqual(value.logs, official.logs)
      assert.strictEqual(value.executionTime, official.executionTime)
      assert.strictEqual(value.executionCount, official.executionCount)
      assert.isUndefined(value.error)
    }))
})
