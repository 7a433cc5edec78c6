// runCode over the real client and a scripted server: languages and aliases,
// rich results decoded, an execution error as data, the timeout typed.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as AgentBayCode from "@effect-agentbay/core/AgentBayCode"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"

const S1 = "sess-1"

const withCode = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: (
    code: AgentBayCode.AgentBayCode.Service,
    requests: Effect.Effect<ReadonlyArray<Fixtures.Recorded>>
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted(reply)
    const client = yield* AgentBayClient.make({ apiKey: Redacted.make("sk-code"), endpoint: "http://127.0.0.1:1" })
      .pipe(
        Effect.provideService(HttpClient.HttpClient, fake.client)
      )
    return yield* use(AgentBayCode.fromClient(client), fake.requests)
  })

const record = (value: unknown, isError = false) => () => Fixtures.toolResult(JSON.stringify(value), isError)
const empty = { result: [], stdout: [], stderr: [], executionError: "", executionTime: 0.1, executionCount: 1 }

describe("AgentBayCode.runCode", () => {
  it.effect("aliases in any case become python or javascript; timeout_s in whole seconds, rounded up", () =>
    withCode(record(empty), (code, requests) =>
      Effect.gen(function*() {
        const cases = [
          ["py", "python"],
          ["Python3", "python"],
          ["JS", "javascript"],
          ["node", "javascript"],
          ["nodejs", "javascript"],
          ["javascript", "javascript"]
        ] as const
        for (const [alias] of cases) {
          yield* code.runCode(S1, "1", alias as AgentBayCode.Language, { timeout: "1500 millis" })
        }
        const sent = (yield* requests).map(Fixtures.argsOf)
        assert.deepStrictEqual(sent.map((a) => a.language), cases.map(([, language]) => language))
        assert.deepStrictEqual(sent[0], { code: "1", language: "python", timeout_s: 2 })
      })))

  it.effect("an unknown language is ValidationError, nothing sent", () =>
    withCode(record(empty), (code, requests) =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(code.runCode(S1, "puts 1", "ruby" as AgentBayCode.Language))
        assert.deepInclude(e, { _tag: "ValidationError", operation: "runCode", field: "language" })
        assert.strictEqual((yield* requests).length, 0)
      })))

  it.effect("rich results: every MIME type, aliases of the record and of isMainResult, text twice encoded", () =>
    withCode(
      () =>
        Fixtures.toolResult(JSON.stringify(JSON.stringify({
          result: [
            JSON.stringify({ "text/plain": "<Figure>", "image/png": "iVBORw0KGgo=", "text/html": "<b>x</b>" }),
            { "text/plain": "42", "text/markdown": "**42**", "text/latex": "$42$", is_main_result: true },
            { "image/svg+xml": "<svg/>", "image/jpeg": "/9j/", "application/json": { a: [1] } },
            { "application/vnd.vegalite.v5+json": { mark: "bar" } }
          ],
          stdout: ["a\n", "b\n"],
          stderr: ["warn\n"],
          executionError: "",
          execution_time: 0.5,
          execution_count: 7
        }))),
      (code) =>
        Effect.gen(function*() {
          const r = yield* code.runCode(S1, "plot()", "python")
          assert.strictEqual(r.text, "42", "the main result's text")
          assert.deepStrictEqual(r.results, [
            { isMainResult: false, text: "<Figure>", png: "iVBORw0KGgo=", html: "<b>x</b>" },
            { isMainResult: true, text: "42", markdown: "**42**", latex: "$42$" },
            { isMainResult: false, svg: "<svg/>", jpeg: "/9j/", json: { a: [1] } },
            { isMainResult: false, chart: { mimeType: "application/vnd.vegalite.v5+json", spec: { mark: "bar" } } }
          ])
          assert.deepStrictEqual(r.logs, { stdout: ["a\n", "b\n"], stderr: ["warn\n"] })
          assert.strictEqual(r.executionTime, 0.5)
          assert.strictEqual(r.executionCount, 7)
          assert.isUndefined(r.error)
        })
    ))

  it.effect("without results the text is stdout", () =>
    withCode(record({ ...empty, stdout: ["hello\n"] }), (code) =>
      Effect.gen(function*() {
        assert.strictEqual((yield* code.runCode(S1, "print('hello')", "python")).text, "hello\n")
      })))

  it.effect("an exception in the code is data: error with name, value and traceback", () =>
    withCode(
      record({
        ...empty,
        stdout: ["before\n"],
        executionError:
          "Traceback (most recent call last):\n  File \"<cell>\", line 1\nNameError: name 'x' is not defined"
      }),
      (code) =>
        Effect.gen(function*() {
          const r = yield* code.runCode(S1, "x", "python")
          assert.strictEqual(r.error?.name, "NameError")
          assert.strictEqual(r.error?.value, "name 'x' is not defined")
          assert.include(r.error?.traceback, "Traceback (most recent call last)")
          assert.deepStrictEqual(r.logs.stdout, ["before\n"])
        })
    ))

  it.effect("an error-channel answer with a record is an execution error too; other text is ToolError", () =>
    Effect.gen(function*() {
      const failed = yield* withCode(
        record({ ...empty, stderr: ["SyntaxError: invalid syntax\n"] }, true),
        (code) => code.runCode(S1, "1 +", "python")
      )
      assert.deepInclude(failed.error, { name: "SyntaxError", value: "invalid syntax" })
      const e = yield* withCode(
        () => Fixtures.toolResult("interpreter crashed", true),
        (code) => Effect.flip(code.runCode(S1, "1", "python"))
      )
      assert.deepInclude(e, { _tag: "ToolError", tool: "run_code", text: "interpreter crashed" })
    }))

  it.effect("a run stopped at its timeout is CommandTimeout (tool run_code) with the logs so far", () =>
    withCode(
      record({
        ...empty,
        stdout: ["tick\n"],
        executionError: `TimeoutError: ${McpTool.timeoutLine(2000, "execution")}`
      }),
      (code) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(code.runCode(S1, "while True: pass", "python", { timeout: "2 seconds" }))
          assert.deepInclude(e, { _tag: "CommandTimeout", tool: "run_code", stdout: "tick\n", timeout: "2s" })
        })
    ))

  it.effect("no answer within the timeout and the margin is CommandTimeout too", () =>
    withCode(() => "hang", (code) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(code.runCode(S1, "1", "javascript", { timeout: "90 seconds" })))
        yield* TestClock.adjust("119 seconds")
        assert.strictEqual((yield* Fiber.poll(fiber))._tag, "None", "90 s of code and a 30 s margin: still waiting")
        yield* TestClock.adjust("1 second")
        assert.deepInclude(yield* Fiber.join(fiber), { _tag: "CommandTimeout", tool: "run_code" })
      })))

  it("plain text is a plain result; a JSON scalar stays text (the official client loses it)", () => {
    for (const text of ["2", "hello", "[1,2]", "{\"unrelated\":true}"]) {
      const r = AgentBayCode.parseResult(text)
      assert.isTrue(Either.isRight(r))
      if (Either.isRight(r)) assert.strictEqual(r.right.text, text)
    }
  })
})
