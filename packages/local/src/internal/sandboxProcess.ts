// OS processes for the sandboxes: spawning (the only node:child_process use in the package), reading the
// process table from /proc, signalling, and short real-time waits. Internal: not exported from the package.
//
// OS processes move in real time, so every wait here uses a real timer, never the Effect Clock: a TestClock
// in a caller's environment must not freeze a command's timeout or a kill.
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"

/** What a finished child left: its exit code (128 + signal number when killed by a signal) and its output. */
export interface Completion {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** A spawned child: the leader of its own process group (`detached`), so `-pid` addresses the group. */
export interface Child {
  readonly pid: number
  /** Completes once the child has exited and its output is complete (or `closeGrace` after the exit). */
  readonly done: Effect.Effect<Completion>
  /** Completes with `true` at the first byte on stdout, `false` if the child ends without writing any. */
  readonly firstOutput: Effect.Effect<boolean>
  /** Completes once the child has exited (its output may still be arriving). */
  readonly exited: Effect.Effect<void>
  readonly hasExited: () => boolean
  /** The output so far (stderr of a child that failed to start, for instance). */
  readonly stderrSoFar: () => string
  /** Stops reading the child's output (for long-lived children whose output no longer matters). */
  readonly dropOutput: () => void
}

export interface SpawnOptions {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly cwd?: string | undefined
  readonly env: Readonly<Record<string, string>>
  readonly stdin?: string | Uint8Array | undefined
  /** Cap on each of stdout and stderr; what goes past it is dropped and noted at the end. */
  readonly maxOutputBytes: number
}

/** How long after the exit the output may still take to arrive (a pipe held open by an escaped process). */
const closeGrace = 500

/** Bounded collection of one output stream. */
const collector = (max: number) => {
  const chunks: Array<Buffer> = []
  let kept = 0
  let dropped = 0
  return {
    push: (chunk: Buffer) => {
      const room = max - kept
      if (room >= chunk.length) {
        chunks.push(chunk)
        kept += chunk.length
      } else {
        chunks.push(chunk.subarray(0, room))
        kept = max
        dropped += chunk.length - room
      }
    },
    text: () => {
      const text = Buffer.concat(chunks).toString("utf8")
      return dropped > 0 ? `${text}\n[output truncated: ${dropped} bytes past the first ${max} dropped]` : text
    }
  }
}

const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code !== null ? code : 128 + (signal !== null ? (Os.constants.signals[signal] ?? 0) : 0)

const errorText = (error: unknown): string => error instanceof Error ? error.message : String(error)

/**
 * Spawns a child in its own process group and session, with a fixed environment (never the server's) and
 * bounded output capture. When it exits, whatever is left in its process group is killed. Fails with a
 * reason when the spawn itself fails (missing binary, bad cwd).
 */
export const spawnChild = (options: SpawnOptions): Effect.Effect<Child, string> =>
  Effect.async<Child, string>((resume) => {
    let child: ChildProcess.ChildProcess
    try {
      child = ChildProcess.spawn(options.command, options.args, {
        cwd: options.cwd,
        env: options.env,
        detached: true,
        stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"]
      })
    } catch (error) {
      return resume(Effect.fail(errorText(error)))
    }
    const stdout = collector(options.maxOutputBytes)
    const stderr = collector(options.maxOutputBytes)
    let spawned = false
    let exited = false
    let sawOutput: (value: boolean) => void = () => {}
    const firstOutput = new Promise<boolean>((resolve) => (sawOutput = resolve))
    let finish: (completion: Completion) => void = () => {}
    const done = new Promise<Completion>((resolve) => (finish = resolve))
    let markExited: () => void = () => {}
    const exitedPromise = new Promise<void>((resolve) => (markExited = resolve))
    let exitCode = 0
    let completed = false
    const complete = () => {
      if (completed) return
      completed = true
      finish({ exitCode, stdout: stdout.text(), stderr: stderr.text() })
    }

    child.stdout!.on("data", (chunk: Buffer) => {
      stdout.push(chunk)
      sawOutput(true)
    })
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk))
    child.stdout!.on("error", () => {})
    child.stderr!.on("error", () => {})
    if (child.stdin) {
      child.stdin.on("error", () => {}) // the command may exit without reading its input (EPIPE)
      child.stdin.end(options.stdin)
    }
    child.on("error", (error) => {
      if (!spawned) resume(Effect.fail(errorText(error)))
    })
    child.on("exit", (code, signal) => {
      exited = true
      exitCode = exitCodeOf(code, signal)
      markExited()
      sawOutput(false)
      sendSignal(-child.pid!, "SIGKILL") // nothing the child left in its group outlives it
      setTimeout(complete, closeGrace).unref()
    })
    child.on("close", complete)
    child.on("spawn", () => {
      spawned = true
      resume(Effect.succeed({
        pid: child.pid!,
        done: Effect.promise(() => done),
        firstOutput: Effect.promise(() => firstOutput),
        exited: Effect.promise(() => exitedPromise),
        hasExited: () => exited,
        stderrSoFar: () => stderr.text(),
        dropOutput: () => {
          child.stdout!.destroy()
          child.stderr!.destroy()
        }
      }))
    })
    // Interrupted before the child was handed over: nobody tracks it, so it goes now.
    return Effect.sync(() => {
      if (child.pid !== undefined) sendSignal(-child.pid, "SIGKILL")
    })
  })

/** Sends a signal; a process (or group, for a negative pid) that is already gone is not an error. */
export const sendSignal = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(pid, signal)
  } catch {
    // ESRCH: gone already. EPERM cannot happen for our own children.
  }
}

/** One process as /proc/<pid>/stat shows it. */
export interface ProcEntry {
  readonly pid: number
  readonly ppid: number
  readonly state: string
}

const readStat = (pid: number): ProcEntry | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) is in parentheses and may contain spaces or parentheses itself.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return { pid, state: rest[0]!, ppid: Number(rest[1]) }
  } catch {
    return undefined
  }
}

/**
 * The direct children of a (single-threaded) process, from `/proc/<pid>/task/<pid>/children`: one small read
 * instead of the whole process table. `undefined` when the kernel does not offer that file (no
 * CONFIG_PROC_CHILDREN) or the process is gone.
 */
export const childrenOf = (pid: number): ReadonlyArray<number> | undefined => {
  try {
    const text = Fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    return text.split(" ").filter((word) => word !== "").map(Number)
  } catch {
    return undefined
  }
}

/**
 * Whether a process is frozen by a stop signal: stopped (`T`), or in uninterruptible sleep (`D`) with
 * SIGSTOP pending, which it obeys before it runs any user code again (a shell waiting on a vfork child that
 * was stopped before its exec stays in `D`).
 */
export const isFrozen = (entry: ProcEntry): boolean => {
  if (entry.state === "T" || entry.state === "t") return true
  if (entry.state !== "D") return false
  try {
    const status = Fs.readFileSync(`/proc/${entry.pid}/status`, "utf8")
    const stopBit = 1n << BigInt(Os.constants.signals.SIGSTOP - 1)
    const pending = [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)]
    return pending.some((match) => (BigInt(`0x${match[1]}`) & stopBit) !== 0n)
  } catch {
    return true // gone: nothing left to stop
  }
}

/** The host's process table, without zombies. Empty where there is no /proc. */
export const processTable = (): ReadonlyArray<ProcEntry> => {
  let names: Array<string>
  try {
    names = Fs.readdirSync("/proc")
  } catch {
    return []
  }
  const entries: Array<ProcEntry> = []
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue
    const entry = readStat(Number(name))
    if (entry !== undefined && entry.state !== "Z" && entry.state !== "X") entries.push(entry)
  }
  return entries
}

/** The live processes among `roots` and all their descendants, roots first. */
export const members = (roots: ReadonlyArray<number>, table: ReadonlyArray<ProcEntry>): ReadonlyArray<ProcEntry> => {
  const children = new Map<number, Array<ProcEntry>>()
  const byPid = new Map<number, ProcEntry>()
  for (const entry of table) {
    byPid.set(entry.pid, entry)
    const siblings = children.get(entry.ppid)
    if (siblings) siblings.push(entry)
    else children.set(entry.ppid, [entry])
  }
  const out: Array<ProcEntry> = []
  const seen = new Set<number>()
  const queue: Array<ProcEntry> = []
  for (const pid of roots) {
    const entry = byPid.get(pid)
    if (entry !== undefined && !seen.has(pid)) {
      seen.add(pid)
      queue.push(entry)
    }
  }
  while (queue.length > 0) {
    const entry = queue.shift()!
    out.push(entry)
    for (const child of children.get(entry.pid) ?? []) {
      if (!seen.has(child.pid)) {
        seen.add(child.pid)
        queue.push(child)
      }
    }
  }
  return out
}

/** A real-time sleep (see the note at the top). Past what a timer can hold (~24.8 days), forever. */
export const sleepReal = (millis: number): Effect.Effect<void> =>
  !(millis <= 2_147_483_647) ? Effect.never : Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), millis)
    return Effect.sync(() => clearTimeout(timer))
  })

/** Re-checks `done` every `step` ms of real time until it holds or `limit` ms have passed; true if it held. */
export const waitUntil = (done: () => boolean, limit: number, step = 10): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const deadline = Date.now() + limit
    const loop: Effect.Effect<boolean> = Effect.suspend(() =>
      done()
        ? Effect.succeed(true)
        : Date.now() >= deadline
        ? Effect.succeed(false)
        : Effect.zipRight(sleepReal(step), loop)
    )
    return loop
  })

/**
 * `Effect.raceFirst` whose branches are interruptible even when the caller is not: a losing timer (or a
 * losing wait for a process) must stop at once, not hold the race for its whole length.
 */
export const firstOf = <A, E, B, E2>(
  self: Effect.Effect<A, E>,
  that: Effect.Effect<B, E2>
): Effect.Effect<A | B, E | E2> => Effect.raceFirst(Effect.interruptible(self), Effect.interruptible(that))

/** The live processes of the children and all their descendants. */
export const membersOf = (live: ReadonlyArray<Child>): ReadonlyArray<ProcEntry> =>
  members(live.map((child) => child.pid), processTable())

/** Waits (bounded, in real time) for the children's exit events. */
const exited = (live: ReadonlyArray<Child>, limit: number): Effect.Effect<void> =>
  Effect.asVoid(firstOf(Effect.forEach(live, (child) => child.exited, { discard: true }), sleepReal(limit)))

/**
 * Kills the children and everything they started; returns once they have exited (bounded by `limit` ms).
 *
 * `insideFirst` (bubblewrap): each child is a bwrap whose one child is PID 1 of the sandbox's PID namespace:
 * killing that one makes the kernel kill the whole namespace, and bwrap reaps it and exits by itself. So the
 * inside is found from bwrap's own list of children, not the host's process table; the table is read only
 * when that list is not available or a bwrap is still alive after the first kill.
 */
export const kill = (targets: ReadonlyArray<Child>, insideFirst: boolean, limit: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    const live = targets.filter((child) => !child.hasExited())
    if (live.length === 0) return
    if (insideFirst) {
      const direct = live.map((child) => childrenOf(child.pid))
      const roots = new Set(live.map((child) => child.pid))
      const inside = direct.every((pids) => pids !== undefined)
        ? direct.flatMap((pids) => pids ?? [])
        : membersOf(live).map((entry) => entry.pid).filter((pid) => !roots.has(pid))
      for (const pid of inside) sendSignal(pid, "SIGKILL")
      for (const child of live) sendSignal(child.pid, "SIGCONT") // a paused bwrap must run to reap
      if (inside.length > 0) yield* exited(live, limit / 2)
    }
    // Past this point only for the process level, or a bwrap that did not exit (or had no child yet).
    const left = live.filter((child) => !child.hasExited())
    if (left.length === 0) return
    const rest = membersOf(left)
    for (const child of left) sendSignal(-child.pid, "SIGKILL")
    for (const entry of rest) sendSignal(entry.pid, "SIGKILL")
    yield* exited(left, limit)
  }).pipe(Effect.uninterruptible)

const cmdlineOf = (pid: number): ReadonlyArray<string> => {
  try {
    return Fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
  } catch {
    return []
  }
}

// `\040`-style escapes of /proc mount tables.
const unescapeMount = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))

// Where `hostPath` lies within its own filesystem, as the `root` field of a mount table names bind sources:
// from this process's mount table, the longest mount point above it.
const filesystemPathOf = (hostPath: string): string => {
  let best = { point: "/", root: "/" }
  let table = ""
  try {
    table = Fs.readFileSync("/proc/self/mountinfo", "utf8")
  } catch {
    return hostPath
  }
  for (const line of table.split("\n")) {
    const fields = line.split(" ")
    if (fields.length < 5) continue
    const point = unescapeMount(fields[4]!)
    const within = hostPath === point || hostPath.startsWith(point.endsWith("/") ? point : `${point}/`)
    if (within && point.length >= best.point.length) best = { point, root: unescapeMount(fields[3]!) }
  }
  const rest = hostPath.slice(best.point.length).replace(/^\/+/, "")
  return rest === "" ? best.root : `${best.root.replace(/\/+$/, "")}/${rest}`
}

// Whether a process's mount table binds something from under `prefix` (a filesystem path).
const bindsFrom = (pid: number, prefix: string): boolean => {
  try {
    return Fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").some((line) => {
      const root = line.split(" ")[3]
      return root !== undefined && unescapeMount(root).startsWith(prefix)
    })
  } catch {
    return false
  }
}

/**
 * What a server killed with SIGKILL may leave on its data directory: sandboxes whose `--die-with-parent`
 * had not taken hold (bwrap sets PR_SET_PDEATHSIG after it starts, so a kill in that window is never
 * delivered). Found two ways: a bwrap whose arguments name a tree under `sandboxes`, and a process (the
 * sandbox's init, once bwrap has become it) whose mount table binds a tree from under `sandboxes` (seen in the
 * chaos crash test); with everything below them. Never this process.
 */
export const strays = (sandboxes: string): ReadonlyArray<ProcEntry> => {
  const table = processTable()
  const prefix = sandboxes.endsWith("/") ? sandboxes : `${sandboxes}/`
  const fsPrefix = `${filesystemPathOf(sandboxes).replace(/\/+$/, "")}/`
  const roots = table.filter((entry) => {
    if (entry.pid === process.pid) return false
    const argv = cmdlineOf(entry.pid)
    if ((argv[0] ?? "").split("/").pop() === "bwrap" && argv.some((arg) => arg.startsWith(prefix))) return true
    return bindsFrom(entry.pid, fsPrefix)
  }).map((entry) => entry.pid)
  return members(roots, table).filter((entry) => entry.pid !== process.pid)
}

/**
 * Kills the `strays` of `sandboxes` (SIGKILL) and waits, at most `limit`
 * milliseconds, until they are gone; how many there were.
 */
export const killStrays = (sandboxes: string, limit: number): Effect.Effect<number> =>
  Effect.suspend(() => {
    const found = strays(sandboxes)
    if (found.length === 0) return Effect.succeed(0)
    for (const entry of found) sendSignal(entry.pid, "SIGKILL")
    const pids = new Set(found.map((entry) => entry.pid))
    return Effect.as(
      waitUntil(() => processTable().every((entry) => !pids.has(entry.pid)), limit),
      found.length
    )
  })
