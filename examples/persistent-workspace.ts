/**
 * Persistent workspace: a context carries an agent's work from one session to
 * the next. Session 1 syncs the context at /home/wuying/workspace, writes notes
 * and runs a command that leaves a log there, and is released with
 * `syncContext`, which uploads the workspace before deleting. Session 2 syncs
 * the same context and finds everything. A file goes in and out through file
 * transfer (`uploadFile` / `downloadFile`), and the context's stored files are
 * listed at the end. Written against the `AgentBay` service only; `pnpm demo`
 * runs it on the embedded local runtime.
 *
 * @since 0.1.0
 */
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import type * as SyncPolicy from "@effect-agentbay/core/SyncPolicy"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

import { row, step } from "./quickstart.js"

/**
 * Where the context appears in every session that syncs it.
 *
 * @since 0.1.0
 * @category constants
 */
export const workspace = "/home/wuying/workspace"

/**
 * Sync the whole workspace but its `tmp/` folder (whitelist + exclude), file by file.
 *
 * @since 0.1.0
 * @category constants
 */
export const policy: SyncPolicy.SyncPolicy = {
  uploadPolicy: { autoUpload: true, uploadStrategy: "UploadBeforeResourceRelease", uploadMode: "File" },
  bwList: { whiteLists: [{ path: "", excludePaths: ["tmp"] }] }
}

/** Bytes that are not UTF-8 text: only file transfer carries them (write_file takes text). */
const payload = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * What the second session found.
 *
 * @since 0.1.0
 * @category models
 */
export interface Carried {
  readonly notes: string
  readonly log: string
  /** Whether session 1's scratch file (excluded by the policy) came along: it must not. */
  readonly scratchCarried: boolean
  readonly downloaded: Uint8Array
  readonly stored: ReadonlyArray<string>
}

const work = (contextId: string) =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const sync = [{ contextId, path: workspace, policy }]

    // Session 1: work in the workspace; the release uploads it, then deletes the session.
    let closing = 0
    yield* Effect.scoped(Effect.gen(function*() {
      const session = yield* step(
        "session 1 + context",
        bay.session({ contextSync: sync, release: { syncContext: true } }),
        (s) => s.id
      )
      yield* step(
        "write notes.md",
        session.filesystem.writeFile(`${workspace}/notes.md`, "# Plan\n- step 1 done\n"),
        () => "written"
      )
      yield* step(
        "run a command",
        session.command.executeCommand("mkdir -p tmp && echo ok > build.log && echo scratch > tmp/x", {
          cwd: workspace
        }),
        (r) => `exit ${r.exitCode}, wrote build.log and tmp/x`
      )
      yield* step(
        "uploadFile data.bin",
        session.filesystem.uploadFile(payload, `${workspace}/data.bin`),
        () => `${payload.length} bytes, synced into the session`
      )
      yield* Effect.addFinalizer(() => Effect.sync(() => (closing = performance.now())))
    }))
    yield* row("release (sync, delete)", "workspace uploaded, then the session deleted", performance.now() - closing)

    // Session 2: the same context in a new sandbox.
    const carried = yield* Effect.scoped(Effect.gen(function*() {
      const session = yield* step("session 2 + context", bay.session({ contextSync: sync }), (s) => s.id)
      const notes = yield* step(
        "read notes.md",
        session.filesystem.readFile(`${workspace}/notes.md`),
        (t) => JSON.stringify(t)
      )
      const log = yield* session.filesystem.readFile(`${workspace}/build.log`)
      const scratchCarried = yield* session.filesystem.getFileInfo(`${workspace}/tmp/x`).pipe(
        Effect.as(true),
        Effect.catchTag("ToolError", () => Effect.succeed(false))
      )
      const downloaded = yield* step(
        "downloadFile data.bin",
        session.filesystem.downloadFileBytes(`${workspace}/data.bin`),
        (bytes) => `${bytes.length} bytes, ${same(bytes, payload) ? "byte-exact" : "DIFFERENT"}`
      )
      return { notes, log, scratchCarried, downloaded }
    }))

    const stored = yield* step(
      "context.files",
      Stream.runCollect(bay.context.files(contextId, workspace)),
      (files) => Chunk.toReadonlyArray(files).map((f) => f.name).join(", ")
    )
    return { ...carried, stored: Chunk.toReadonlyArray(stored).map((f) => f.path) } satisfies Carried
  })

/**
 * The whole workflow in a fresh context, deleted at the end whatever happens
 * (a real agent keeps its context: that is the point of one).
 *
 * @since 0.1.0
 * @category workflows
 */
export const persistentWorkspace = Effect.flatMap(AgentBay, (bay) =>
  Effect.acquireUseRelease(
    step(
      "context.get (create)",
      bay.context.get(`workspace-${Date.now().toString(36)}`, { create: true }),
      (c) => `${c.id} ${c.name}`
    ),
    (context) => work(context.id),
    (context) => Effect.orDie(bay.context.delete(context))
  ))
