// A context's stored files over the wire: pre-signed URL actions, their
// redemption by the `/context-files/<token>` route, DeleteContextFile and
// DescribeContextFiles (spec: wire-protocol.md §6.2, semantics.md §4.7).
// Tokens are 128 random bits, never logged; an upload token is good for one
// PUT. Internal: the public surface is BackendContexts.ts.
import { NotFound } from "@effect-agentbay/core/AgentBayError"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { type FileError, normalize } from "../BackendSandbox.js"
import type { BackendVault, FileToken, StoredFile } from "../BackendVault.js"
import { type Caller, type Entry, hex, isoTime, on } from "./backendRuntime.js"

/** How a `/context-files/<token>` request ends. */
export type FileOutcome =
  | { readonly _tag: "Denied" }
  | { readonly _tag: "TooLarge" }
  | { readonly _tag: "Stored"; readonly size: number }
  | { readonly _tag: "File"; readonly size: number; readonly stream: Stream.Stream<Uint8Array, FileError> }

const tokenPattern = /^[0-9a-f]{32}$/

// FNV-1a, 64 bits, as 16 hex digits: a stable FileId per (context, path). Not a secret.
const fnv64 = (text: string) => {
  let h = 0xcbf29ce484222325n
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b)
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h.toString(16).padStart(16, "0")
}

/** The FileId DescribeContextFiles reports. */
export const fileId = (contextId: string, path: string) => `file-${fnv64(`${contextId}\0${path}`)}`

const fileData = (contextId: string, f: StoredFile): typeof WireContext.ContextFileData.Type => ({
  FileId: fileId(contextId, f.path),
  FileName: f.name,
  FilePath: f.path,
  FileType: f.isDirectory ? "folder" : "file",
  // Stored files keep one time: their last write.
  GmtCreate: isoTime(f.modTime),
  GmtModified: isoTime(f.modTime),
  Size: f.isDirectory ? 0 : f.size,
  Status: "available"
})

// The stored file (not folder) at a path.
const storedFile = (vault: BackendVault.Service, contextId: string, path: string) =>
  Effect.map(vault.files.stat(contextId, path), Option.filter((f) => !f.isDirectory))

// How far past the upload cap a body is still read (and dropped) so that its 413 can be delivered.
const drainFactor = 4

class UploadTooLarge {
  readonly _tag = "UploadTooLarge"
}

export const make = (vault: BackendVault.Service, lifetime: Duration.Duration) => {
  // Any context of the caller's, the sessions' file-transfer contexts included.
  const contextOf = (owner: string, id: string) =>
    Effect.flatMap(
      vault.findContext(id, owner),
      (found) =>
        Option.isSome(found) ? Effect.succeed(found.value) : Effect.fail(new NotFound({ resource: "Context", id }))
    )

  const issue = (kind: FileToken["kind"], contextId: string, path: string, ctx: Caller) =>
    Effect.gen(function*() {
      const token = hex(16)
      const expiresAt = (yield* Clock.currentTimeMillis) + Duration.toMillis(lifetime)
      yield* vault.insertToken({ token, kind, owner: ctx.owner, contextId, path, expiresAt })
      return { data: { Url: `http://${ctx.host}/context-files/${token}`, ExpireTime: Math.floor(expiresAt / 1000) } }
    })

  const handlers: ReadonlyArray<Entry> = [
    on(
      WireContext.GetContextFileUploadUrl,
      (p, ctx) =>
        Effect.flatMap(contextOf(ctx.owner, p.ContextId), (c) => issue("upload", c.id, normalize(p.FilePath), ctx))
    ),
    on(WireContext.GetContextFileDownloadUrl, (p, ctx) =>
      Effect.gen(function*() {
        const c = yield* contextOf(ctx.owner, p.ContextId)
        const path = normalize(p.FilePath)
        if (Option.isNone(yield* storedFile(vault, c.id, path))) {
          return yield* new NotFound({ resource: "ContextFile", id: p.FilePath })
        }
        return yield* issue("download", c.id, path, ctx)
      })),
    // The file's URLs stop working with it: its download and its unused upload URLs are revoked
    // (a PUT after the delete would bring the file back), and a GET also checks that the file is there.
    on(WireContext.DeleteContextFile, (p, ctx) =>
      Effect.gen(function*() {
        const c = yield* contextOf(ctx.owner, p.ContextId)
        const path = normalize(p.FilePath)
        const removed = yield* vault.files.remove(c.id, path)
        yield* vault.deleteTokensFor(c.id, path)
        if (!removed) return yield* new NotFound({ resource: "ContextFile", id: p.FilePath })
        return {}
      })),
    on(WireContext.DescribeContextFiles, (p, ctx) =>
      Effect.gen(function*() {
        const c = yield* contextOf(ctx.owner, p.ContextId)
        const entries = yield* vault.files.list(c.id, normalize(p.ParentFolderPath || "/"))
        const size = p.PageSize ?? 50
        const start = ((p.PageNumber ?? 1) - 1) * size
        return {
          data: entries.slice(start, start + size).map((f) => fileData(c.id, f)),
          page: { Count: entries.length }
        }
      }))
  ]

  return { handlers, ...transfers(vault) }
}

// The `/context-files/<token>` side: redeeming the tokens.
const transfers = (vault: BackendVault.Service) => {
  // A token grants its one operation until it expires, while its context exists.
  const redeem = (token: string, kind: FileToken["kind"]) =>
    Effect.gen(function*() {
      if (!tokenPattern.test(token)) return Option.none()
      const found = yield* vault.findToken(token)
      if (Option.isNone(found) || found.value.kind !== kind) return Option.none()
      if (found.value.expiresAt <= (yield* Clock.currentTimeMillis)) return Option.none()
      if (Option.isNone(yield* vault.findContext(found.value.contextId))) return Option.none()
      return found
    })

  // Streams the body into the stored file (atomically: past `maxBytes` nothing
  // is stored). The token is spent before the body is read.
  const upload = <E>(
    token: string,
    body: Stream.Stream<Uint8Array, E>,
    options: { readonly contentLength?: number | undefined; readonly maxBytes: number }
  ): Effect.Effect<FileOutcome, E | FileError> =>
    Effect.gen(function*() {
      const found = yield* redeem(token, "upload")
      if (Option.isNone(found)) return { _tag: "Denied" } as const
      yield* vault.deleteToken(token)
      if (options.contentLength !== undefined && options.contentLength > options.maxBytes) {
        return { _tag: "TooLarge" } as const
      }
      // Past the cap the rest of the body is read and dropped (up to `drainFactor` times the cap, as the
      // action route's body reader does), then the write fails: a body left unread mid-stream makes the
      // server close the connection before the client has its 413.
      let seen = 0
      const capped = Stream.concat(
        Stream.filterEffect(body, (chunk) =>
          (seen += chunk.length) > options.maxBytes * drainFactor
            ? Effect.fail(new UploadTooLarge())
            : Effect.succeed(seen <= options.maxBytes)),
        Stream.suspend(() => seen > options.maxBytes ? Stream.fail(new UploadTooLarge()) : Stream.empty)
      )
      const { contextId, path } = found.value
      return yield* vault.files.write(contextId, path, capped).pipe(
        Effect.map((size): FileOutcome => ({ _tag: "Stored", size })),
        Effect.catchIf((e): e is UploadTooLarge => e instanceof UploadTooLarge, () =>
          Effect.succeed({ _tag: "TooLarge" } as const))
      )
    })

  // A download URL of a file since deleted grants nothing (403), as one of a deleted context.
  const download = (token: string): Effect.Effect<FileOutcome, FileError> =>
    Effect.gen(function*() {
      const found = yield* redeem(token, "download")
      if (Option.isNone(found)) return { _tag: "Denied" } as const
      const { contextId, path } = found.value
      const file = yield* storedFile(vault, contextId, path)
      if (Option.isNone(file)) return { _tag: "Denied" } as const
      return { _tag: "File", size: file.value.size, stream: vault.files.read(contextId, path) } as const
    })

  return { upload, download }
}
