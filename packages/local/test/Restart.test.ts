// The CLI server as a child process (`node --import tsx src/bin.ts serve`): state
// acknowledged before a SIGKILL is all there after a restart on the same data dir,
// transitions caught in flight are settled, and the generated key keeps working.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { assert, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/local/src/bin.ts")

interface Server {
  readonly child: ChildProcess
  readonly endpoint: string
  readonly output: () => string
}

const exited = (child: ChildProcess) =>
  Effect.async<{ code: number | null; signal: NodeJS.Signals | null }>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode }))
    }
    child.once("exit", (code, signal) => resume(Effect.succeed({ code, signal })))
  })

const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  Effect.suspend(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited(child)
  }).pipe(Effect.timeout("10 seconds"), Effect.orDie)

// Starts `serve` and waits (bounded) for its banner; the finalizer SIGKILLs it if still running.
const serve = (dataDir: string, ...args: Array<string>) =>
  Effect.acquireRelease(
    Effect.async<Server, Error>((resume) => {
      const child = spawn(process.execPath, [
        "--import", "tsx", bin, "serve", "--port", "0", "--data-dir", dataDir, "--isolation", "process", ...args
      ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      let done = false
      const finish = (result: Effect.Effect<Server, Error>) => {
        if (done) return
        done = true
        clearTimeout(timer)
        resume(result)
      }
      const timer = setTimeout(() => finish(Effect.fail(new Error(`no banner within 25 s:\n${output}`))), 25_000)
      const read = (chunk: Buffer) => {
        output += chunk.toString("utf8")
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match && output.includes("Stop with")) {
          finish(Effect.succeed({ child, endpoint: match[1], output: () => output }))
        }
      }
      child.stdout!.on("data", read)
      child.stderr!.on("data", read)
      child.once("exit", (code) => finish(Effect.fail(new Error(`serve exited with ${code}:\n${output}`))))
    }),
    (server) => stop(server.child, "SIGKILL")
  )

// Processes a killed server left behind (no isolation: they outlive it): those working in the data dir.
const killStrays = (dataDir: string) =>
  Effect.sync(() => {
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(dataDir)) process.kill(Number(pid), "SIGKILL")
      } catch {
        // gone, or not ours to inspect
      }
    }
  })

const client = (server: Server, key: string) =>
  <A, E>(use: Effect.Effect<A, E, AgentBay.AgentBay | AgentBayClient.AgentBayClient>) =>
    use.pipe(
      Effect.provide(AgentBay.layer({ apiKey: Redacted.make(key), endpoint: server.endpoint })),
      Effect.provide(NodeHttpClient.layerUndici)
    )

it.live("sessions survive a SIGKILL of the server", () =>
  Effect.gen(function*() {
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-restart-"))),
      (dir) => Effect.zipRight(killStrays(dir), Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    )

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
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-cli-key-"))),
      (dir) => Effect.zipRight(killStrays(dir), Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    )
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
