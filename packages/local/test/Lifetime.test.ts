// Session lifetimes on the local runtime, on the TestClock: the server's sweep
// deletes sessions past `sessionTtl` (sandbox destroyed) and purges deleted
// records past `retention`; `serve --session-ttl` wires it; and the SDK's
// `reap`, from a second client, removes the expired sessions a first client
// left behind when it died without releasing them.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Cli from "../src/Cli.js"
import { sandboxDouble } from "./utils.js"

const K = AgentBay.stampKeys

// The sweep runs on the TestClock (each minute) but does real I/O (SQLite,
// HTTP): move the clock a minute at a time and give it real time to run,
// until `check` holds (at most `steps` minutes).
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, steps = 10) =>
  Effect.gen(function*() {
    for (let i = 0; i <= steps; i++) {
      for (let tries = 0; tries < 5; tries++) {
        if (yield* check) return
        yield* TestServices.provideLive(Effect.sleep("10 millis"))
      }
      yield* TestClock.adjust("1 minute")
    }
    return assert.fail("the condition never held")
  })

const statusOf = (id: string) =>
  Effect.flatMap(AgentBay.AgentBay, (bay) =>
    bay.get(id).pipe(
      Effect.map((s): string => s.status),
      Effect.catchTag("NotFound", () => Effect.succeed("NotFound"))
    ))

describe("the local runtime's sweep", () => {
  it.effect("deletes a session past its TTL as DeleteSessionAsync does: DELETED, sandbox destroyed", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const old = yield* bay.create()
      yield* TestClock.adjust("4 minutes")
      const young = yield* bay.create()
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual(yield* statusOf(old.id), "RUNNING")
      // Past 10 minutes: the next sweep deletes `old`, not `young` (created at 4).
      yield* eventually(Effect.map(statusOf(old.id), (s) => s === "DELETED"), 3)
      assert.include(sandbox.of(old.id), `destroy:${old.id}`)
      assert.strictEqual(yield* statusOf(young.id), "RUNNING")
      assert.notInclude(sandbox.of(young.id), `destroy:${young.id}`)
      assert.deepStrictEqual([...yield* Stream.runCollect(bay.list())].map((s) => s.id), [young.id])
      yield* TestClock.adjust("3 minutes")
      assert.strictEqual(yield* statusOf(young.id), "RUNNING")
      yield* eventually(Effect.map(statusOf(young.id), (s) => s === "DELETED"), 2)
    }).pipe(
      Effect.provide(AgentBayLocal.layerWith({ sessionTtl: "10 minutes", transitionDelay: 0 }, () => sandbox.layer))
    )
  })

  it.effect("purges the record of a deleted session past retention (GetSession: NotFound); live ones stay", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const gone = yield* bay.create()
      const kept = yield* bay.create()
      yield* bay.delete(gone)
      yield* TestClock.adjust("59 minutes")
      assert.strictEqual(yield* statusOf(gone.id), "DELETED")
      yield* eventually(Effect.map(statusOf(gone.id), (s) => s === "NotFound"), 3)
      assert.strictEqual(yield* statusOf(kept.id), "RUNNING") // no TTL: lives on
      const e = yield* Effect.flip(bay.get(gone.id))
      assert.strictEqual(e._tag, "NotFound")
    }).pipe(Effect.provide(AgentBayLocal.layerWith({ retention: "1 hour", transitionDelay: 0 }, () => sandbox.layer)))
  })
})

// An SDK client of the server `info`, with its own client id (a layer build each).
const client = (info: typeof AgentBayLocal.Info.Service, ownership: AgentBay.OwnershipOptions = {}) =>
  AgentBay.layer({ apiKey: Option.getOrThrow(info.apiKey), endpoint: info.endpoint, ...ownership }).pipe(
    Layer.provide(AgentBay.layerWaits(AgentBayLocal.waits)),
    Layer.provide(NodeHttpClient.layerUndici)
  )

describe("AgentBay.reap against the local runtime", () => {
  it.effect("a second client reaps the expired sessions a first one left when it died without releasing them", () => {
    const sandbox = sandboxDouble()
    return Effect.gen(function*() {
      const info = yield* AgentBayLocal.Info
      // Client A: creates, then its layer is gone with nothing released (as after a SIGKILL).
      const [a1, a2, clientA] = yield* Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const a1 = yield* bay.create() // expires in 1 hour
        const a2 = yield* bay.create({ ttl: "3 hours" })
        return [a1.id, a2.id, (yield* a1.getLabels())[K.client]!] as const
      }).pipe(Effect.provide(client(info)))
      const unstamped = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()).pipe(
        Effect.provide(client(info, { stamp: false }))
      )
      yield* TestClock.adjust("30 minutes")

      yield* Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const b1 = yield* bay.create() // expires at 1 h 30
        yield* TestClock.adjust("45 minutes")
        const reaped = Chunk.toReadonlyArray(yield* Stream.runCollect(AgentBay.reap()))
        assert.deepStrictEqual(reaped.map((r) => [r.id, r.reason, r.stamps.client]), [[a1, "expired", clientA]])
        assert.include(sandbox.of(a1), `destroy:${a1}`)
        // A's other session has not expired; it is older than an hour, though.
        const older = yield* Stream.runCollect(AgentBay.reap({ olderThan: "1 hour", labels: { [K.client]: clientA } }))
        assert.deepStrictEqual(Chunk.toReadonlyArray(older).map((r) => [r.id, r.reason]), [[a2, "olderThan"]])
        const live = yield* Stream.runCollect(bay.list())
        assert.sameMembers(Chunk.toReadonlyArray(live).map((s) => s.id), [b1.id, unstamped.id])
        for (const id of [a1, a2]) assert.strictEqual(yield* statusOf(id), "DELETED")
      }).pipe(Effect.provide(client(info)))
    }).pipe(Effect.provide(AgentBayLocal.layerServerWith({ transitionDelay: 0 }, () => sandbox.layer)))
  })
})

describe("agentbay-local serve --session-ttl / --retention", () => {
  const run = (...args: Array<string>) =>
    Effect.flatMap(Effect.console, (console) =>
      Cli.run(["node", "agentbay-local", "serve", ...args]).pipe(
        // Quiet: no banner, no usage text in the test output.
        Effect.withConsole({ ...console, log: () => Effect.void, error: () => Effect.void }),
        Effect.provide(NodeContext.layer)
      ))

  it.scoped("--session-ttl 1h: the server deletes a session an hour after its creation", () =>
    Effect.gen(function*() {
      const dataDir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-lifetime-"))),
        (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
      )
      const lifetimes = ["--session-ttl", "1h", "--retention", "7d"]
      const fiber = yield* Effect.fork(
        run("--port", "0", "--data-dir", dataDir, "--isolation", "process", "--api-key", "ak-ttl", ...lifetimes)
      )
      yield* Effect.addFinalizer(() => Fiber.interrupt(fiber))
      // The server says where it listens in the data dir's server.json.
      const serverJson = path.join(dataDir, "server.json")
      const endpoint = yield* TestServices.provideLive(
        Effect.try(() => JSON.parse(fs.readFileSync(serverJson, "utf8")).endpoint as unknown).pipe(
          Effect.filterOrFail((e): e is string => typeof e === "string"),
          Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("20 seconds")))
        )
      )
      const info = { apiKey: Option.some(Redacted.make("ak-ttl")), endpoint } as typeof AgentBayLocal.Info.Service
      yield* Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const s = yield* bay.create()
        yield* TestClock.adjust(Duration.minutes(58))
        assert.strictEqual(yield* statusOf(s.id), "RUNNING")
        yield* eventually(Effect.map(statusOf(s.id), (status) => status === "DELETED"), 4)
      }).pipe(Effect.provide(client(info)))
    }))

  it.live("a lifetime that is not a positive duration is a usage error", () =>
    Effect.gen(function*() {
      const dir = path.join(os.tmpdir(), "agentbay-lifetime-never-created")
      for (const args of [["--session-ttl", "soon"], ["--retention", "0"], ["--session-ttl", "-1h"]]) {
        // Rejected while parsing, before anything starts (bounded in case it did start).
        const error = yield* run("--port", "0", "--data-dir", dir, ...args).pipe(
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "it started" as const }),
          Effect.flip
        )
        assert.notStrictEqual(error, "it started", args.join(" "))
        assert.isFalse(fs.existsSync(dir))
      }
    }))
})
