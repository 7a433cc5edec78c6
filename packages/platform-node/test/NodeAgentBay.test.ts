// Settings precedence (explicit > environment > .env > default), clear errors for a
// missing key or a bad timeout, and the layer end to end over the Node HTTP clients.
// The "environment" is a ConfigProvider.fromMap (what Effect reads instead of
// process.env), except in the one test that sets and restores a real variable.
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as TestClock from "effect/TestClock"

// A .env file in a temporary directory, removed when the test's scope closes.
const dotEnv = (text: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = `${yield* fs.makeTempDirectoryScoped()}/.env`
    yield* fs.writeFileString(path, text)
    return path
  }).pipe(Effect.provide(NodeFileSystem.layer))

// Stands in for the process environment.
const env = (vars: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

const load = (options: NodeAgentBay.Options, vars: Record<string, string> = {}) =>
  NodeAgentBay.loadOptions(options).pipe(env(vars))

const key = (options: { readonly apiKey: Redacted.Redacted }) => Redacted.value(options.apiKey)
const millis = (d: Duration.DurationInput | undefined) => d === undefined ? undefined : Duration.toMillis(d)

describe("NodeAgentBay settings", () => {
  it.effect("key from the environment; the rest defaults", () =>
    Effect.gen(function*() {
      const o = yield* load({ dotEnv: false }, { AGENTBAY_API_KEY: "env-key" })
      assert.strictEqual(key(o), "env-key")
      assert.isUndefined(o.endpoint)
      assert.isUndefined(o.timeout)
      assert.isUndefined(o.regionId)
    }))

  it.scoped("key from .env when the environment has none", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("AGENTBAY_API_KEY=file-key\nAGENTBAY_REGION_ID=cn-hangzhou\n")
      const o = yield* load({ dotEnv: path })
      assert.strictEqual(key(o), "file-key")
      assert.strictEqual(o.regionId, "cn-hangzhou")
    }))

  it.scoped("the environment beats .env, field by field", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv(
        "AGENTBAY_API_KEY=file-key\nAGENTBAY_ENDPOINT=http://127.0.0.1:18080\nAGENTBAY_TIMEOUT_MS=1500\n"
      )
      const o = yield* load({ dotEnv: path }, { AGENTBAY_API_KEY: "env-key", AGENTBAY_TIMEOUT_MS: "2500" })
      assert.strictEqual(key(o), "env-key")
      assert.strictEqual(o.endpoint, "http://127.0.0.1:18080")
      assert.strictEqual(millis(o.timeout), 2500)
    }))

  it.scoped("an explicit option beats the environment and .env, field by field", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("AGENTBAY_API_KEY=file-key\nAGENTBAY_REGION_ID=file-region\n")
      const vars = { AGENTBAY_API_KEY: "env-key", AGENTBAY_ENDPOINT: "env.example.com", AGENTBAY_TIMEOUT_MS: "2500" }
      const o = yield* load({ dotEnv: path, apiKey: Redacted.make("explicit-key"), timeout: "3 seconds" }, vars)
      assert.strictEqual(key(o), "explicit-key")
      assert.strictEqual(millis(o.timeout), 3000)
      assert.strictEqual(o.endpoint, "env.example.com")
      assert.strictEqual(o.regionId, "file-region")
    }))

  it.scoped("a missing .env file is fine", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("")
      const o = yield* load({ dotEnv: `${path}.missing` }, { AGENTBAY_API_KEY: "env-key" })
      assert.strictEqual(key(o), "env-key")
    }))

  it.scoped("the .env file is read when the layer is built, not before", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("")
      const layer = NodeAgentBay.layerWith({ dotEnv: path }) // built below, after the file changes
      const write = Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, "AGENTBAY_API_KEY=late\n"))
      yield* Effect.provide(write, NodeFileSystem.layer)
      const bay = yield* Effect.provide(AgentBay.AgentBay, layer).pipe(env({}))
      assert.isFunction(bay.create)
    }))

  it.effect("empty optional variables mean the default", () =>
    Effect.gen(function*() {
      const o = yield* load({ dotEnv: false }, {
        AGENTBAY_API_KEY: "k",
        AGENTBAY_ENDPOINT: "",
        AGENTBAY_TIMEOUT_MS: " ",
        AGENTBAY_REGION_ID: ""
      })
      assert.isUndefined(o.endpoint)
      assert.isUndefined(o.timeout)
      assert.isUndefined(o.regionId)
    }))

  it.effect("the real process environment is read when nothing replaces it", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const before = process.env.AGENTBAY_API_KEY
        process.env.AGENTBAY_API_KEY = "process-env-key"
        return before
      }),
      () =>
        Effect.map(NodeAgentBay.loadOptions({ dotEnv: false }), (o) => assert.strictEqual(key(o), "process-env-key")),
      (before) =>
        Effect.sync(() => {
          if (before === undefined) delete process.env.AGENTBAY_API_KEY
          else process.env.AGENTBAY_API_KEY = before
        })
    ))
})

describe("NodeAgentBay errors", () => {
  it.scoped("no key anywhere: the layer fails with a ConfigError naming AGENTBAY_API_KEY", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("AGENTBAY_ENDPOINT=http://127.0.0.1:18080\n")
      const layer = NodeAgentBay.layerWith({ dotEnv: path })
      const error = yield* Effect.flip(Effect.provide(AgentBay.AgentBay, layer).pipe(env({})))
      assert.strictEqual(error._tag, "ConfigError")
      if (error._tag === "ConfigError") assert.isTrue(ConfigError.isMissingDataOnly(error))
      assert.include(String(error), "AGENTBAY_API_KEY is not set")
    }))

  it.effect("an empty key is an error naming AGENTBAY_API_KEY", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load({ dotEnv: false }, { AGENTBAY_API_KEY: "  " }))
      assert.include(String(error), "AGENTBAY_API_KEY is set but empty")
    }))

  it.scoped("an invalid AGENTBAY_TIMEOUT_MS is an error naming it, even when .env has a valid one", () =>
    Effect.gen(function*() {
      const path = yield* dotEnv("AGENTBAY_TIMEOUT_MS=1000\n")
      for (const bad of ["abc", "0", "-5", "1.5", "10s", "99999999999999999999"]) {
        const error = yield* Effect.flip(load({ dotEnv: path }, { AGENTBAY_API_KEY: "k", AGENTBAY_TIMEOUT_MS: bad }))
        assert.include(String(error), "AGENTBAY_TIMEOUT_MS must be a whole number of milliseconds > 0", bad)
      }
    }))

  it.effect("an invalid endpoint fails the layer with ValidationError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(AgentBay.AgentBay, NodeAgentBay.layerWith({ dotEnv: false })).pipe(
          env({ AGENTBAY_API_KEY: "k", AGENTBAY_ENDPOINT: "ftp://x" })
        )
      )
      assert.strictEqual(error._tag, "ValidationError")
    }))
})

interface Recorded {
  readonly url: URL
  readonly form: URLSearchParams
}

describe("NodeAgentBay layer", () => {
  // The layer over a recording HttpClient that answers every request with `body`.
  const recording = <A, E>(
    body: unknown,
    options: NodeAgentBay.Options,
    vars: Record<string, string>,
    use: (bay: AgentBay.AgentBay.Service, requests: Effect.Effect<ReadonlyArray<Recorded>>) => Effect.Effect<A, E>
  ) =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<Recorded>>([])
      const http = HttpClient.make((request, url) =>
        Effect.gen(function*() {
          const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
          yield* Ref.update(seen, (xs) => [...xs, { url, form: new URLSearchParams(text) }])
          if (body === "hang") return yield* Effect.never
          return HttpClientResponse.fromWeb(request, new Response(JSON.stringify(body), { status: 200 }))
        })
      )
      const layer = NodeAgentBay.layerWithoutHttpClient(options).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
      )
      const program = Effect.flatMap(AgentBay.AgentBay, (bay) => use(bay, Ref.get(seen)))
      return yield* Effect.provide(program, layer).pipe(env(vars))
    })

  it.effect("an http:// endpoint, the key and the region from the environment reach the wire", () =>
    recording(
      { Success: true, Data: { SessionId: "s-1" } },
      { dotEnv: false },
      { AGENTBAY_API_KEY: "env-key", AGENTBAY_ENDPOINT: "http://127.0.0.1:18080", AGENTBAY_REGION_ID: "cn-x" },
      (bay, requests) =>
        Effect.gen(function*() {
          const s = yield* bay.create()
          assert.strictEqual(s.id, "s-1")
          const [request] = yield* requests
          assert.strictEqual(request!.url.origin, "http://127.0.0.1:18080")
          assert.strictEqual(request!.form.get("Authorization"), "Bearer env-key")
          assert.strictEqual(request!.form.get("LoginRegionId"), "cn-x")
        })
    ))

  it.effect("AGENTBAY_TIMEOUT_MS bounds each attempt", () =>
    recording(
      "hang",
      { dotEnv: false },
      { AGENTBAY_API_KEY: "k", AGENTBAY_TIMEOUT_MS: "1500" },
      (bay) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(Effect.flip(bay.create()))
          yield* TestClock.adjust("1499 millis")
          assert.strictEqual((yield* Fiber.poll(fiber))._tag, "None")
          yield* TestClock.adjust("1 millis")
          const error = yield* Fiber.join(fiber)
          assert.strictEqual(error._tag, "TransportError")
          if (error._tag === "TransportError") assert.strictEqual(error.reason, "Timeout")
        })
    ))

  // A real local server (127.0.0.1, closed by this test) behind each Node HTTP client.
  for (const kind of ["undici", "node-http"] as const) {
    it.live(`talks HTTP to a local server over ${kind}`, () =>
      Effect.gen(function*() {
        const forms: Array<string> = []
        const server = yield* Effect.acquireRelease(
          Effect.async<Http.Server>((resume) => {
            const s = Http.createServer((req, res) => {
              let body = ""
              req.on("data", (c: Buffer) => (body += c.toString("utf8")))
              req.on("end", () => {
                forms.push(body)
                res.writeHead(200, { "content-type": "application/json" })
                const data = { SessionId: "s-9", Status: "PAUSED" }
                res.end(JSON.stringify({ RequestId: "r1", Success: true, Data: data }))
              })
            })
            s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
          }),
          (s) =>
            Effect.async<void>((resume) => {
              s.close(() => resume(Effect.void))
            })
        )
        const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        const s = yield* Effect.provide(
          Effect.flatMap(AgentBay.AgentBay, (bay) => bay.get("s-9")),
          NodeAgentBay.layerWith({ apiKey: Redacted.make("live-key"), endpoint, dotEnv: false, httpClient: kind })
        )
        assert.strictEqual(s.status, "PAUSED")
        assert.strictEqual(new URLSearchParams(forms[0]).get("Authorization"), "Bearer live-key")
      }).pipe(Effect.scoped))
  }
})
