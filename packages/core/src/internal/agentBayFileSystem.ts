// The file operations of AgentBayFileSystem, with the windowing of large files:
// reads ask get_file_info for the size, then read_file in 61 440-byte binary
// windows (base64), decoded to text once at the end, so a multi-byte UTF-8
// character split across windows stays whole; writes go in pieces of at most
// 61 440 bytes of UTF-8 cut on code-point boundaries, the first with the
// requested mode and the rest appended. Internal: AgentBayFileSystem.ts is the
// public surface.
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

import type { AgentBayClient } from "../AgentBayClient.js"
import { DecodeError, ToolError, ValidationError } from "../AgentBayError.js"
import type * as AgentBayFileSystem from "../AgentBayFileSystem.js"
import * as McpTool from "../McpTool.js"
import { idOf, type SessionRef } from "../Session.js"
import * as Mcp from "./agentBayMcp.js"
import * as Transfer from "./fileTransfer.js"

const module = "AgentBayFileSystem"

/**
 * Cuts UTF-8 bytes into pieces of at most `max` bytes, each ending on a code
 * point boundary (never before a continuation byte `10xxxxxx`). Empty input is
 * one empty piece, so that a write of "" still writes.
 */
export const chunkUtf8 = (bytes: Uint8Array, max: number = McpTool.chunkSize): Array<Uint8Array> => {
  if (bytes.length === 0) return [bytes]
  const pieces: Array<Uint8Array> = []
  let start = 0
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length)
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end--
    if (end === start) end = Math.min(start + max, bytes.length) // not UTF-8: cut anyway
    pieces.push(bytes.subarray(start, end))
    start = end
  }
  return pieces
}

/** The windows `{ offset, length }` that cover `size` bytes. */
export const windows = (size: number, max: number = McpTool.chunkSize) =>
  Array.from({ length: Math.ceil(size / max) }, (_, i) => ({ offset: i * max, length: Math.min(max, size - i * max) }))

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true })
const encoder = new TextEncoder()

/**
 * What `write_file` can carry: text. Bytes must be UTF-8 (then they round-trip
 * exactly); a string must be well-formed UTF-16 (a lone surrogate has no UTF-8
 * form). Anything else is refused before sending.
 */
export const contentBytes = (
  content: string | Uint8Array,
  operation: string
): Either.Either<Uint8Array, ValidationError> => {
  if (typeof content === "string") {
    return loneSurrogate.test(content)
      ? Either.left(
        new ValidationError({
          operation,
          field: "content",
          reason: "holds a lone UTF-16 surrogate, which UTF-8 cannot encode"
        })
      )
      : Either.right(encoder.encode(content))
  }
  try {
    strictUtf8.decode(content)
    return Either.right(content)
  } catch {
    return Either.left(
      new ValidationError({
        operation,
        field: "content",
        reason: "is not UTF-8: write_file carries text only, so binary files need the file-transfer API (uploadFile)"
      })
    )
  }
}

/** Reads one binary window and decodes its base64. */
const readWindow = (
  client: AgentBayClient.Service,
  ref: SessionRef,
  path: string,
  window: { readonly offset: number; readonly length: number },
  operation: string
) =>
  Effect.flatMap(
    Mcp.text(client, ref, McpTool.ReadFile, { path, ...window, format: "binary" }, { operation }),
    (text) =>
      Either.match(base64(text), {
        onLeft: (detail) => Effect.fail(new DecodeError({ action: McpTool.ReadFile.name, detail })),
        // A server that answers more than the window is cut to it.
        onRight: (bytes) => Effect.succeed(bytes.length > window.length ? bytes.subarray(0, window.length) : bytes)
      })
  )

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/

const base64 = (text: string): Either.Either<Uint8Array, string> => {
  const compact = text.replace(/\s+/g, "")
  if (!base64Text.test(compact)) return Either.left("read_file (binary): the text is not base64")
  return Either.mapLeft(Encoding.decodeBase64(compact), (e) => `read_file (binary): ${e.message}`)
}

/** The size of a regular file; a directory is ToolError (nothing to read). */
const sizeOf = (client: AgentBayClient.Service, ref: SessionRef, path: string, operation: string) =>
  Effect.flatMap(Mcp.invoke(client, ref, McpTool.GetFileInfo, { path }, { operation }), (info) =>
    info.isDirectory
      ? Effect.fail(
        new ToolError({ sessionId: idOf(ref), tool: McpTool.ReadFile.name, text: `${path}: is a directory` })
      )
      : Effect.succeed(info.size))

/** The file's windows as a stream, read one after the other as the consumer pulls. */
export const readStream = (
  client: AgentBayClient.Service,
  ref: SessionRef,
  path: string,
  operation = "readFileStream"
): Stream.Stream<Uint8Array, Mcp.ToolCallError> =>
  Stream.unwrap(
    Effect.map(sizeOf(client, ref, path, operation), (size) =>
      Stream.unfoldEffect(0, (offset) =>
        offset >= size
          ? Effect.succeed(Option.none())
          : Effect.map(
            readWindow(client, ref, path, { offset, length: Math.min(McpTool.chunkSize, size - offset) }, operation),
            // A short window means the file shrank while being read: it ends there.
            (bytes) => bytes.length === 0 ? Option.none() : Option.some([bytes, offset + bytes.length] as const)
          )))
  )

/** Every window of the file, concatenated once. */
export const readBytes = (client: AgentBayClient.Service, ref: SessionRef, path: string, operation: string) =>
  Effect.map(Stream.runCollect(readStream(client, ref, path, operation)), Transfer.concat)

/** Text: the bytes decoded once, so characters split across windows are whole (invalid UTF-8 becomes U+FFFD). */
export const readText = (client: AgentBayClient.Service, ref: SessionRef, path: string) =>
  Effect.map(readBytes(client, ref, path, "readFile"), (bytes) => lenientUtf8.decode(bytes))

/** Writes `content` in pieces: the first with `mode`, the rest appended, one after the other. */
export const write = (
  client: AgentBayClient.Service,
  ref: SessionRef,
  path: string,
  content: string | Uint8Array,
  options: AgentBayFileSystem.WriteOptions = {}
): Effect.Effect<void, Mcp.ToolCallError> =>
  Effect.gen(function*() {
    const operation = "writeFile"
    const mode = options.mode ?? "overwrite"
    if (!McpTool.WriteMode.literals.includes(mode)) {
      return yield* new ValidationError({ operation, field: "mode", reason: "must be overwrite, append or create_new" })
    }
    const bytes = yield* contentBytes(content, operation)
    const pieces = chunkUtf8(bytes)
    for (const [i, piece] of pieces.entries()) {
      yield* Mcp.text(client, ref, McpTool.WriteFile, {
        path,
        content: strictUtf8.decode(piece),
        mode: i === 0 ? mode : "append"
      }, { operation })
    }
  })

/** The operations of the service, over a client; `defaults` for the file transfers. */
export const make = (
  client: AgentBayClient.Service,
  defaults: Transfer.Defaults = Transfer.defaults
): AgentBayFileSystem.AgentBayFileSystem.Service => {
  const span = (operation: string, ref: SessionRef, tool: string) => Mcp.span(module, operation, ref, tool)
  const none = <A>(self: Effect.Effect<A, Mcp.ToolCallError>) => Effect.asVoid(self)
  return {
    ...Transfer.make(client, defaults),
    readFile: (ref, path) => readText(client, ref, path).pipe(span("readFile", ref, McpTool.ReadFile.name)),
    readFileBytes: (ref, path) =>
      readBytes(client, ref, path, "readFileBytes").pipe(span("readFileBytes", ref, McpTool.ReadFile.name)),
    readFileStream: (ref, path) =>
      readStream(client, ref, path).pipe(
        Stream.withSpan(`${module}.readFileStream`, {
          attributes: { "agentbay.session_id": idOf(ref), "agentbay.tool": McpTool.ReadFile.name }
        })
      ),
    writeFile: (ref, path, content, options) =>
      write(client, ref, path, content, options).pipe(span("writeFile", ref, McpTool.WriteFile.name)),
    createDirectory: (ref, path) =>
      none(Mcp.text(client, ref, McpTool.CreateDirectory, { path }, { operation: "createDirectory" })).pipe(
        span("createDirectory", ref, McpTool.CreateDirectory.name)
      ),
    deleteFile: (ref, path) =>
      none(Mcp.text(client, ref, McpTool.DeleteFile, { path }, { operation: "deleteFile" })).pipe(
        span("deleteFile", ref, McpTool.DeleteFile.name)
      ),
    moveFile: (ref, source, destination) =>
      none(Mcp.text(client, ref, McpTool.MoveFile, { source, destination }, { operation: "moveFile" })).pipe(
        span("moveFile", ref, McpTool.MoveFile.name)
      ),
    getFileInfo: (ref, path) =>
      Mcp.invoke(client, ref, McpTool.GetFileInfo, { path }, { operation: "getFileInfo" }).pipe(
        span("getFileInfo", ref, McpTool.GetFileInfo.name)
      ),
    listDirectory: (ref, path) =>
      Mcp.invoke(client, ref, McpTool.ListDirectory, { path }, { operation: "listDirectory" }).pipe(
        span("listDirectory", ref, McpTool.ListDirectory.name)
      ),
    searchFiles: (ref, path, pattern, options) => {
      // `excludePatterns` only when there are some, as the official client sends it.
      const exclude = options?.exclude ?? []
      const args = exclude.length > 0 ? { path, pattern, excludePatterns: exclude } : { path, pattern }
      return Mcp.invoke(client, ref, McpTool.SearchFiles, args, { operation: "searchFiles" }).pipe(
        span("searchFiles", ref, McpTool.SearchFiles.name)
      )
    },
    readMultipleFiles: (ref, paths) =>
      Mcp.invoke(client, ref, McpTool.ReadMultipleFiles, { paths }, { operation: "readMultipleFiles" }).pipe(
        span("readMultipleFiles", ref, McpTool.ReadMultipleFiles.name)
      ),
    editFile: (ref, path, edits, options) =>
      // `dryRun` always sent (false by default), as the official client sends it.
      Mcp.text(client, ref, McpTool.EditFile, { path, edits, dryRun: options?.dryRun ?? false }, {
        operation: "editFile"
      }).pipe(span("editFile", ref, McpTool.EditFile.name)),
    getFileChanges: (ref, path) =>
      Mcp.invoke(client, ref, McpTool.GetFileChange, { path }, { operation: "getFileChanges" }).pipe(
        span("getFileChanges", ref, McpTool.GetFileChange.name)
      )
  }
}
