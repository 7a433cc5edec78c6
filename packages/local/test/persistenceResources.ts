// The persistence suite, part 3: volumes (`bay.betaVolume`, mounted at /home/wuying/volume) and networks
// (`bay.betaNetwork`).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type { Session } from "@effect-agentbay/core/Session"
import { assert } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { has } from "./capabilities.js"
import { Backend, type Case, random, testCase } from "./persistence.js"

const image = "linux_latest"
const mount = "/home/wuying/volume"

/**
 * A shell command in the session, where commands really run (see `Backend.commandsRun`). `$HOME/volume` is
 * the volume under bubblewrap (HOME is /home/wuying there) and in process mode (HOME is the session's host
 * directory, where the volume is linked).
 */
const sh = (session: Session, command: string) =>
  Effect.map(session.command.executeCommand(command), (r) => ({ stdout: r.stdout, exitCode: r.exitCode }))

export const resources: ReadonlyArray<Case> = [
  testCase(
    "volumes: create, get by name and by id, list with filters and pages, NotFound",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const volumes = bay.betaVolume
      has(yield* Effect.flip(volumes.get({ name: "a", imageId: image })), { _tag: "NotFound", resource: "Volume" })
      const a = yield* volumes.create("a", image)
      has(a, { name: "a", status: "Available", imageId: image })
      assert.strictEqual((yield* volumes.create("a", image)).id, a.id)
      assert.strictEqual((yield* volumes.get({ name: "a", imageId: image })).id, a.id)
      assert.strictEqual((yield* volumes.get({ name: "a", imageId: image, create: true })).id, a.id)
      has(yield* volumes.get({ volumeId: a.id, imageId: image }), { id: a.id, name: "a" })
      has(yield* Effect.flip(volumes.get({ volumeId: "vol-nope", imageId: image })), {
        _tag: "NotFound",
        resource: "Volume"
      })
      const b = yield* volumes.create("b", image)
      const c = yield* volumes.get({ name: "c", imageId: image, create: true })
      // Volumes belong to an image: the same name for another one is another volume.
      const elsewhere = yield* volumes.create("a", "code_latest")
      assert.notStrictEqual(elsewhere.id, a.id)

      const list = (options: Omit<Parameters<typeof volumes.list>[0], "imageId">) =>
        Effect.map(
          Stream.runCollect(volumes.list({ imageId: image, ...options })),
          (vs) => Chunk.toReadonlyArray(vs).map((v) => v.name)
        )
      assert.deepStrictEqual(yield* list({ maxResults: 2 }), ["a", "b", "c"])
      assert.deepStrictEqual(yield* list({ volumeName: "b" }), ["b"])
      assert.deepStrictEqual(yield* list({ volumeIds: [c.id, a.id, elsewhere.id] }), ["a", "c"])
      const first = yield* volumes.listPage({ imageId: image, maxResults: 2 })
      assert.deepStrictEqual(first.volumes.map((v) => v.id), [a.id, b.id])
      const second = yield* volumes.listPage({ imageId: image, maxResults: 2, nextToken: first.nextToken })
      assert.deepStrictEqual([second.volumes.map((v) => v.id), second.nextToken], [[c.id], undefined])
      const other = yield* Stream.runCollect(volumes.list({ imageId: "code_latest" }))
      assert.deepStrictEqual(Chunk.toReadonlyArray(other).map((v) => v.id), [elsewhere.id])
    })
  ),

  testCase(
    "volumes: mounted into two sessions in turn the data stays; delete refused while mounted, then it goes",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* Backend
      const volume = yield* bay.betaVolume.create("cache", image)
      const blob = random(100_000)
      yield* Effect.scoped(Effect.gen(function*() {
        const one = yield* bay.session({ volumeId: volume.id })
        yield* one.filesystem.writeFile(`${mount}/notes/model.txt`, "weights")
        yield* one.filesystem.uploadFile(blob, `${mount}/blob.bin`)
        if (backend.commandsRun) {
          const wrote = yield* sh(
            one,
            `echo "from a shell" > "$HOME/volume/shell.txt" && cat "$HOME/volume/notes/model.txt"`
          )
          assert.deepStrictEqual(wrote, { stdout: "weights", exitCode: 0 })
        }
        has(yield* Effect.flip(bay.betaVolume.delete(volume)), {
          _tag: "InvalidState",
          resource: "Volume",
          id: volume.id
        })
        // A session without the volume sees nothing there.
        const other = yield* bay.session()
        has(yield* Effect.flip(other.filesystem.readFile(`${mount}/notes/model.txt`)), { _tag: "ToolError" })
      }))

      yield* Effect.scoped(Effect.gen(function*() {
        const two = yield* bay.session({ volumeId: volume.id })
        assert.strictEqual(yield* two.filesystem.readFile(`${mount}/notes/model.txt`), "weights")
        assert.deepStrictEqual(yield* two.filesystem.downloadFileBytes(`${mount}/blob.bin`), blob)
        if (backend.commandsRun) {
          assert.strictEqual(yield* two.filesystem.readFile(`${mount}/shell.txt`), "from a shell\n")
          const listed = yield* sh(two, `cd "$HOME/volume" && ls`)
          assert.deepStrictEqual(listed, { stdout: "blob.bin\nnotes\nshell.txt\n", exitCode: 0 })
        }
      }))

      yield* bay.betaVolume.delete(volume.id)
      has(yield* Effect.flip(bay.betaVolume.get({ volumeId: volume.id, imageId: image })), {
        _tag: "NotFound",
        resource: "Volume"
      })
      has(yield* Effect.flip(bay.betaVolume.delete(volume)), { _tag: "NotFound", resource: "Volume" })
      // Nothing mounts it any more: a create naming it is refused, and no session is made.
      has(yield* Effect.flip(bay.create({ volumeId: volume.id })), { _tag: "ApiError", status: 400 })
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Stream.runCollect(bay.list())), [])
      // A volume of the same name later is a new, empty one.
      const again = yield* bay.betaVolume.create("cache", image)
      assert.notStrictEqual(again.id, volume.id)
      yield* Effect.scoped(Effect.gen(function*() {
        const three = yield* bay.session({ volumeId: again.id })
        assert.deepStrictEqual(yield* three.filesystem.listDirectory(mount), [])
      }))
    })
  ),

  testCase(
    "networks: a Redacted bind token for a new and an existing network; online while an attached session lives",
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const made = yield* bay.betaNetwork.getNetworkBindToken()
      assert.match(made.networkId, /\S/)
      assert.isTrue(Redacted.isRedacted(made.networkToken))
      assert.notInclude(String(made.networkToken), Redacted.value(made.networkToken))
      const again = yield* bay.betaNetwork.create(made.networkId)
      assert.strictEqual(again.networkId, made.networkId)
      assert.notStrictEqual(Redacted.value(again.networkToken), Redacted.value(made.networkToken))
      assert.strictEqual(bay.network, bay.betaNetwork)

      assert.isFalse((yield* bay.betaNetwork.describe(made.networkId)).online)
      yield* Effect.scoped(Effect.gen(function*() {
        const session = yield* bay.session({ networkId: made.networkId })
        assert.isTrue((yield* bay.betaNetwork.describe(made.networkId)).online)
        yield* bay.delete(session)
      }))
      assert.isFalse((yield* bay.betaNetwork.describe(made.networkId)).online)

      has(yield* Effect.flip(bay.betaNetwork.describe("net-nope")), {
        _tag: "NotFound",
        resource: "Network",
        id: "net-nope"
      })
      has(yield* Effect.flip(bay.betaNetwork.getNetworkBindToken("net-nope")), {
        _tag: "NotFound",
        resource: "Network",
        id: "net-nope"
      })
    })
  )
]
