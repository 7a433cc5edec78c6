// A small streaming ustar (POSIX.1-1988) writer and reader, for the Archive
// upload mode of context syncs: regular files and directories, names up to
// 255 bytes (prefix + name), sizes up to 8 GiB. Neither side holds more than a
// 512-byte header and one chunk in memory. Internal: used by contextSync.ts.
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

const block = 512
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export interface TarEntry {
  /** Relative path, `/`-separated, no `.`/`..` components. */
  readonly path: string
  readonly isDirectory: boolean
  /** Bytes (0 for directories). */
  readonly size: number
  /** Epoch milliseconds. */
  readonly modTime: number
}

/** The archive cannot be written or read; `message` names sandbox-relative paths only. */
export class TarError {
  readonly _tag = "TarError"
  constructor(readonly message: string) {}
}

const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0"

const put = (header: Uint8Array, at: number, text: string) => header.set(encoder.encode(text), at)

// Splits a name into ustar's `prefix` (155 bytes) and `name` (100 bytes) at a `/`.
const splitName = (name: string): readonly [string, string] | undefined => {
  if (encoder.encode(name).length <= 100) return ["", name]
  for (let i = name.indexOf("/"); i >= 0; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i)
    const rest = name.slice(i + 1)
    if (encoder.encode(prefix).length <= 155 && encoder.encode(rest).length <= 100 && rest !== "") return [prefix, rest]
  }
  return undefined
}

export const header = (entry: TarEntry): Uint8Array | TarError => {
  const name = entry.isDirectory ? `${entry.path}/` : entry.path
  const split = splitName(name)
  if (split === undefined) return new TarError(`${entry.path}: the path is too long for the archive (255 bytes)`)
  if (entry.size >= 8 ** 11) return new TarError(`${entry.path}: the file is too large for the archive (8 GiB)`)
  const h = new Uint8Array(block)
  put(h, 0, split[1])
  put(h, 100, octal(entry.isDirectory ? 0o755 : 0o644, 8))
  put(h, 108, octal(0, 8))
  put(h, 116, octal(0, 8))
  put(h, 124, octal(entry.isDirectory ? 0 : entry.size, 12))
  put(h, 136, octal(Math.max(0, Math.floor(entry.modTime / 1000)), 12))
  put(h, 148, "        ")
  put(h, 156, entry.isDirectory ? "5" : "0")
  put(h, 257, "ustar\0")
  put(h, 263, "00")
  put(h, 345, split[0])
  let sum = 0
  for (const b of h) sum += b
  put(h, 148, octal(sum, 7) + " ")
  return h
}

const padding = (size: number) => new Uint8Array((block - (size % block)) % block)

/**
 * The archive of `entries`, in order; `open` gives a file's bytes. A file
 * whose stream yields other than `size` bytes fails the archive (it changed
 * while being read).
 */
export const pack = <E>(
  entries: ReadonlyArray<TarEntry>,
  open: (entry: TarEntry) => Stream.Stream<Uint8Array, E>
): Stream.Stream<Uint8Array, E | TarError> =>
  Stream.concat(
    Stream.flatMap(Stream.fromIterable(entries), (entry) => {
      const h = header(entry)
      if (h instanceof TarError) return Stream.fail(h)
      if (entry.isDirectory) return Stream.succeed(h)
      let seen = 0
      const body = Stream.mapEffect(open(entry), (chunk) => {
        seen += chunk.length
        return seen > entry.size ? Effect.fail(changed(entry)) : Effect.succeed(chunk)
      })
      const end = Stream.suspend(() =>
        seen === entry.size ? Stream.succeed(padding(entry.size)) : Stream.fail(changed(entry))
      )
      return Stream.concat(Stream.concat(Stream.succeed(h), body), end)
    }),
    Stream.succeed(new Uint8Array(block * 2))
  )

const changed = (entry: TarEntry) => new TarError(`${entry.path}: the file changed while it was being archived`)

/** What the reader calls, in archive order: a directory, or a file as start, data (in pieces), end. */
export interface Sink<E> {
  readonly directory: (path: string) => Effect.Effect<void, E>
  readonly file: (path: string, size: number) => Effect.Effect<void, E>
  readonly data: (bytes: Uint8Array) => Effect.Effect<void, E>
  readonly end: Effect.Effect<void, E>
}

const field = (h: Uint8Array, at: number, length: number) => {
  const bytes = h.subarray(at, at + length)
  const nul = bytes.indexOf(0)
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul))
}

const number = (h: Uint8Array, at: number, length: number) => {
  const text = field(h, at, length).trim()
  return /^[0-7]{1,12}$/.test(text) ? parseInt(text, 8) : Number.NaN
}

const checksumOk = (h: Uint8Array) => {
  let sum = 0
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!
  return number(h, 148, 8) === sum
}

// A safe relative path: no absolute path, no `..`, `.` and empty parts dropped.
const safePath = (name: string): string | undefined => {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".")
  return name.startsWith("/") || parts.includes("..") || parts.length === 0 ? undefined : parts.join("/")
}

type Parsed =
  | { readonly _tag: "End" }
  | {
    readonly _tag: "Entry"
    readonly kind: "file" | "directory" | "skip"
    readonly path: string
    readonly size: number
  }

const parse = (h: Uint8Array): Parsed | TarError => {
  if (h.every((b) => b === 0)) return { _tag: "End" }
  if (!checksumOk(h)) return new TarError("the archive is damaged (bad header checksum)")
  const prefix = field(h, 345, 155)
  const raw = prefix === "" ? field(h, 0, 100) : `${prefix}/${field(h, 0, 100)}`
  const size = number(h, 124, 12)
  if (Number.isNaN(size)) return new TarError("the archive is damaged (bad size)")
  const type = String.fromCharCode(h[156]!)
  const kind = type === "0" || type === "\0" ? "file" : type === "5" ? "directory" : "skip"
  const path = safePath(raw)
  // Links, devices and extended headers are skipped; an unsafe name is refused.
  if (path === undefined && kind !== "skip") {
    return new TarError(`the archive holds an unsafe path: ${raw.slice(0, 200)}`)
  }
  return { _tag: "Entry", kind, path: path ?? "", size: kind === "directory" ? 0 : size }
}

interface State {
  mode: "header" | "data" | "skip" | "end"
  readonly head: Uint8Array
  have: number
  /** Bytes of the current entry's data (or skipped data) still to come, then its padding. */
  remaining: number
  pad: number
  isFile: boolean
}

/** Reads an archive, calling `sink` for each entry; a truncated or damaged archive fails. */
export const unpack = <E, E2>(
  bytes: Stream.Stream<Uint8Array, E>,
  sink: Sink<E2>
): Effect.Effect<void, E | E2 | TarError> =>
  Effect.gen(function*() {
    const s: State = { mode: "header", head: new Uint8Array(block), have: 0, remaining: 0, pad: 0, isFile: false }
    yield* Stream.runForEach(bytes, (chunk) => feed(s, chunk, sink))
    if (s.mode !== "end" && !(s.mode === "header" && s.have === 0)) {
      return yield* Effect.fail(new TarError("the archive is truncated"))
    }
  })

const startEntry = <E>(s: State, sink: Sink<E>): Effect.Effect<void, E | TarError> => {
  const parsed = parse(s.head)
  s.have = 0
  if (parsed instanceof TarError) return Effect.fail(parsed)
  if (parsed._tag === "End") {
    s.mode = "end"
    return Effect.void
  }
  s.remaining = parsed.size
  s.pad = padding(parsed.size).length
  s.isFile = parsed.kind === "file"
  s.mode = parsed.kind === "directory" ? "header" : "data"
  if (parsed.kind === "directory") return sink.directory(parsed.path)
  const ended = s.remaining === 0 ? endEntry(s, sink) : Effect.void
  return parsed.kind === "skip" ? ended : Effect.zipRight(sink.file(parsed.path, parsed.size), ended)
}

const endEntry = <E>(s: State, sink: Sink<E>): Effect.Effect<void, E> => {
  s.mode = s.pad > 0 ? "skip" : "header"
  s.remaining = s.pad
  return s.isFile ? sink.end : Effect.void
}

const feed = <E>(s: State, chunk: Uint8Array, sink: Sink<E>): Effect.Effect<void, E | TarError> =>
  Effect.gen(function*() {
    let at = 0
    while (at < chunk.length && s.mode !== "end") {
      if (s.mode === "header") {
        const n = Math.min(block - s.have, chunk.length - at)
        s.head.set(chunk.subarray(at, at + n), s.have)
        s.have += n
        at += n
        if (s.have === block) yield* startEntry(s, sink)
      } else if (s.mode === "data") {
        const n = Math.min(s.remaining, chunk.length - at)
        if (s.isFile) yield* sink.data(chunk.subarray(at, at + n))
        s.remaining -= n
        at += n
        if (s.remaining === 0) yield* endEntry(s, sink)
      } else {
        const n = Math.min(s.remaining, chunk.length - at)
        s.remaining -= n
        at += n
        if (s.remaining === 0) s.mode = "header"
      }
    }
  })
