// The tools' handlers (BackendTools): one per tool of McpTool.all, each decoding its `Args` with the tool's
// declaration, running over the session's files and `exec`, and encoding its value with the tool's result
// codec. Internal: not exported from the package; `BackendTools.call` dispatches to `handlers`.
//
// Node: `get_metrics` reads the host's CPU and memory with `node:os` (the only Node module of the tools).
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Os from "node:os"
import {
  type BackendSandbox,
  type FileError,
  type FileStat,
  home,
  type SandboxError,
  type SessionFiles
} from "../BackendSandbox.js"
import type { SessionToolState, ToolOptions } from "../BackendTools.js"
import * as CodeRunner from "./codeRunner.js"
import * as Text from "./toolText.js"

/** A tool's own refusal: becomes an `isError: true` result with this text. */
class ToolFailure extends Data.TaggedError("ToolFailure")<{ readonly text: string }> {}

const refuse = (text: string) => Effect.fail(new ToolFailure({ text }))

/** What a handler runs with: the sandbox, the session and what the tools remember of it. */
export interface Ctx {
  readonly sandbox: BackendSandbox.Service
  readonly options: ToolOptions
  readonly sessionId: string
  readonly files: SessionFiles
  readonly session: SessionToolState
}

type Failure = ToolFailure | FileError | SandboxError

/** One tool's server side: never fails but for the sandbox (`isError` results carry the tool's refusals). */
export interface Handler {
  readonly run: (ctx: Ctx, args: unknown) => Effect.Effect<McpTool.McpResult, SandboxError>
}

/** Decodes the args, runs, encodes the value with the tool's result codec; refusals become error results. */
const handler = <Name extends string, A, AI, R>(
  tool: McpTool.McpTool<Name, A, AI, R>,
  run: (ctx: Ctx, args: A) => Effect.Effect<R, Failure>,
  prepare: (args: unknown) => unknown = (args) => args
): readonly [string, Handler] => [tool.name, {
  run: (ctx, raw) =>
    Either.match(Schema.decodeUnknownEither(tool.args)(prepare(raw)), {
      onLeft: (error) =>
        Effect.succeed(
          McpTool.error(`${tool.name}: invalid arguments: ${ParseResult.TreeFormatter.formatErrorSync(error)}`)
        ),
      onRight: (args) =>
        run(ctx, args).pipe(
          Effect.flatMap((value) => Effect.orDie(Schema.encode(tool.result)(value))),
          Effect.map(McpTool.ok),
          Effect.catchTags({
            FileError: (error) => Effect.succeed(McpTool.error(error.message)),
            ToolFailure: (error) => Effect.succeed(McpTool.error(error.text))
          })
        )
    })
}]

/** Largest window of `read_file` (and file of `read_multiple_files`, `edit_file`), in bytes. */
const maxWindow = 16 * 1024 * 1024

/** A whole (bounded) file as bytes; a directory is refused. */
const readAll = (files: SessionFiles, path: string): Effect.Effect<Uint8Array, FileError | ToolFailure> =>
  Effect.gen(function*() {
    const stat = yield* files.stat(path)
    if (stat.isDirectory) return yield* refuse(`${path}: is a directory`)
    if (stat.size > maxWindow) return yield* refuse(`${path}: larger than ${maxWindow} bytes; read it with read_file`)
    return yield* files.read(path, 0, stat.size)
  })

const readFile = handler(McpTool.ReadFile, ({ files }, args) =>
  Effect.gen(function*() {
    const stat = yield* files.stat(args.path)
    if (stat.isDirectory) return yield* refuse(`${args.path}: is a directory`)
    const offset = args.offset ?? 0
    const length = Math.max(0, Math.min(args.length ?? stat.size, stat.size - offset))
    if (length > maxWindow) {
      return yield* refuse(`${args.path}: a window of ${length} bytes is over ${maxWindow}; read smaller windows`)
    }
    if (args.format === "binary") return Encoding.encodeBase64(yield* files.read(args.path, offset, length))
    // Up to 3 bytes past the window complete its last character.
    return Text.window(yield* files.read(args.path, offset, length + 3), length)
  }))

/**
 * `write_file`: the content's UTF-8 bytes. The official client cuts long
 * content every 61 440 UTF-16 units, which can split a surrogate pair: a high
 * surrogate ending a write is held back (per session and path, with the file's
 * size after the write) and joined to a low surrogate starting the next
 * `append` of the same file if its size is unchanged. Any other lone surrogate
 * becomes U+FFFD (as `TextEncoder` does); a held one that is never completed
 * is dropped.
 */
const writeFile = handler(McpTool.WriteFile, ({ files, session }, args) =>
  Effect.gen(function*() {
    const mode = args.mode ?? "overwrite"
    let content = args.content
    if (mode === "append" && Text.isLowSurrogate(content.charCodeAt(0)) && session.pendingHigh.size > 0) {
      const before = yield* Effect.option(files.stat(args.path))
      const held = before._tag === "Some" ? session.pendingHigh.get(before.value.path) : undefined
      if (held !== undefined && before._tag === "Some" && held.size === before.value.size) content = held.unit + content
    }
    const trailing = Text.isHighSurrogate(content.charCodeAt(content.length - 1)) ? content.slice(-1) : undefined
    if (trailing !== undefined) content = content.slice(0, -1)
    yield* files.write(args.path, Text.encode(content), mode)
    if (trailing !== undefined || session.pendingHigh.size > 0) {
      const after = yield* files.stat(args.path)
      session.pendingHigh.delete(after.path)
      if (trailing !== undefined) session.pendingHigh.set(after.path, { unit: trailing, size: after.size })
    }
    return `Successfully wrote to ${args.path}`
  }))

const getFileInfo = handler(
  McpTool.GetFileInfo,
  ({ files }, args) =>
    Effect.map(files.stat(args.path), (stat): McpTool.FileInfo => ({
      name: stat.name,
      path: stat.path,
      size: stat.size,
      isDirectory: stat.isDirectory,
      modTime: Text.isoSeconds(stat.modTime),
      mode: Text.modeString(stat.isDirectory, stat.mode),
      owner: "wuying",
      group: "wuying"
    }))
)

const listDirectory = handler(
  McpTool.ListDirectory,
  ({ files }, args) =>
    Effect.map(files.list(args.path), (entries) => entries.map(({ isDirectory, name }) => ({ name, isDirectory })))
)

/** `read_multiple_files`: a file that cannot be read gets `Error: <message>` as its content (our choice). */
const readMultipleFiles = handler(
  McpTool.ReadMultipleFiles,
  ({ files }, args) =>
    Effect.forEach(args.paths, (path) =>
      readAll(files, path).pipe(
        Effect.map((bytes) => ({ path, content: Text.decode(bytes) })),
        Effect.catchTags({
          FileError: (error) => Effect.succeed({ path, content: `Error: ${error.message}` }),
          ToolFailure: (error) => Effect.succeed({ path, content: `Error: ${error.text}` })
        })
      ))
)

const directory = (files: SessionFiles, path: string) =>
  Effect.flatMap(
    files.stat(path),
    (stat) => stat.isDirectory ? Effect.succeed(stat) : refuse(`${path}: not a directory`)
  )

/** `search_files`: see `Text.matchesName` and `Text.isExcluded` for the pattern rules. */
const searchFiles = handler(McpTool.SearchFiles, ({ files }, args) =>
  Effect.gen(function*() {
    const root = yield* directory(files, args.path)
    const excludes = (args.excludePatterns ?? []).filter((p) => p !== "").map(Text.globToRegExp)
    return (yield* files.walk(args.path))
      .filter((stat) =>
        Text.matchesName(args.pattern, stat.name) &&
        !Text.isExcluded(excludes, stat.path.slice(root.path.length + 1))
      )
      .map((stat) => stat.path)
      .sort()
  }))

/**
 * `get_file_change`: the first call for a directory remembers its walk and
 * reports nothing; later calls report what was created, deleted or modified
 * (size or modification time) since. Directories are reported created or
 * deleted, never modified (their times change with every entry).
 */
const getFileChange = handler(McpTool.GetFileChange, ({ files, session }, args) =>
  Effect.gen(function*() {
    const root = yield* directory(files, args.path)
    const now = new Map((yield* files.walk(args.path)).map((stat) => [stat.path, stat] as const))
    const before = session.watches.get(root.path)
    session.watches.set(root.path, now)
    if (before === undefined) return []
    const change = (eventType: "create" | "modify" | "delete", stat: FileStat) =>
      ({ eventType, path: stat.path, pathType: stat.isDirectory ? "directory" : "file" }) as const
    const changes = [
      ...[...now.values()].flatMap((stat) => {
        const old = before.get(stat.path)
        if (old === undefined || old.isDirectory !== stat.isDirectory) return [change("create", stat)]
        return !stat.isDirectory && (old.size !== stat.size || old.modTime !== stat.modTime)
          ? [change("modify", stat)]
          : []
      }),
      ...[...before.values()].filter((stat) => now.get(stat.path)?.isDirectory !== stat.isDirectory).map((stat) =>
        change("delete", stat)
      )
    ]
    return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }))

const createDirectory = handler(
  McpTool.CreateDirectory,
  ({ files }, args) => Effect.as(files.makeDirectory(args.path), `Successfully created directory ${args.path}`)
)

const deleteFile = handler(
  McpTool.DeleteFile,
  ({ files }, args) => Effect.as(files.remove(args.path), `Successfully deleted ${args.path}`)
)

const moveFile = handler(
  McpTool.MoveFile,
  ({ files }, args) =>
    Effect.as(files.move(args.source, args.destination), `Successfully moved ${args.source} to ${args.destination}`)
)

/** `edit_file`: edits apply in order, each to the first occurrence of its `oldText` in the text so far. */
const editFile = handler(McpTool.EditFile, ({ files }, args) =>
  Effect.gen(function*() {
    let text = yield* Effect.flatMap(readAll(files, args.path), (bytes) =>
      Either.match(Text.decodeStrict(bytes), {
        onLeft: () => refuse(`${args.path}: not a UTF-8 text file`),
        onRight: Effect.succeed
      }))
    for (const [i, edit] of args.edits.entries()) {
      const at = edit.oldText === "" ? -1 : text.indexOf(edit.oldText)
      if (at < 0) {
        const shown = JSON.stringify(edit.oldText.slice(0, 200))
        return yield* refuse(`${args.path}: edit ${i + 1}: oldText not found: ${shown}`)
      }
      text = text.slice(0, at) + edit.newText + text.slice(at + edit.oldText.length)
    }
    if (args.dryRun === true) return `Dry run: ${args.edits.length} edit(s) would apply to ${args.path}`
    yield* files.write(args.path, Text.encode(text), "overwrite")
    return `Successfully edited ${args.path}`
  }))

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A `cwd` inside the session's files must be a directory; one outside them (e.g. `/usr`) is left to the command. */
const checkCwd = (files: SessionFiles, cwd: string) =>
  files.stat(cwd).pipe(
    Effect.matchEffect({
      onFailure: (error) =>
        error.reason === "NotFound" || error.reason === "NotDirectory"
          ? refuse(`shell: cwd ${cwd}: no such directory`)
          : Effect.void,
      onSuccess: (stat) => stat.isDirectory ? Effect.void : refuse(`shell: cwd ${cwd}: not a directory`)
    })
  )

/**
 * `shell`: `sh -c <command>`; the real exit code with `isError: false` (spec
 * Local choice). Past `timeout_ms` the sandbox kills the process group; the
 * result then has exit code 124 and a last line `command timed out after <n> ms` in stderr.
 */
const shell = handler(McpTool.Shell, ({ files, sandbox, sessionId }, args) =>
  Effect.gen(function*() {
    const envs = args.envs ?? {}
    const bad = Object.keys(envs).find((name) => !envName.test(name))
    if (bad !== undefined) return yield* refuse(`shell: invalid environment variable name: ${JSON.stringify(bad)}`)
    if (args.cwd !== undefined) yield* checkCwd(files, args.cwd)
    const result = yield* sandbox.exec(sessionId, ["sh", "-c", args.command], {
      timeout: Duration.millis(args.timeout_ms),
      cwd: args.cwd,
      env: envs
    })
    return result.timedOut
      ? {
        stdout: result.stdout,
        stderr: Text.withLine(result.stderr, McpTool.timeoutLine(args.timeout_ms)),
        exit_code: 124,
        traceId: ""
      }
      : { stdout: result.stdout, stderr: result.stderr, exit_code: result.exitCode, traceId: "" }
  }))

/** `run_code`: see `internal/codeRunner.ts`. Language aliases are accepted here too. */
const runCode = handler(
  McpTool.RunCode,
  ({ sandbox, session, sessionId }, { code, language, timeout_s }) =>
    Effect.gen(function*() {
      if (language === "r" || language === "java") {
        return yield* refuse(`language ${language} is not available in the local runtime`)
      }
      session.executionCount += 1
      const outcome = yield* CodeRunner.run(sandbox, sessionId, { code, language, timeout_s }, session.executionCount)
      if (outcome._tag === "Missing") return yield* refuse(`${outcome.interpreter} is not installed`)
      return outcome.record
    }),
  CodeRunner.normaliseLanguage
)

/** Bytes of the files below `path` (0 where the walk fails, e.g. past its bound). */
const usage = (files: SessionFiles, path: string) =>
  files.walk(path).pipe(
    Effect.map((stats) => stats.reduce((sum, stat) => sum + (stat.isDirectory ? 0 : stat.size), 0)),
    Effect.orElseSucceed(() => 0)
  )

const nominalDisk = 10 * 1024 * 1024 * 1024

/**
 * `get_metrics`: the host's CPUs (`cpu_used_pct` from the 1-minute load
 * average) and memory in bytes; `disk_used` = bytes of the session's files
 * (home and /tmp), `disk_total` = the filesystem's size (option `diskTotal`);
 * network counters 0 (not measured).
 */
const getMetrics = handler(McpTool.GetMetrics, ({ files, options, sessionId }) =>
  Effect.gen(function*() {
    const used = (yield* usage(files, home)) + (yield* usage(files, "/tmp"))
    const total = options.diskTotal === undefined ? nominalDisk : yield* options.diskTotal(sessionId)
    const cpus = Math.max(1, Os.cpus().length)
    const memTotal = Os.totalmem()
    return {
      cpu_count: cpus,
      cpu_used_pct: Math.round(Math.min(100, (Os.loadavg()[0]! / cpus) * 100) * 10) / 10,
      disk_total: Math.max(total, used),
      disk_used: used,
      mem_total: memTotal,
      mem_used: memTotal - Os.freemem(),
      rx_rate_kbyte_per_s: 0,
      tx_rate_kbyte_per_s: 0,
      rx_used_kbyte: 0,
      tx_used_kbyte: 0,
      timestamp: Text.isoSeconds(yield* Clock.currentTimeMillis)
    }
  }))

/** Every implemented tool, by name. */
export const handlers: ReadonlyMap<string, Handler> = new Map([
  createDirectory,
  deleteFile,
  moveFile,
  editFile,
  writeFile,
  readFile,
  getFileInfo,
  listDirectory,
  readMultipleFiles,
  searchFiles,
  getFileChange,
  shell,
  runCode,
  getMetrics
])
