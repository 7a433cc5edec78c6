// What sessions do with contexts and volumes, at the BackendSessions level:
// checks before anything starts, downloads after create, the upload before a
// release (and the TTL sweep that retries it), and the restart that mounts the
// same volume again.
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as BackendSandbox from "../src/BackendSandbox.js"
import * as BackendSessions from "../src/BackendSessions.js"
import { BackendStore } from "../src/BackendStore.js"
import { BackendVault } from "../src/BackendVault.js"
import * as MemoryFiles from "../src/MemoryFiles.js"
import * as MemoryStore from "../src/MemoryStore.js"
import * as MemoryVault from "../src/MemoryVault.js"

const owner = "o"
const data = "/home/wuying/data"

// In-memory trees that record every start and its options.
const recordingSandbox = () => {
  const trees = new Map<string, BackendSandbox.SessionFiles>()
  const starts: Array<readonly [string, BackendSandbox.StartOptions | undefined]> = []
  const service: BackendSandbox.BackendSandbox.Service = {
    isolation: { level: "memory", detail: "test" },
    start: (id, options) => Effect.sync(() => void starts.push([id, options])),
    pause: () => Effect.void,
    resume: () => Effect.void,
    destroy: (id) => Effect.sync(() => void trees.delete(id)),
    exec: () => Effect.succeed({ exitCode: 0, stdout: "", stderr: "", timedOut: false }),
    files: (id) => {
      if (!trees.has(id)) trees.set(id, MemoryFiles.make())
      return trees.get(id)!
    },
    removeVolume: () => Effect.void
  }
  return { service, starts }
}

const setup = (options: BackendSessions.Options = {}) =>
  Effect.gen(function*() {
    const sandbox = recordingSandbox()
    const { faults, vault } = yield* MemoryVault.makeWithFaults
    const store = yield* MemoryStore.make
    const deps = Layer.mergeAll(
      Layer.succeed(BackendSandbox.BackendSandbox, sandbox.service),
      Layer.succeed(BackendVault, vault),
      // One store for every build of the layer: a second build is a restart.
      Layer.succeed(BackendStore, store)
    )
    const build = Effect.provide(
      BackendSessions.BackendSessions,
      BackendSessions.layer(options).pipe(Layer.provide(deps))
    )
    yield* vault.insertContext({
      id: "ctx",
      owner,
      name: "n",
      state: "available",
      kind: "user",
      createdAt: 0,
      lastUsedAt: 0
    })
    yield* vault.insertVolume({
      id: "vol",
      owner,
      name: "v",
      imageId: "linux_latest",
      status: "Available",
      createdAt: 0
    })
    return { sandbox, faults, vault, store, build }
  })

const params = { PersistenceDataList: [{ ContextId: "ctx", Path: data }], VolumeId: "vol" }

describe("BackendSessions with contexts and volumes", () => {
  it.scoped("unknown contexts and volumes are NotFound before the sandbox starts", () =>
    Effect.gen(function*() {
      const { build, sandbox } = yield* setup()
      const sessions = yield* build
      const noContext = yield* Effect.flip(
        sessions.create({ owner, labels: {}, params: { PersistenceDataList: [{ ContextId: "other", Path: data }] } })
      )
      assert.deepStrictEqual(noContext._tag === "NotFound" && [noContext.resource, noContext.id], ["Context", "other"])
      const notMine = yield* Effect.flip(sessions.create({ owner: "someone-else", labels: {}, params }))
      assert.deepStrictEqual(notMine._tag === "NotFound" && notMine.resource, "Context")
      assert.deepStrictEqual(sandbox.starts, [])
    }))

  it.scoped("create downloads the contexts before it returns; a failed download is a Failed task, the session stays", () =>
    Effect.gen(function*() {
      const { build, faults, sandbox, vault } = yield* setup()
      const sessions = yield* build
      yield* vault.files.write("ctx", `${data}/a.txt`, Stream.succeed(new TextEncoder().encode("a")))
      const row = yield* sessions.create({ owner, labels: {}, params })
      assert.deepStrictEqual(sandbox.starts, [[row.id, { volume: { id: "vol" } }]])
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(sandbox.service.files(row.id), data), {
        [`${data}/a.txt`]: "a"
      })
      yield* faults.failNext("read")
      const second = yield* sessions.create({ owner, labels: {}, params })
      assert.strictEqual(second.status, "RUNNING")
      assert.deepStrictEqual((yield* vault.tasks(second.id)).map((t) => [t.taskType, t.status]), [[
        "download",
        "Failed"
      ]])
      assert.deepStrictEqual(
        [...(yield* sessions.usage(owner)).contexts.get("ctx")!].sort(),
        [row.id, second.id].sort()
      )
      assert.isTrue((yield* sessions.usage(owner)).volumes.has("vol"))
    }))

  it.scoped("the TTL sweep keeps a session whose upload fails and deletes it on a later round", () =>
    Effect.gen(function*() {
      const { build, faults, sandbox, vault } = yield* setup({ sessionTtl: "1 hour" })
      const sessions = yield* build
      const row = yield* sessions.create({ owner, labels: {}, params })
      yield* MemoryFiles.seed(sandbox.service.files(row.id), { [`${data}/keep.txt`]: "k" })
      yield* TestClock.adjust("1 hour")
      yield* faults.failNext("write")
      const first = yield* sessions.sweep
      assert.deepStrictEqual([first.expired, first.failed], [0, 1])
      assert.strictEqual((yield* sessions.get(owner, row.id)).status, "RUNNING")
      const second = yield* sessions.sweep
      assert.deepStrictEqual([second.expired, second.failed], [1, 0])
      assert.strictEqual((yield* sessions.get(owner, row.id)).status, "DELETED")
      const stored = yield* vault.files.walk("ctx", "/")
      assert.deepStrictEqual(stored.map((f) => f.path), [`${data}/keep.txt`])
    }))

  it.scoped("a release skips the upload of a context deleted meanwhile", () =>
    Effect.gen(function*() {
      const { build, vault } = yield* setup()
      const sessions = yield* build
      const row = yield* sessions.create({ owner, labels: {}, params })
      yield* vault.deleteContext("ctx")
      assert.strictEqual(yield* sessions.transition(owner, row.id, "delete"), "start")
      assert.deepStrictEqual((yield* vault.tasks(row.id)).map((t) => t.taskType), ["download"])
    }))

  it.scoped("a restart starts each live session again with the volume it was created with", () =>
    Effect.gen(function*() {
      const { build, sandbox } = yield* setup()
      const first = yield* build
      const withVolume = yield* first.create({ owner, labels: {}, params: { VolumeId: "vol" } })
      const without = yield* first.create({ owner, labels: {}, params: {} })
      sandbox.starts.length = 0
      yield* build // the layer again over the same store: reconcile
      assert.deepStrictEqual(sandbox.starts, [[withVolume.id, { volume: { id: "vol" } }], [without.id, undefined]])
    }))
})
