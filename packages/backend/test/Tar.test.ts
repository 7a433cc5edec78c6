// The ustar writer and reader of the Archive upload mode: round trips through
// odd chunkings, names past 100 bytes, and refusals (damaged, truncated, unsafe).
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Tar from "../src/internal/tar.js"

const encoder = new TextEncoder()

interface Entry {
  readonly path: string
  readonly content?: Uint8Array
}

const entries = (list: ReadonlyArray<Entry>): ReadonlyArray<Tar.TarEntry> =>
  list.map((e) => ({
    path: e.path,
    isDirectory: e.content === undefined,
    size: e.content?.length ?? 0,
    modTime: 1_700_000_000_000
  }))

const pack = (list: ReadonlyArray<Entry>) => {
  const contents = new Map(list.map((e) => [e.path, e.content]))
  return Stream.runCollect(
    Tar.pack(entries(list), (e) => {
      const bytes = contents.get(e.path)!
      // Three pieces, to exercise the writer's size accounting.
      const third = Math.ceil(bytes.length / 3)
      return Stream.fromIterable([
        bytes.subarray(0, third),
        bytes.subarray(third, 2 * third),
        bytes.subarray(2 * third)
      ])
    })
  ).pipe(Effect.map((chunks) => concat(Chunk.toReadonlyArray(chunks))))
}

const concat = (chunks: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

// Feeds `archive` in pieces of `size` bytes and records what the reader reports.
const unpack = (archive: Uint8Array, size: number) =>
  Effect.gen(function*() {
    const pieces: Array<Uint8Array> = []
    for (let at = 0; at < archive.length; at += size) pieces.push(archive.subarray(at, at + size))
    const seen: Array<string> = []
    const files = new Map<string, Array<Uint8Array>>()
    let current = ""
    yield* Tar.unpack(Stream.fromIterable(pieces), {
      directory: (path) => Effect.sync(() => void seen.push(`${path}/`)),
      file: (path) =>
        Effect.sync(() => {
          seen.push(path)
          current = path
          files.set(path, [])
        }),
      data: (bytes) => Effect.sync(() => void files.get(current)!.push(bytes.slice())),
      end: Effect.void
    })
    return { seen, files: new Map([...files].map(([p, cs]) => [p, concat(cs)])) }
  })

const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 251)
const longDir = `${"d".repeat(90)}/${"e".repeat(40)}`
const sample: ReadonlyArray<Entry> = [
  { path: "docs" },
  { path: "docs/readme.md", content: encoder.encode("# Hello\n") },
  { path: "empty.txt", content: new Uint8Array(0) },
  { path: "big.bin", content: big },
  { path: longDir },
  { path: `${longDir}/${"f".repeat(95)}.txt`, content: encoder.encode("deep") }
]

describe("Tar", () => {
  it.effect("round trip: files, directories, an empty file, names past 100 bytes, any chunking", () =>
    Effect.gen(function*() {
      const archive = yield* pack(sample)
      assert.strictEqual(archive.length % 512, 0)
      for (const size of [1, 7, 511, 512, 513, 4096, archive.length]) {
        const { files, seen } = yield* unpack(archive, size)
        assert.deepStrictEqual(seen, [
          "docs/",
          "docs/readme.md",
          "empty.txt",
          "big.bin",
          `${longDir}/`,
          sample[5]!.path
        ])
        for (const e of sample.filter((e) => e.content !== undefined)) {
          assert.deepStrictEqual(files.get(e.path), e.content, `${e.path} in pieces of ${size}`)
        }
      }
    }))

  it.effect("the header is standard ustar (name, octal size, magic, checksum)", () =>
    Effect.gen(function*() {
      const h = Tar.header({ path: "a.txt", isDirectory: false, size: 10, modTime: 0 })
      assert.isFalse(h instanceof Tar.TarError)
      const header = h as Uint8Array
      const field = (at: number, length: number) => new TextDecoder().decode(header.subarray(at, at + length))
      assert.strictEqual(field(0, 5), "a.txt")
      assert.strictEqual(field(124, 12), "00000000012\0")
      assert.strictEqual(field(156, 1), "0")
      assert.strictEqual(field(257, 8), "ustar\u000000")
      let sum = 0
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!
      assert.strictEqual(parseInt(field(148, 6), 8), sum)
    }))

  it.effect("refuses a path too long for ustar, and a file whose bytes differ from its size", () =>
    Effect.gen(function*() {
      const long = Tar.header({ path: "x".repeat(300), isDirectory: false, size: 0, modTime: 0 })
      assert.isTrue(long instanceof Tar.TarError)
      const short = yield* Effect.flip(
        Stream.runDrain(
          Tar.pack(entries([{ path: "a", content: new Uint8Array(10) }]), () => Stream.succeed(new Uint8Array(4)))
        )
      )
      assert.match((short as Tar.TarError).message, /changed while/)
    }))

  it.effect("refuses damaged, truncated and unsafe archives", () =>
    Effect.gen(function*() {
      const archive = yield* pack([{ path: "a.txt", content: encoder.encode("hello") }])
      const damaged = archive.slice()
      damaged[0] = "b".charCodeAt(0)
      const fail = (bytes: Uint8Array) =>
        Effect.map(Effect.flip(unpack(bytes, 100)), (e) => (e as Tar.TarError).message)
      assert.match(yield* fail(damaged), /checksum/)
      assert.match(yield* fail(archive.subarray(0, 700)), /truncated/)
      for (const bad of ["../evil.txt", "/etc/passwd", "a/../../b"]) {
        const header = Tar.header({
          path: "p".repeat(bad.length),
          isDirectory: false,
          size: 0,
          modTime: 0
        }) as Uint8Array
        const forged = header.slice()
        forged.set(encoder.encode(bad), 0)
        // Recompute the checksum so that only the name is wrong.
        forged.fill(32, 148, 156)
        let sum = 0
        for (const b of forged) sum += b
        forged.set(encoder.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148)
        assert.match(yield* fail(concat([forged, new Uint8Array(1024)])), /unsafe path/, bad)
      }
    }))
})
