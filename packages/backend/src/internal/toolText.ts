// Text helpers of the tools (BackendTools): UTF-8 windows and surrogates, the `get_file_info` formats, the
// glob rules of `search_files`. Internal: not exported from the package.
import * as Either from "effect/Either"

const encoder = new TextEncoder()
/** Keeps a leading BOM: decoded windows must concatenate back to the file. */
const decoder = new TextDecoder("utf-8", { ignoreBOM: true })
const strictDecoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true })

/** UTF-8 bytes; a lone surrogate becomes U+FFFD. */
export const encode = (text: string): Uint8Array => encoder.encode(text)

/** UTF-8 text; invalid bytes become U+FFFD. */
export const decode = (bytes: Uint8Array): string => decoder.decode(bytes)

/** UTF-8 text, or Left for bytes that are not UTF-8. */
export const decodeStrict = (bytes: Uint8Array): Either.Either<string, unknown> =>
  Either.try(() => strictDecoder.decode(bytes))

export const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff
export const isLowSurrogate = (unit: number): boolean => unit >= 0xdc00 && unit <= 0xdfff

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80

/**
 * The text of a window of `length` bytes, given its bytes followed by up to 3 more: every character whose
 * FIRST byte lies in the window. Continuation bytes at its start belong to a character that began before it
 * (skipped); continuation bytes just past its end complete its last character (taken). So consecutive
 * windows concatenate back to the whole text.
 */
export const window = (bytes: Uint8Array, length: number): string => {
  const size = Math.min(length, bytes.length)
  let start = 0
  while (start < size && start < 3 && isContinuation(bytes[start]!)) start++
  if (start >= size) return ""
  let end = size
  while (end < bytes.length && end < size + 3 && isContinuation(bytes[end]!)) end++
  return decoder.decode(bytes.subarray(start, end))
}

/** ISO 8601 UTC without milliseconds: `2026-01-05T08:00:00Z`. */
export const isoSeconds = (millis: number): string => new Date(millis).toISOString().replace(/\.\d{3}Z$/, "Z")

/** `ls -l` style: `-rw-r--r--`, `drwxr-xr-x`. */
export const modeString = (isDirectory: boolean, mode: number): string =>
  (isDirectory ? "d" : "-") +
  [6, 3, 0].map((shift) => {
    const bits = (mode >> shift) & 7
    return (bits & 4 ? "r" : "-") + (bits & 2 ? "w" : "-") + (bits & 1 ? "x" : "-")
  }).join("")

/** `text` with `line` as its last line. */
export const withLine = (text: string, line: string): string =>
  `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${line}\n`

/** A glob as a whole-string RegExp: `**` any characters, `*` any but `/`, `?` one but `/`; the rest literal. */
export const globToRegExp = (glob: string): RegExp => {
  let source = ""
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === "*" && glob[i + 1] === "*") {
      source += ".*"
      i++
    } else if (c === "*") source += "[^/]*"
    else if (c === "?") source += "[^/]"
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  return new RegExp(`^${source}$`, "su")
}

const hasWildcard = (pattern: string): boolean => /[*?]/.test(pattern)

/** `search_files`' pattern on a name: a glob, or (without `*` and `?`) a substring. */
export const matchesName = (pattern: string, name: string): boolean =>
  hasWildcard(pattern) ? globToRegExp(pattern).test(name) : name.includes(pattern)

/** An exclude glob matches the path relative to the search root, or any of its components (so a subtree goes). */
export const isExcluded = (excludes: ReadonlyArray<RegExp>, relative: string): boolean =>
  excludes.some((re) => re.test(relative) || relative.split("/").some((part) => re.test(part)))
