// The fake's sandbox: in-memory files per session (the backend's MemoryFiles)
// and commands whose results the test programs (`Backend.onCommand`). A
// volume is a tree of its own, shared by id, mounted at /home/wuying/volume in
// the sessions started with it and kept after they are gone; `removeVolume`
// drops it.
// Internal: the public surface is AgentBayTest.ts.
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

import { mount } from "./volumeFiles.js"

/**
 * What a programmed command produces. Missing fields: empty output, exit 0.
 */
export interface CommandResult {
  readonly stdout?: string | undefined
  readonly stderr?: string | undefined
  readonly exitCode?: number | undefined
}

/**
 * A programmed command: a fixed result, or a function of the command line
 * (it may take time on the Clock: past the call's timeout it is cut, as a real
 * command would be).
 */
export type CommandHandler =
  | CommandResult
  | ((command: string, options: BackendSandbox.ExecOptions) => Effect.Effect<CommandResult>)

interface Programmed {
  readonly pattern: string | RegExp
  readonly handler: CommandHandler
}

interface Entry {
  readonly files: BackendSandbox.SessionFiles
  paused: boolean
}

const defaultTimeout = Duration.seconds(60)

// `sh -c <command>` (what the shell tool runs) is matched on <command>; any
// other argv on its words joined by spaces.
const commandLine = (argv: ReadonlyArray<string>) =>
  argv.length === 3 && argv[0] === "sh" && argv[1] === "-c" ? argv[2]! : argv.join(" ")

const matches = (pattern: string | RegExp, command: string) =>
  typeof pattern === "string" ? pattern === command : pattern.test(command)

export const make = Effect.sync(() => {
  const sessions = new Map<string, Entry>()
  const programmed: Array<Programmed> = []
  const files = new Map<string, BackendSandbox.SessionFiles>()
  const filesOf = (sessionId: string) => {
    let f = files.get(sessionId)
    if (f === undefined) {
      f = MemoryFiles.make()
      files.set(sessionId, f)
    }
    return f
  }
  const volumes = new Map<string, BackendSandbox.SessionFiles>()
  const volumeOf = (volumeId: string) => {
    let v = volumes.get(volumeId)
    if (v === undefined) {
      v = MemoryFiles.make()
      volumes.set(volumeId, v)
    }
    return v
  }
  // The session's tree with its volume mounted (the mount point made first).
  const mounted = (sessionId: string, volumeId: string) =>
    Effect.gen(function*() {
      const own = filesOf(sessionId)
      yield* Effect.orDie(own.makeDirectory(BackendSandbox.volumeMount))
      files.set(sessionId, mount(own, volumeOf(volumeId)))
    })
  const fail = (sessionId: string, operation: string, reason: string) =>
    Effect.fail(new BackendSandbox.SandboxError({ sessionId, operation, reason }))
  const started = (sessionId: string, operation: string) => {
    const entry = sessions.get(sessionId)
    return entry === undefined
      ? fail(sessionId, operation, "the session's sandbox is not started")
      : Effect.succeed(entry)
  }

  const run = (command: string, options: BackendSandbox.ExecOptions) =>
    Effect.gen(function*() {
      // The latest programming wins, so a test can override an earlier one.
      const found = [...programmed].reverse().find((p) => matches(p.pattern, command))
      if (found === undefined) {
        return {
          exitCode: 127,
          stdout: "",
          stderr: `agentbay fake: no result programmed for this command (use Backend.onCommand): ${command}\n`,
          timedOut: false
        }
      }
      const timeout = Duration.decode(options.timeout ?? defaultTimeout)
      const result = typeof found.handler === "function"
        ? found.handler(command, options)
        : Effect.succeed(found.handler)
      return yield* Effect.timeoutTo(result, {
        duration: timeout,
        onSuccess: (r): BackendSandbox.ExecResult => ({
          exitCode: r.exitCode ?? 0,
          stdout: r.stdout ?? "",
          stderr: r.stderr ?? "",
          timedOut: false
        }),
        // What a real sandbox reports for a command killed at its deadline.
        onTimeout: (): BackendSandbox.ExecResult => ({ exitCode: 137, stdout: "", stderr: "", timedOut: true })
      })
    })

  const service: BackendSandbox.BackendSandbox.Service = {
    isolation: { level: "memory", detail: "in-memory fake: files in memory, commands programmed by the test" },
    start: (sessionId, options) =>
      Effect.gen(function*() {
        if (sessions.has(sessionId)) return
        if (options?.volume !== undefined) yield* mounted(sessionId, options.volume.id)
        sessions.set(sessionId, { files: filesOf(sessionId), paused: false })
      }),
    exec: (sessionId, argv, options = {}) =>
      Effect.flatMap(
        started(sessionId, "exec"),
        (entry) => entry.paused ? fail(sessionId, "exec", "the session is paused") : run(commandLine(argv), options)
      ),
    pause: (sessionId) => Effect.map(started(sessionId, "pause"), (entry) => void (entry.paused = true)),
    resume: (sessionId) => Effect.map(started(sessionId, "resume"), (entry) => void (entry.paused = false)),
    destroy: (sessionId) =>
      Effect.sync(() => {
        sessions.delete(sessionId)
        files.delete(sessionId)
      }),
    files: filesOf,
    removeVolume: (volumeId) => Effect.sync(() => void volumes.delete(volumeId))
  }
  return {
    service,
    onCommand: (pattern: string | RegExp, handler: CommandHandler) =>
      Effect.sync(() => void programmed.push({ pattern, handler })),
    files: filesOf,
    /** Ids of the volumes whose data exists, in creation order. */
    volumes: Effect.sync(() => [...volumes.keys()]),
    /** A volume's files as a session sees them (below /home/wuying/volume); empty if it has none. */
    volumeFiles: (volumeId: string) => mount(MemoryFiles.make(), volumes.get(volumeId) ?? MemoryFiles.make())
  }
})
