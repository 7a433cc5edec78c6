// Volumes in real sandboxes, in process mode and (where it works) under bubblewrap: data written at the mount
// by one session is there for the next, survives destroy, a restart of the sandbox layer and the orphan sweep,
// is reachable through the file tools (confined to the volume), and goes with removeVolume.
// Time here is real time (it.scopedLive): OS processes do not follow a TestClock.
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryStore from "@effect-agentbay/backend/MemoryStore"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as LocalDataDir from "../src/LocalDataDir.js"
import * as Sandbox from "../src/Sandbox.js"
import { describeWithBubblewrap } from "./bubblewrap.js"

const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-volume-test-"))
afterAll(() => Fs.rmSync(base, { recursive: true, force: true }))

let dirs = 0
const freshDataDir = () => Path.join(base, `data-${++dirs}`)

/** A sandbox service on `dataDir`, alive for the scope. */
const sandboxOn = (dataDir: string, isolation: "process" | "bubblewrap") =>
  Effect.map(Layer.build(Sandbox.layer({ dataDir, isolation })), (context) => Context.get(context, Sandbox.Sandbox))

const sh = (script: string) => ["sh", "-c", script]
const bytes = (s: string) => new TextEncoder().encode(s)
const utf8 = (b: Uint8Array) => new TextDecoder().decode(b)
const mount = BackendSandbox.volumeMount

const volumeTests = (isolation: "process" | "bubblewrap") => {
  // Where a command sees the volume: the sandbox path under bubblewrap, `$HOME/volume` in process mode.
  const at = isolation === "bubblewrap" ? mount : "$HOME/volume"

  it.scopedLive("session 1 writes to the volume, is destroyed; session 2 with the same volume reads it", () =>
    Effect.gen(function*() {
      const dataDir = freshDataDir()
      const sb = yield* sandboxOn(dataDir, isolation)
      const volumeDir = Path.join(dataDir, "volumes", "vol-1")
      yield* sb.start("s1", { volume: { id: "vol-1" } })
      for (const dir of [volumeDir, Path.dirname(volumeDir)]) assert.strictEqual(Fs.statSync(dir).mode & 0o777, 0o700)
      const wrote = yield* sb.exec("s1", sh(`echo from-s1 > ${at}/x && mkdir -p ${at}/d && echo deep > ${at}/d/y`))
      assert.strictEqual(wrote.exitCode, 0, wrote.stderr)
      assert.strictEqual(Fs.readFileSync(Path.join(volumeDir, "x"), "utf8"), "from-s1\n")
      // The mount point in the session's tree: an empty directory (bubblewrap) or a link (process).
      const point = Fs.lstatSync(Path.join(sb.root("s1"), "home", "volume"))
      if (isolation === "bubblewrap") {
        assert.isTrue(point.isDirectory())
        assert.deepStrictEqual(Fs.readdirSync(Path.join(sb.root("s1"), "home", "volume")), [])
      } else {
        assert.isTrue(point.isSymbolicLink())
      }

      yield* sb.destroy("s1")
      assert.isFalse(Fs.existsSync(sb.root("s1")))
      assert.deepStrictEqual(Fs.readdirSync(volumeDir).sort(), ["d", "x"], "destroy keeps the volume's data")

      yield* sb.start("s2", { volume: { id: "vol-1" } })
      const read = yield* sb.exec("s2", sh(`cat ${at}/x ${at}/d/y`))
      assert.deepStrictEqual([read.exitCode, read.stdout], [0, "from-s1\ndeep\n"])
      // A session without the volume does not see it.
      yield* sb.start("s3")
      const other = yield* sb.exec("s3", sh(`cat ${at}/x`))
      assert.notStrictEqual(other.exitCode, 0)
    }))

  it.scopedLive("file tools read and write the volume, confined to it; a link out is an Escape", () =>
    Effect.gen(function*() {
      const dataDir = freshDataDir()
      const sb = yield* sandboxOn(dataDir, isolation)
      const volumeDir = Path.join(dataDir, "volumes", "vol-1")
      yield* sb.start("s1", { volume: { id: "vol-1" } })
      const files = sb.files("s1")
      yield* files.write(`${mount}/notes/a.txt`, bytes("via the tools"), "overwrite")
      assert.strictEqual(Fs.readFileSync(Path.join(volumeDir, "notes", "a.txt"), "utf8"), "via the tools")
      const seen = yield* sb.exec("s1", sh(`cat ${at}/notes/a.txt`))
      assert.strictEqual(seen.stdout, "via the tools")
      yield* sb.exec("s1", sh(`echo by-command > ${at}/b.txt`))
      assert.strictEqual(utf8(yield* files.read(`${mount}/b.txt`, 0, 100)), "by-command\n")
      assert.strictEqual(utf8(yield* files.read("volume/b.txt", 0, 100)), "by-command\n", "relative to the home")

      // The home's listing shows the volume as a folder, and a walk goes into it.
      const home = yield* files.list(BackendSandbox.home)
      const entry = home.find((e) => e.name === "volume")
      assert.isTrue(entry?.isDirectory, JSON.stringify(home))
      const walked = (yield* files.walk(BackendSandbox.home)).map((e) => e.path)
      assert.includeMembers(walked, [`${mount}/b.txt`, `${mount}/notes`, `${mount}/notes/a.txt`])
      assert.deepStrictEqual((yield* files.list(mount)).map((e) => e.name), ["b.txt", "notes"])
      assert.isTrue((yield* files.stat(mount)).isDirectory)

      // Moves between the home and the volume; the mount itself cannot be removed or moved.
      yield* files.move(`${mount}/b.txt`, "/home/wuying/b.txt")
      assert.isTrue(Fs.existsSync(Path.join(sb.root("s1"), "home", "b.txt")))
      assert.strictEqual((yield* Effect.flip(files.remove(mount))).reason, "Invalid")
      assert.strictEqual((yield* Effect.flip(files.move(mount, "/tmp/v"))).reason, "Invalid")
      assert.strictEqual((yield* Effect.flip(files.write(mount, bytes("x"), "overwrite"))).reason, "IsDirectory")

      // Links inside the volume that lead out of the session's files are refused.
      const outside = Path.join(dataDir, "outside.txt")
      Fs.writeFileSync(outside, "secret")
      Fs.symlinkSync(outside, Path.join(volumeDir, "evil"))
      Fs.symlinkSync("../..", Path.join(volumeDir, "evil-dir"))
      for (const p of [`${mount}/evil`, `${mount}/evil-dir/outside.txt`]) {
        assert.strictEqual((yield* Effect.flip(files.read(p, 0, 10))).reason, "Escape", p)
        assert.strictEqual((yield* Effect.flip(files.write(p, bytes("pwned"), "overwrite"))).reason, "Escape", p)
      }
      assert.strictEqual((yield* Effect.flip(files.read(`${mount}/../../../outside.txt`, 0, 10))).reason, "Escape")
      assert.strictEqual(Fs.readFileSync(outside, "utf8"), "secret")
    }))

  it.scopedLive("without a volume, /home/wuying/volume is an ordinary home path", () =>
    Effect.gen(function*() {
      const dataDir = freshDataDir()
      const sb = yield* sandboxOn(dataDir, isolation)
      yield* sb.start("s1")
      yield* sb.files("s1").write(`${mount}/plain.txt`, bytes("home"), "overwrite")
      assert.strictEqual(Fs.readFileSync(Path.join(sb.root("s1"), "home", "volume", "plain.txt"), "utf8"), "home")
      assert.isFalse(Fs.existsSync(Path.join(dataDir, "volumes")))
    }))

  it.live(
    "a restarted layer mounts the same volume again; removeVolume deletes its data",
    () =>
      Effect.gen(function*() {
        const dataDir = freshDataDir()
        const volumeDir = Path.join(dataDir, "volumes", "vol-1")
        yield* Effect.scoped(Effect.gen(function*() {
          const sb = yield* sandboxOn(dataDir, isolation)
          yield* sb.start("s1", { volume: { id: "vol-1" } })
          yield* sb.exec("s1", sh(`echo before > ${at}/x`))
        }))
        yield* Effect.scoped(Effect.gen(function*() {
          const sb = yield* sandboxOn(dataDir, isolation)
          yield* sb.start("s1", { volume: { id: "vol-1" } }) // what the backend does at start-up
          assert.strictEqual((yield* sb.exec("s1", sh(`cat ${at}/x`))).stdout, "before\n")
          assert.strictEqual(utf8(yield* sb.files("s1").read(`${mount}/x`, 0, 100)), "before\n")
          const removeVolume = sb.removeVolume!
          yield* sb.destroy("s1")
          yield* removeVolume("vol-1")
          assert.isFalse(Fs.existsSync(volumeDir))
          yield* removeVolume("vol-1") // gone already: fine
          yield* removeVolume("../sandboxes") // not a volume id: nothing happens
          assert.isTrue(Fs.existsSync(Path.join(dataDir, "sandboxes")))
          const invalid = yield* Effect.flip(sb.start("s2", { volume: { id: "../../etc" } }))
          assert.match(invalid.reason, /invalid volume id/)
        }))
      }),
    { timeout: 30_000 }
  )
}

describe("Sandbox volumes (process)", () => volumeTests("process"))
describeWithBubblewrap("Sandbox volumes (bubblewrap)", () => volumeTests("bubblewrap"))

describe("the orphan sweep and volumes", () => {
  it.scopedLive("sweepOrphans removes a session tree that links a volume, never the volume or the contexts", () =>
    Effect.gen(function*() {
      const dataDir = freshDataDir()
      const sb = yield* sandboxOn(dataDir, "process")
      yield* sb.start("s-orphan", { volume: { id: "vol-1" } })
      yield* sb.exec("s-orphan", sh("echo data > $HOME/volume/x"))
      const contextFile = Path.join(dataDir, "contexts", "s-orphan", "files", "a.txt")
      Fs.mkdirSync(Path.dirname(contextFile), { recursive: true })
      Fs.writeFileSync(contextFile, "context data")
      const store = yield* MemoryStore.make // no session records: every tree is an orphan
      const removed = yield* LocalDataDir.sweepOrphans(dataDir, store).pipe(Effect.provide(NodeContext.layer))
      assert.deepStrictEqual(removed, ["s-orphan"])
      assert.isFalse(Fs.existsSync(sb.root("s-orphan")))
      assert.strictEqual(Fs.readFileSync(Path.join(dataDir, "volumes", "vol-1", "x"), "utf8"), "data\n")
      assert.strictEqual(Fs.readFileSync(contextFile, "utf8"), "context data")
    }))
})
