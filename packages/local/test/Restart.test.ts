// The CLI server as a child process (`node --import tsx src/bin.ts serve`): state
// acknowledged before a SIGKILL is all there after a restart on the same data dir,
// transitions caught in flight are settled, and the generated key keeps working.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { assert, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { client, serve, stop, tempDataDir } from "./serveChild.js"

it.live("sessions survive a SIGKILL of the server", () =>
  Effect.gen(function*() {
    const dataDir = yield* tempDataDir("agentbay-restart-")

    // First start: a key is generated, printed once and saved with mode 0600.
    // Transitions last a minute, so the kill catches them in flight.
    const first = yield* serve(dataDir, "--transition-delay", "60000", "--delete-delay", "60000")
    const key = fs.readFileSync(path.join(dataDir, "api-key"), "utf8").trim()
    assert.isTrue(first.output().includes(key), "the first start prints the generated key")
    assert.strictEqual(fs.statSync(path.join(dataDir, "api-key")).mode & 0o777, 0o600)

    const ids = yield* client(first, key)(Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const raw = yield* AgentBayClient.AgentBayClient
      const kept = yield* bay.create({ labels: { role: "kept", team: "qa" } })
      yield* kept.setLabels({ role: "kept", team: "dev" })
      const pausing = yield* bay.create({ labels: { role: "pausing" }, imageId: "code_latest" })
      yield* raw.pauseSessionAsync(pausing.id)
      assert.strictEqual((yield* raw.getSession(pausing.id)).status, "PAUSING")
      const deleting = yield* bay.create({ labels: { role: "deleting" } })
      yield* raw.deleteSessionAsync(deleting.id)
      assert.strictEqual((yield* raw.getSession(deleting.id)).status, "DELETING")
      return { kept: kept.id, pausing: pausing.id, deleting: deleting.id }
    }))

    const killed = yield* stop(first.child, "SIGKILL")
    assert.strictEqual(killed.signal, "SIGKILL")

    // Second start on the same data dir, no key given: the stored key is used and not printed again.
    const second = yield* serve(dataDir)
    assert.isFalse(second.output().includes(key), "a later start does not print the key")
    assert.include(second.output(), "the key generated on the first start")
    yield* client(second, key)(Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const kept = yield* bay.get(ids.kept)
      assert.strictEqual(kept.status, "RUNNING")
      assert.deepStrictEqual(yield* kept.getLabels(), { role: "kept", team: "dev" })
      const pausing = yield* bay.get(ids.pausing)
      assert.strictEqual(pausing.status, "PAUSED") // settled at start-up
      assert.strictEqual((yield* pausing.getStatus()).imageId, "code_latest")
      assert.strictEqual((yield* bay.get(ids.deleting)).status, "DELETED")
      assert.strictEqual((yield* (yield* bay.get(ids.deleting)).getStatus()).status, "FINISH")
      const live = Chunk.toArray(yield* Stream.runCollect(bay.list())).map((s) => [s.id, s.status])
      assert.deepStrictEqual(live, [[ids.kept, "RUNNING"], [ids.pausing, "PAUSED"]])
      // and the restored sessions work
      assert.strictEqual((yield* bay.betaResumeAsync(ids.pausing, { interval: "50 millis" })).status, "RUNNING")
    }))

    // SIGTERM: a clean stop (exit 0, the data dir released).
    const stopped = yield* stop(second.child, "SIGTERM")
    assert.strictEqual(stopped.code, 0, second.output())
    assert.isFalse(fs.existsSync(path.join(dataDir, "server.json")))
  }).pipe(Effect.scoped), { timeout: 60_000 })

it.live("serve --api-key K (given once) accepts exactly K and never prints it", () =>
  Effect.gen(function*() {
    const dataDir = yield* tempDataDir("agentbay-cli-key-")
    const key = "ak-given-once-7f3c"
    const server = yield* serve(dataDir, "--api-key", key)
    assert.notInclude(server.output(), key)
    assert.isFalse(fs.existsSync(path.join(dataDir, "api-key")), "no key is generated when one is given")
    const created = yield* client(server, key)(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()))
    const wrong = yield* client(server, "ak-someone-else")(
      Effect.flip(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.get(created.id)))
    )
    assert.strictEqual(wrong._tag, "AuthError")
  }).pipe(Effect.scoped), { timeout: 60_000 })
