// executeCommand over the real client and a scripted server: the request it
// sends, a non-zero exit as data, the timeout (honoured as given, typed when
// reached, with the output so far), env checked before sending.
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as AgentBayCommand from "@effect-agentbay/core/AgentBayCommand"
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"

import * as Fixtures from "./fixtures.js"

const S1 = "sess-1"

const withCommand = <A, E>(
  reply: (action: string, attempt: number) => Fixtures.Reply,
  use: (
    command: AgentBayCommand.AgentBayCommand.Service,
    requests: Effect.Effect<ReadonlyArray<Fixtures.Recorded>>
  ) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const fake = yield* Fixtures.scripted(reply)
    const client = yield* AgentBayClient.make({ apiKey: Redacted.make("sk-cmd"), endpoint: "http://127.0.0.1:1" }).pipe(
      Effect.provideService(HttpClient.HttpClient, fake.client)
    )
    return yield* use(AgentBayCommand.fromClient(client), fake.requests)
  })

const shell = (record: Record<string, unknown>, isError = false) => () =>
  Fixtures.toolResult(JSON.stringify(record), isError)

describe("AgentBayCommand.executeCommand", () => {
  it.effect("a non-zero exit is data", () =>
    withCommand(
      shell({ stdout: "out\n", stderr: "err\n", exit_code: 3, traceId: "t-9" }),
      (command) =>
        Effect.gen(function*() {
          const result = yield* command.executeCommand(S1, "exit 3")
          assert.deepStrictEqual(result, { stdout: "out\n", stderr: "err\n", exitCode: 3, traceId: "t-9" })
        })
    ))

  it.effect("exit 124 with a last stderr line `command timed out after <n> ms` is CommandTimeout with the output so far", () =>
    withCommand(
      shell({ stdout: "partial\n", stderr: `warming up\n${McpTool.timeoutLine(2000)}\n`, exit_code: 124, traceId: "" }),
      (command) =>
        Effect.gen(function*() {
          const e = yield* Effect.flip(command.executeCommand(S1, "sleep 10", { timeout: "2 seconds" }))
          assert.deepInclude(e, {
            _tag: "CommandTimeout",
            tool: "shell",
            sessionId: S1,
            timeout: "2s",
            stdout: "partial\n"
          })
          if (e._tag === "CommandTimeout") assert.include(e.stderr, "command timed out after 2000 ms")
          assert.notInclude(String(e), "sleep 10", "the command text is not in the error")
        })
    ))

  it.effect("exit 124 without the timeout line is an ordinary result", () =>
    withCommand(shell({ stdout: "", stderr: "", exit_code: 124 }), (command) =>
      Effect.gen(function*() {
        assert.strictEqual((yield* command.executeCommand(S1, "exit 124")).exitCode, 124)
      })))

  it.effect("the timeout is honoured as given (no 50 s cap) and bounds the HTTP attempt with a 30 s margin", () =>
    withCommand(() => "hang", (command, requests) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(command.executeCommand(S1, "make all", { timeout: "2 minutes" })))
        yield* TestClock.adjust("149 seconds")
        assert.isNull(yield* Effect.map(Fiber.poll(fiber), (o) => (o._tag === "None" ? null : o)))
        const sent = Fixtures.argsOf((yield* requests)[0]!)
        assert.deepStrictEqual(sent, { command: "make all", timeout_ms: 120_000 })
        yield* TestClock.adjust("1 second")
        const e = yield* Fiber.join(fiber)
        assert.deepInclude(e, { _tag: "CommandTimeout", tool: "shell", stdout: "", stderr: "" })
        assert.strictEqual((yield* requests).length, 1, "a tool call is never retried")
      })))

  it.effect("the default timeout is 60 s; cwd and env go as cwd and envs", () =>
    withCommand(shell({ stdout: "", stderr: "", exit_code: 0 }), (command, requests) =>
      Effect.gen(function*() {
        yield* command.executeCommand(S1, "env", { cwd: "/tmp", env: { A: "1", B: "two words" } })
        const request = (yield* requests)[0]!
        assert.deepStrictEqual(Fixtures.argsOf(request), {
          command: "env",
          timeout_ms: 60_000,
          cwd: "/tmp",
          envs: { A: "1", B: "two words" }
        })
        assert.strictEqual(Fixtures.fieldsOf(request).get("Name"), "shell")
        assert.strictEqual(Fixtures.fieldsOf(request).get("AutoGenSession"), "false")
      })))

  it.effect("an env value that is not a string is ValidationError, nothing sent", () =>
    withCommand(shell({ stdout: "", stderr: "", exit_code: 0 }), (command, requests) =>
      Effect.gen(function*() {
        const env = { A: "1", PORT: 8080 } as unknown as Record<string, string>
        const e = yield* Effect.flip(command.executeCommand(S1, "env", { env }))
        assert.deepInclude(e, { _tag: "ValidationError", operation: "executeCommand", field: "env.PORT" })
        assert.strictEqual((yield* requests).length, 0)
      })))

  it.effect("a timeout that is not a positive finite duration is ValidationError, nothing sent", () =>
    withCommand(shell({ stdout: "", stderr: "", exit_code: 0 }), (command, requests) =>
      Effect.gen(function*() {
        for (const timeout of ["0 millis", Duration.infinity] as const) {
          const e = yield* Effect.flip(command.executeCommand(S1, "true", { timeout }))
          assert.deepInclude(e, { _tag: "ValidationError", field: "timeout" })
        }
        assert.strictEqual((yield* requests).length, 0)
      })))

  it.effect("isError with a JSON record is a result (the cloud may report exits that way); otherwise ToolError", () =>
    Effect.gen(function*() {
      const viaError = yield* withCommand(
        shell({ stdout: "", stderr: "boom\n", errorCode: 2 }, true),
        (command) => command.executeCommand(S1, "false")
      )
      assert.deepInclude(viaError, { stderr: "boom\n", exitCode: 2 })
      const e = yield* withCommand(
        () => Fixtures.toolResult(["permission denied", "sandbox busy"], true),
        (command) => Effect.flip(command.executeCommand(S1, "rm -rf /"))
      )
      assert.deepInclude(e, { _tag: "ToolError", tool: "shell", text: "permission denied; sandbox busy" })
    }))

  it.effect("plain text is stdout with exit 0; a JSON scalar stays text", () =>
    Effect.gen(function*() {
      const plain = yield* withCommand(() => Fixtures.toolResult("hello\n"), (c) => c.executeCommand(S1, "echo hello"))
      assert.deepStrictEqual(plain, { stdout: "hello\n", stderr: "", exitCode: 0 })
      const scalar = yield* withCommand(() => Fixtures.toolResult("2"), (c) => c.executeCommand(S1, "echo 2"))
      assert.strictEqual(scalar.stdout, "2")
    }))

  it.effect("an unknown session is NotFound", () =>
    withCommand(
      () => Fixtures.json(400, { Success: false, Code: "InvalidMcpSession.NotFound", Message: "no such session" }),
      (command) =>
        Effect.gen(function*() {
          assert.deepInclude(yield* Effect.flip(command.executeCommand("gone-1", "true")), {
            _tag: "NotFound",
            resource: "Session",
            id: "gone-1"
          })
        })
    ))
})
