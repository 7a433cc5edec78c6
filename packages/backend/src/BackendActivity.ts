/**
 * What the wire has no action for, recorded for the local runtime's dashboard:
 * each session's status transitions with their times, and its last `shell` and
 * `run_code` commands with their exit codes and (truncated) output.
 *
 * Kept in memory, bounded: at most `maxSessions` sessions (the least recently
 * active dropped first), `maxTransitions` transitions and `maxCommands`
 * commands each, every command's text and output cut at `maxText` and
 * `maxOutput` characters. Memory, not the store, because this is a view of
 * recent activity, not state: no request reads it, a write per command or
 * transition would put a database write on the tool path, and nothing breaks
 * when a restart forgets it (the store keeps each session's creation time and
 * status; the history after a restart starts with the status it was restored in).
 *
 * The backend records only where this service is provided
 * (`BackendSessions.make` and `BackendTools.makeToolState` look it up with
 * `Effect.serviceOption`): the local runtime provides it, the fake does not.
 *
 * @since 0.1.0
 */
import * as McpTool from "@effect-agentbay/core/McpTool"
import type { SessionStatus } from "@effect-agentbay/core/Session"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * One status a session entered, and when (epoch millis). For a transition that
 * settles later (PAUSING → PAUSED), the time it settled, not when it was read.
 *
 * @since 0.1.0
 * @category models
 */
export interface StatusEntry {
  readonly status: SessionStatus
  readonly at: number
}

/**
 * One `shell` or `run_code` call.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandEntry {
  readonly tool: "shell" | "run_code"
  /** The command (shell) or code (run_code), cut at `maxText`. */
  readonly command: string
  /**
   * The exit code: shell's own; for run_code 0, or 1 when the code raised
   * (`executionError`, our convention); null when the call itself failed
   * (`isError`: a bad argument, a missing interpreter).
   */
  readonly exitCode: number | null
  /** stdout then stderr (run_code: its stdout, stderr and error), cut at `maxOutput`. */
  readonly output: string
  /** The output or command was longer and was cut. */
  readonly truncated: boolean
  /** When the call returned (epoch millis). */
  readonly at: number
}

/**
 * What is recorded of one session.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionActivity {
  /** Oldest first. */
  readonly history: ReadonlyArray<StatusEntry>
  /** Oldest first. */
  readonly commands: ReadonlyArray<CommandEntry>
}

/**
 * @since 0.1.0
 * @category options
 */
export interface Limits {
  /** Sessions remembered; past it the least recently active is dropped. Default 1,000. */
  readonly maxSessions?: number | undefined
  /** Transitions kept per session (the oldest dropped). Default 50. */
  readonly maxTransitions?: number | undefined
  /** Commands kept per session (the oldest dropped). Default 20. */
  readonly maxCommands?: number | undefined
  /** Characters of a command's text kept. Default 1,000. */
  readonly maxText?: number | undefined
  /** Characters of a command's output kept. Default 4,000. */
  readonly maxOutput?: number | undefined
}

/**
 * @since 0.1.0
 * @category defaults
 */
export const defaults = {
  maxSessions: 1000,
  maxTransitions: 50,
  maxCommands: 20,
  maxText: 1000,
  maxOutput: 4000
} as const

/**
 * @since 0.1.0
 * @category tags
 */
export class BackendActivity
  extends Context.Tag("@effect-agentbay/backend/BackendActivity")<BackendActivity, BackendActivity.Service>()
{}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BackendActivity {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Records that a session entered `status` at `at` (a repeat of its last status is ignored). */
    readonly status: (sessionId: string, status: SessionStatus, at: number) => Effect.Effect<void>
    /** Records a command (text and output cut to the limits here). */
    readonly command: (sessionId: string, entry: CommandEntry) => Effect.Effect<void>
    /** What is recorded of a session (empty lists when nothing is). */
    readonly of: (sessionId: string) => Effect.Effect<SessionActivity>
    /** Drops a session's records (its record was purged). */
    readonly forget: (sessionId: string) => Effect.Effect<void>
  }
}

interface Slot {
  readonly history: Array<StatusEntry>
  readonly commands: Array<CommandEntry>
}

/**
 * `text` cut at `max` characters, and whether it was.
 *
 * @since 0.1.0
 * @category utils
 */
export const truncate = (text: string, max: number): { readonly text: string; readonly truncated: boolean } =>
  text.length <= max ? { text, truncated: false } : { text: text.slice(0, max), truncated: true }

const pushBounded = <A>(list: Array<A>, item: A, max: number) => {
  list.push(item)
  if (list.length > max) list.splice(0, list.length - max)
}

const field = (args: unknown, name: string): string => {
  const value = typeof args === "object" && args !== null ? (args as Record<string, unknown>)[name] : undefined
  return typeof value === "string" ? value : ""
}

// Outputs one after the other, each on lines of its own.
const lines = (parts: ReadonlyArray<string>) =>
  parts.filter((p) => p !== "").map((p) => p.endsWith("\n") ? p.slice(0, -1) : p).join("\n")

// The exit code and output of a successful call, from its result text.
const outcomeOf = (tool: "shell" | "run_code", text: string): { exitCode: number | null; output: string } => {
  if (tool === "shell") {
    const decoded = McpTool.decodeResult(McpTool.Shell, text)
    return decoded._tag === "Right"
      ? { exitCode: decoded.right.exit_code, output: lines([decoded.right.stdout, decoded.right.stderr]) }
      : { exitCode: null, output: text }
  }
  const decoded = McpTool.decodeResult(McpTool.RunCode, text)
  if (decoded._tag === "Left") return { exitCode: null, output: text }
  const run = decoded.right
  return {
    exitCode: run.executionError === undefined ? 0 : 1,
    output: lines([run.stdout.join(""), run.stderr.join(""), run.executionError ?? ""])
  }
}

/**
 * The entry of a tool call, when the tool is `shell` or `run_code` (else
 * undefined): `args` as the tool received them, `result` as it answered.
 *
 * @since 0.1.0
 * @category constructors
 */
export const commandOf = (
  name: string,
  args: unknown,
  result: McpTool.McpResult,
  at: number
): CommandEntry | undefined => {
  if (name !== "shell" && name !== "run_code") return undefined
  const command = field(args, name === "shell" ? "command" : "code")
  const outcome = result.isError
    ? { exitCode: null, output: McpTool.textOf(result) }
    : outcomeOf(name, McpTool.textOf(result))
  return { tool: name, command, ...outcome, truncated: false, at }
}

/**
 * A fresh in-memory record.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (limits: Limits = {}): Effect.Effect<BackendActivity.Service> =>
  Effect.sync(() => {
    const max = { ...defaults, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) }
    // A Map iterates in insertion order: re-inserting on each write keeps the
    // least recently active session first, the one dropped past `maxSessions`.
    const slots = new Map<string, Slot>()
    const touch = (sessionId: string): Slot => {
      const slot = slots.get(sessionId) ?? { history: [], commands: [] }
      slots.delete(sessionId)
      slots.set(sessionId, slot)
      while (slots.size > max.maxSessions) slots.delete(slots.keys().next().value!)
      return slot
    }
    return BackendActivity.of({
      status: (sessionId, status, at) =>
        Effect.sync(() => {
          const slot = touch(sessionId)
          if (slot.history.at(-1)?.status !== status) pushBounded(slot.history, { status, at }, max.maxTransitions)
        }),
      command: (sessionId, entry) =>
        Effect.sync(() => {
          const command = truncate(entry.command, max.maxText)
          const output = truncate(entry.output, max.maxOutput)
          pushBounded(touch(sessionId).commands, {
            ...entry,
            command: command.text,
            output: output.text,
            truncated: entry.truncated || command.truncated || output.truncated
          }, max.maxCommands)
        }),
      of: (sessionId) =>
        Effect.sync(() => {
          const slot = slots.get(sessionId)
          return {
            history: slot === undefined ? [] : [...slot.history],
            commands: slot === undefined ? [] : [...slot.commands]
          }
        }),
      forget: (sessionId) => Effect.sync(() => void slots.delete(sessionId))
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (limits: Limits = {}): Layer.Layer<BackendActivity> => Layer.effect(BackendActivity, make(limits))
