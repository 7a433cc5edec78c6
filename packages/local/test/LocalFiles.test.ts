// The real session files over a tree on disk: confinement (`..`, absolute paths, symlinks out of the tree),
// errors that never name host paths, unicode names, large binary files, FIFOs.
import type { FileError, SessionFiles } from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as LocalFiles from "../src/LocalFiles.js"

const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-files-test-"))
afterAll(() => Fs.rmSync(base, { recursive: true, force: true }))

let trees = 0
/** A fresh session tree (home and tmp made), another session's tree beside it, and an outside directory. */
const fresh = () => {
  const dir = Path.join(base, `t${++trees}`)
  const tree = (id: string): LocalFiles.Tree => {
    const root = Path.join(dir, "sandboxes", id)
    Fs.mkdirSync(Path.join(root, "home"), { recursive: true })
    Fs.mkdirSync(Path.join(root, "tmp"), { recursive: true })
    return { root, home: Path.join(root, "home"), tmp: Path.join(root, "tmp") }
  }
  const mine = tree("a")
  const other = tree("b")
  const outside = Path.join(dir, "outside")
  Fs.mkdirSync(outside)
  Fs.writeFileSync(Path.join(outside, "secret.txt"), "secret")
  Fs.writeFileSync(Path.join(other.home, "theirs.txt"), "theirs")
  return { tree: mine, other, outside, files: LocalFiles.make(mine) }
}

const reasonOf = (effect: Effect.Effect<unknown, FileError>) => Effect.map(Effect.flip(effect), (e) => e.reason)

/** Every operation on `path` (as source and as destination) is refused with `reason`. */
const refusedEverywhere = (files: SessionFiles, path: string, reason: FileError["reason"]) =>
  Effect.gen(function*() {
    const ops: Record<string, Effect.Effect<unknown, FileError>> = {
      stat: files.stat(path),
      read: files.read(path, 0, 10),
      write: files.write(path, new TextEncoder().encode("pwned"), "overwrite"),
      append: files.write(path, new TextEncoder().encode("pwned"), "append"),
      makeDirectory: files.makeDirectory(`${path}/sub`),
      list: files.list(path),
      walk: files.walk(path),
      remove: files.remove(path),
      moveFrom: files.move(path, "/tmp/stolen"),
      moveTo: files.move("bait.txt", path)
    }
    for (const [name, op] of Object.entries(ops)) {
      const error = yield* Effect.flip(op)
      assert.strictEqual(error.reason, reason, `${name} ${path}: ${error.message}`)
      assert.notInclude(error.message, base, `${name}: the message names no host path`)
    }
  })

describe("LocalFiles", () => {
  it.live("maps sandbox paths onto the tree: files, directories, moves, removal, unicode names", () =>
    Effect.gen(function*() {
      const { files, tree } = fresh()
      yield* MemoryFiles.seed(files, {
        "données/日本語 файл.txt": "héllo 😀\n",
        "/home/wuying/données/sub/": "",
        "/tmp/t.txt": "tmp"
      })
      const onHost = Path.join(tree.home, "données", "日本語 файл.txt")
      assert.strictEqual(Fs.readFileSync(onHost, "utf8"), "héllo 😀\n")
      assert.strictEqual(Fs.readFileSync(Path.join(tree.tmp, "t.txt"), "utf8"), "tmp")
      const stat = yield* files.stat("/home/wuying/données/日本語 файл.txt")
      assert.deepStrictEqual([stat.name, stat.path, stat.size, stat.isDirectory], [
        "日本語 файл.txt",
        "/home/wuying/données/日本語 файл.txt",
        12,
        false
      ])
      assert.strictEqual((yield* files.stat("/home/wuying")).name, "wuying")
      assert.deepStrictEqual((yield* files.list("données")).map((e) => [e.name, e.isDirectory]), [
        ["sub", true],
        ["日本語 файл.txt", false]
      ])
      yield* files.write("données/日本語 файл.txt", new TextEncoder().encode("more\n"), "append")
      const tail = yield* files.read("données/日本語 файл.txt", 6, 100)
      assert.strictEqual(new TextDecoder().decode(tail), " 😀\nmore\n")
      assert.strictEqual(yield* reasonOf(files.write("/tmp/t.txt", new Uint8Array(1), "create_new")), "Exists")
      yield* files.move("données", "/tmp/deep/moved")
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(files, "/tmp"), {
        "/tmp/deep/": "",
        "/tmp/deep/moved/": "",
        "/tmp/deep/moved/sub/": "",
        "/tmp/deep/moved/日本語 файл.txt": "héllo 😀\nmore\n",
        "/tmp/t.txt": "tmp"
      })
      assert.deepStrictEqual(yield* MemoryFiles.snapshot(files), {})
      yield* files.remove("/tmp/deep")
      assert.isFalse(Fs.existsSync(Path.join(tree.tmp, "deep")))
      // errors
      assert.strictEqual(yield* reasonOf(files.read("nope.txt", 0, 1)), "NotFound")
      assert.strictEqual(yield* reasonOf(files.read("/tmp", 0, 1)), "IsDirectory")
      assert.strictEqual(yield* reasonOf(files.list("/tmp/t.txt")), "NotDirectory")
      assert.strictEqual(yield* reasonOf(files.write("/tmp/t.txt/x", new Uint8Array(1), "overwrite")), "NotDirectory")
      assert.strictEqual(yield* reasonOf(files.makeDirectory("/tmp/t.txt")), "Exists")
      assert.strictEqual(yield* reasonOf(files.remove("/home/wuying")), "Invalid")
      assert.strictEqual(yield* reasonOf(files.move("/tmp/t.txt", "/tmp")), "Exists")
      yield* files.makeDirectory("/tmp/d")
      assert.strictEqual(yield* reasonOf(files.move("/tmp/d", "/tmp/d/inside")), "Invalid")
      const missing = yield* Effect.flip(files.stat("/home/wuying/missing.txt"))
      assert.strictEqual(missing.message, "/home/wuying/missing.txt: no such file or directory")
    }))

  it.live("`..` out of the tree and absolute paths elsewhere are refused by every operation", () =>
    Effect.gen(function*() {
      const { files, other, tree } = fresh()
      yield* MemoryFiles.seed(files, { "bait.txt": "bait" })
      for (const path of ["/home/wuying/../b/home/theirs.txt", "/", "/tmp/../..", "/root/x", "/work", "/var/lib"]) {
        yield* refusedEverywhere(files, path, "Escape")
      }
      // A host path is a sandbox path like any other: another session's file under the host's /tmp names a
      // file of this session's own /tmp.
      const theirs = Path.join(other.home, "theirs.txt")
      assert.isTrue(theirs.startsWith("/tmp/"))
      assert.strictEqual(yield* reasonOf(files.read(theirs, 0, 10)), "NotFound")
      yield* files.write(theirs, new TextEncoder().encode("mine"), "overwrite")
      assert.strictEqual(Fs.readFileSync(theirs, "utf8"), "theirs")
      assert.strictEqual(Fs.readFileSync(Path.join(tree.tmp, theirs.slice("/tmp/".length)), "utf8"), "mine")
    }))

  it.live("the sandbox's system directories can be read, never written", () =>
    Effect.gen(function*() {
      const { files } = fresh()
      yield* MemoryFiles.seed(files, { "bait.txt": "bait" })
      // What the seed's example does: session.filesystem.readFile("/etc/hostname").
      for (const path of ["/etc/hostname", "../../etc/hostname"]) {
        const stat = yield* files.stat(path)
        assert.deepStrictEqual([stat.path, stat.isDirectory, stat.size], [
          "/etc/hostname",
          false,
          Fs.statSync("/etc/hostname").size
        ])
        assert.strictEqual(
          new TextDecoder().decode(yield* files.read(path, 0, 4096)),
          Fs.readFileSync("/etc/hostname", "utf8")
        )
      }
      assert.include((yield* files.list("/usr")).map((e) => e.name), "bin")
      const ops: Record<string, Effect.Effect<unknown, FileError>> = {
        write: files.write("/etc/hostname", new TextEncoder().encode("pwned"), "overwrite"),
        create: files.write("/usr/new.txt", new TextEncoder().encode("pwned"), "create_new"),
        makeDirectory: files.makeDirectory("/etc/sub"),
        remove: files.remove("/etc/hostname"),
        moveFrom: files.move("/etc/hostname", "/tmp/stolen"),
        moveTo: files.move("bait.txt", "/usr/bait.txt")
      }
      for (const [name, op] of Object.entries(ops)) {
        assert.strictEqual((yield* Effect.flip(op)).reason, "ReadOnly", name)
      }
      assert.isFalse(Fs.existsSync("/usr/new.txt"))
      assert.notStrictEqual(Fs.readFileSync("/etc/hostname", "utf8"), "pwned")
    }))

  it.live("symlinks that lead out of the tree are refused; the links themselves can be removed", () =>
    Effect.gen(function*() {
      const { files, tree, other, outside } = fresh()
      yield* MemoryFiles.seed(files, { "bait.txt": "bait", "inside.txt": "inside" })
      Fs.symlinkSync("/etc", Path.join(tree.home, "etc"))
      Fs.symlinkSync(outside, Path.join(tree.home, "out"))
      Fs.symlinkSync(Path.join(outside, "secret.txt"), Path.join(tree.home, "secret"))
      Fs.symlinkSync(other.home, Path.join(tree.tmp, "neighbour"))
      Fs.symlinkSync(Path.join(outside, "new.txt"), Path.join(tree.home, "dangling"))
      Fs.symlinkSync("../home/inside.txt", Path.join(tree.tmp, "ok-link")) // inside: fine
      for (const path of ["etc/passwd", "out/secret.txt", "out/x/y.txt", "/tmp/neighbour/theirs.txt"]) {
        yield* refusedEverywhere(files, path, "Escape")
      }
      for (const path of ["secret", "dangling"]) {
        const ops = [
          files.read(path, 0, 10),
          files.write(path, new Uint8Array(1), "overwrite"),
          files.write(path, new Uint8Array(1), "create_new"),
          files.list(path),
          files.stat(path)
        ]
        for (const op of ops) assert.strictEqual(yield* reasonOf(op), "Escape", path)
      }
      assert.strictEqual(new TextDecoder().decode(yield* files.read("/tmp/ok-link", 0, 100)), "inside")
      // nothing outside changed or appeared
      assert.deepStrictEqual(Fs.readdirSync(outside), ["secret.txt"])
      assert.strictEqual(Fs.readFileSync(Path.join(outside, "secret.txt"), "utf8"), "secret")
      assert.deepStrictEqual(Fs.readdirSync(other.home), ["theirs.txt"])
      // list and walk report a link as what it is (not a directory), without following it
      const entries = yield* files.list("/home/wuying")
      assert.deepStrictEqual(entries.find((e) => e.name === "out")?.isDirectory, false)
      assert.isUndefined((yield* files.walk("/home/wuying")).find((e) => e.path.includes("secret.txt")))
      // removing or moving the link itself touches only the link
      yield* files.remove("out")
      yield* files.move("/tmp/neighbour", "/tmp/renamed")
      assert.isTrue(Fs.lstatSync(Path.join(tree.tmp, "renamed")).isSymbolicLink())
      assert.deepStrictEqual(Fs.readdirSync(outside), ["secret.txt"])
      assert.deepStrictEqual(Fs.readdirSync(other.home), ["theirs.txt"])
    }))

  it.live("a 5 MiB binary file round-trips, written in 60 KiB appends and read in windows", () =>
    Effect.gen(function*() {
      const { files, tree } = fresh()
      const bytes = new Uint8Array(Crypto.randomBytes(5 * 1024 * 1024))
      for (let offset = 0; offset < bytes.length; offset += 61440) {
        const mode = offset === 0 ? "overwrite" : "append"
        yield* files.write("/tmp/blob.bin", bytes.subarray(offset, offset + 61440), mode)
      }
      assert.strictEqual((yield* files.stat("/tmp/blob.bin")).size, bytes.length)
      const back = new Uint8Array(bytes.length)
      for (let offset = 0; offset < bytes.length; offset += 61440) {
        back.set(yield* files.read("/tmp/blob.bin", offset, 61440), offset)
      }
      assert.isTrue(Buffer.from(back).equals(Buffer.from(bytes)))
      yield* files.write("whole.bin", bytes, "overwrite")
      assert.isTrue(Fs.readFileSync(Path.join(tree.home, "whole.bin")).equals(Buffer.from(bytes)))
      const capped = LocalFiles.make(tree, { maxReadBytes: 1024, maxWriteBytes: 1024 })
      assert.strictEqual(yield* reasonOf(capped.read("whole.bin", 0, 2048)), "TooLarge")
      assert.strictEqual(yield* reasonOf(capped.write("x.bin", new Uint8Array(2048), "overwrite")), "TooLarge")
    }))

  it.live("a FIFO is refused without blocking; walks are bounded; a missing tree is NotFound", () =>
    Effect.gen(function*() {
      const { files, tree } = fresh()
      ChildProcess.execFileSync("mkfifo", [Path.join(tree.tmp, "fifo")])
      assert.strictEqual(yield* reasonOf(files.read("/tmp/fifo", 0, 10)), "Invalid")
      // ENXIO: no reader
      assert.strictEqual(yield* reasonOf(files.write("/tmp/fifo", new Uint8Array(1), "append")), "Io")
      yield* MemoryFiles.seed(files, { "a/": "", "b/": "", "c.txt": "" })
      assert.strictEqual(yield* reasonOf(LocalFiles.make(tree, { maxEntries: 2 }).walk("/home/wuying")), "TooLarge")
      assert.strictEqual((yield* LocalFiles.make(tree, { maxEntries: 3 }).walk("/home/wuying")).length, 3)
      const gone = LocalFiles.make({ root: "/nonexistent/x", home: "/nonexistent/x/home", tmp: "/nonexistent/x/tmp" })
      const error = yield* Effect.flip(gone.read("a.txt", 0, 1))
      assert.deepStrictEqual([error.reason, error.message], ["NotFound", "a.txt: the session's files do not exist"])
      // Writes do not recreate a missing tree (a tool call racing its session's delete).
      for (
        const op of [gone.write("a.txt", new Uint8Array(1), "overwrite"), gone.makeDirectory("d"), gone.move("a", "b")]
      ) {
        assert.strictEqual(yield* reasonOf(op), "NotFound")
      }
      assert.isFalse(Fs.existsSync("/nonexistent/x"))
      const space = yield* LocalFiles.diskSpace(tree.root)
      assert.isTrue(space.total > 0 && space.free <= space.total)
    }))
})
