// Test helpers for LocalVault: a vault (with the store it shares the database with) over a data directory.
import type { BackendVault } from "@effect-agentbay/backend/BackendVault"
import * as BackendVaultTag from "@effect-agentbay/backend/BackendVault"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LocalStore from "../src/LocalStore.js"
import * as LocalVault from "../src/LocalVault.js"

/** A fresh data directory, removed when the scope closes. */
export const tempDataDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "agentbay-vault-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

/** The vault and the SqlClient over `<dataDir>/agentbay.db`, open until the scope closes. */
export const openVault = (dataDir: string) =>
  Effect.map(
    Layer.build(
      LocalVault.layer({ dataDir }).pipe(
        Layer.provideMerge(LocalStore.layer({ filename: path.join(dataDir, "agentbay.db") }))
      )
    ),
    (context) => ({
      vault: Context.get(context, BackendVaultTag.BackendVault) as BackendVault.Service,
      sql: Context.get(context, SqlClient.SqlClient)
    })
  )

/** Runs `use` on a vault opened for it alone (closed afterwards). */
export const withVault = <A, E>(dataDir: string, use: (vault: BackendVault.Service) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(openVault(dataDir), ({ vault }) => use(vault)))

export const text = (s: string) => new TextEncoder().encode(s)

/** A stream of `s` in chunks of `size` bytes. */
export const chunks = (bytes: Uint8Array, size: number) => {
  const out: Array<Uint8Array> = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size))
  return Stream.fromIterable(out)
}

/** Reads a stored file whole (and how many chunks it came in). */
export const readAll = (vault: BackendVault.Service, contextId: string, file: string) =>
  Effect.map(Stream.runCollect(vault.files.read(contextId, file)), (collected) => {
    const parts = [...collected]
    return { bytes: Buffer.concat(parts), chunks: parts.length, largest: Math.max(0, ...parts.map((p) => p.length)) }
  })

/** Every file below `dir` (relative paths), sorted. */
export const filesBelow = (dir: string): Array<string> =>
  fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as Array<string>).sort() : []
