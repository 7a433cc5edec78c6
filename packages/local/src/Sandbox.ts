/**
 * Sandboxes: one directory tree and set of processes per session, on this machine.
 *
 * A session's tree is `<dataDir>/sandboxes/<sessionId>/` with `home/` (its writable home, the cwd of its
 * commands) and `tmp/` (its `/tmp`, private to the session and kept between commands). Trees outlive the
 * server (sessions persist in SQLite); processes do not: closing the layer's scope kills every process it
 * started. Each session has a long-lived init process (`start`) and one more sandbox per `exec`;
 * `pause`/`resume` stop and continue all of them, found from the host's process table (the tracked
 * processes and all their descendants). Nothing an `exec` starts outlives it (no daemons across commands).
 * Waits on processes (exec timeouts included) use real time, so a TestClock never freezes them.
 *
 * With bubblewrap (`isolation.level === "bubblewrap"`), every command runs in
 * `bwrap --die-with-parent --new-session --unshare-pid --as-pid-1 --unshare-ipc --unshare-uts --unshare-cgroup-try
 * --hostname agentbay --cap-drop ALL <system dirs> --proc /proc --ro-bind /proc/sys /proc/sys --dev /dev
 * --bind <tree>/tmp /tmp --symlink /tmp /var/tmp --bind <tree>/home /home/wuying [--bind <volume> /home/wuying/volume]
 * --remount-ro / --chdir /home/wuying --clearenv --setenv PATH … --setenv HOME /home/wuying --setenv LANG C.UTF-8
 * -- <argv>`:
 *
 * - `<system dirs>`: `/usr`, `/etc` (and `/bin`, `/sbin`, `/lib*` where they are real directories) bound
 *   read-only; on a merged-/usr host those are symlinks and are recreated as the same symlinks. Nothing else
 *   of the host is visible: not the data directory, other sessions' trees, `/root`, `/home`, `/tmp`, `/run`.
 * - `--cap-drop ALL`: we run as root and bwrap keeps root's capabilities unless told otherwise; the sandboxed
 *   processes are uid 0 without any capability (and with no_new_privs, which bwrap always sets).
 * - `--ro-bind /proc/sys /proc/sys`: uid 0 may write most sysctls by file mode alone, and bwrap only covers
 *   writable `/proc` entries; this makes them read-only.
 * - `--remount-ro /`: the sandbox's own root (a tmpfs) is read-only too; only home and `/tmp` are writable.
 * - `--die-with-parent`: sandboxes die with the server (a session's processes never outlive it; `start`
 *   after a restart makes new ones). `--new-session`: no controlling terminal to inject input into.
 * - `--as-pid-1`: the command itself is PID 1 of its namespace (so, like any init, it ignores signals sent
 *   from inside that it has no handler for). Without it bwrap's own reaper is PID 1, exits after bwrap and is
 *   left as a zombie for the host's init, once per command. When the command exits, the kernel kills
 *   whatever else runs in its namespace.
 * - The network namespace is NOT unshared: commands reach the network (and the host's loopback services)
 *   like the server does. The PID namespace is private per invocation: an `exec` does not see the init.
 *
 * Residual exposure under bubblewrap: commands run as host uid 0 (without capabilities), so root-readable
 * files of the read-only `/usr` and `/etc` (e.g. `/etc/shadow`) are readable.
 *
 * Volumes: `start(id, { volume })` mounts `<dataDir>/volumes/<volumeId>` (made if missing) at
 * `/home/wuying/volume`: bound there under bubblewrap (over an empty directory of the home), a symlink
 * `<home>/volume` in process mode. The sandbox remembers the mount per session until `destroy` (a restart calls
 * `start` again with the same options). `destroy` never touches the volume's data (the bind is the sandbox's
 * own; the symlink is unlinked, not followed); `removeVolume` deletes it.
 *
 * With `isolation.level === "process"` there is NO isolation: commands are plain host processes with cwd =
 * the session's home, `HOME` set and their own process group, so pause/resume/destroy still work, and they
 * do not die if the server is killed with SIGKILL.
 *
 * @since 0.1.0
 */
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as KeyedLock from "@effect-agentbay/backend/KeyedLock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Launch from "./internal/sandboxLaunch.js"
import * as Proc from "./internal/sandboxProcess.js"
import * as Volume from "./internal/sandboxVolume.js"
import * as LocalDataDir from "./LocalDataDir.js"
import * as LocalFiles from "./LocalFiles.js"

/**
 * How strongly sessions are isolated from each other and from the host.
 * `bubblewrap`: namespaces; `process`: plain child processes in their own
 * directory (no isolation).
 *
 * @since 0.1.0
 * @category models
 */
export interface Isolation extends BackendSandbox.Isolation {
  readonly level: "bubblewrap" | "process"
}

/**
 * The isolation in one sentence, the level said once: `bubblewrap 0.8.0: …`,
 * or `process: NO isolation, …` with the install hint.
 *
 * @since 0.1.0
 * @category utils
 */
export const describe = (isolation: Isolation): string =>
  isolation.detail.startsWith(isolation.level) ? isolation.detail : `${isolation.level}: ${isolation.detail}`

/**
 * `exitCode` is 128 + the signal number for a command killed by a signal (137 after a timeout). Each of
 * `stdout` and `stderr` keeps at most {@link maxOutputBytes}; a note at its end says what was dropped.
 *
 * @since 0.1.0
 * @category models
 */
export type ExecResult = BackendSandbox.ExecResult

/**
 * @since 0.1.0
 * @category options
 */
export type ExecOptions = BackendSandbox.ExecOptions

/**
 * A sandbox operation failed (spawn failed, session unknown to the sandbox, ...).
 *
 * @since 0.1.0
 * @category errors
 */
export const SandboxError = BackendSandbox.SandboxError

/**
 * @since 0.1.0
 * @category errors
 */
export type SandboxError = BackendSandbox.SandboxError

/**
 * @since 0.1.0
 * @category options
 */
export interface Options {
  readonly dataDir: string
  /** Default `auto`: bubblewrap if a trial sandbox runs, else `process`. `bubblewrap` fails the layer if not. */
  readonly isolation?: "auto" | "bubblewrap" | "process" | undefined
  /** The bwrap binary. Default `bwrap`, looked up on `PATH`. */
  readonly bwrap?: string | undefined
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Sandbox extends Context.Tag("@effect-agentbay/local/Sandbox")<Sandbox, Sandbox.Service>() {}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace Sandbox {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service extends BackendSandbox.BackendSandbox.Service {
    readonly isolation: Isolation
    /** Host PIDs of the session's live processes (for tests and `doctor`). Empty for an unknown session. */
    readonly pids: (sessionId: string) => Effect.Effect<ReadonlyArray<number>>
    /**
     * The session's directory on the host. Throws a `SandboxError` for an invalid id. Do not follow paths
     * inside it from the host: a symlink made in the sandbox resolves against the host's filesystem there.
     */
    readonly root: (sessionId: string) => string
    /**
     * The session's home as its commands see it: `/home/wuying` under bubblewrap, the host path otherwise.
     * Throws a `SandboxError` for an invalid id.
     */
    readonly home: (sessionId: string) => string
  }
}

/**
 * @since 0.1.0
 * @category constants
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(60)

/**
 * Cap on each of an exec's stdout and stderr, in bytes (1 MiB).
 *
 * @since 0.1.0
 * @category constants
 */
export const maxOutputBytes = 1024 * 1024

/**
 * A session id is a path component: 1 to 128 of `A-Z a-z 0-9 . _ -`, and not `.` or `..`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValidSessionId: (sessionId: string) => boolean = LocalDataDir.isValidId

/** The init: proves the sandbox is up by printing, then sleeps (for about 68 years). */
const initArgv = ["sh", "-c", "echo ready && exec sleep 2147483647"]

/** Real-time bounds, in milliseconds. */
const initReadyLimit = 10_000
const exitLimit = 2_000

/** The permits of the layer-wide lock: every operation takes one, the scope's close takes them all. */
const everyone = 2 ** 30

interface Entry {
  init: Proc.Child | undefined
  readonly execs: Set<Proc.Child>
  paused: boolean
  /** The host directory of the session's volume. */
  volume: string | undefined
}

const firstLine = (text: string): string => text.trim().split("\n")[0] || "(no message)"

/**
 * Builds the service; the scope's close kills every process it started (trees stay).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Sandbox.Service, SandboxError, Scope.Scope> =>
  Effect.gen(function*() {
    const dataDir = Path.resolve(options.dataDir)
    const sandboxes = Path.join(dataDir, "sandboxes")
    const fail = (sessionId: string, operation: string, reason: string) =>
      new SandboxError({ sessionId, operation, reason })
    yield* Effect.tryPromise({
      try: () => Fs.mkdir(sandboxes, { recursive: true, mode: LocalDataDir.directoryMode }),
      catch: (error) => fail("", "layer", `cannot create ${sandboxes}: ${String(error)}`)
    })
    const launcher = yield* Launch.choose({
      mode: options.isolation ?? "auto",
      bwrap: options.bwrap ?? "bwrap",
      dataDir
    }).pipe(Effect.mapError((reason) => fail("", "layer", `bubblewrap requested but not usable: ${reason}`)))
    // Sandboxes a previous server on this data dir left running (killed before their --die-with-parent
    // held): nothing of ours runs yet, so every bwrap binding a tree here is a stray.
    const strays = yield* Proc.killStrays(sandboxes, exitLimit)
    if (strays > 0) yield* Effect.logWarning(`Sandbox: killed ${strays} process(es) a previous server left running`)

    const entries = new Map<string, Entry>()
    // One session's operations run one at a time; different sessions' run side by side. Each also holds a
    // permit of the layer-wide lock, which the scope's close takes whole: it waits for the operations under
    // way, and nothing starts after it.
    const sessionLock = KeyedLock.make()
    const layerLock = yield* Effect.makeSemaphore(everyone)
    const locked = (sessionId: string) => <A, E>(self: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      sessionLock(sessionId)(layerLock.withPermits(1)(self))

    const tree = (sessionId: string): Launch.Tree => {
      if (!isValidSessionId(sessionId)) throw fail(sessionId, "root", "invalid session id")
      const root = Path.join(sandboxes, sessionId)
      const volume = entries.get(sessionId)?.volume
      return { root, home: Path.join(root, "home"), tmp: Path.join(root, "tmp"), volume }
    }
    const validTree = (sessionId: string, operation: string) =>
      Effect.suspend(() =>
        isValidSessionId(sessionId)
          ? Effect.succeed(tree(sessionId))
          : Effect.fail(fail(sessionId, operation, "invalid session id (1-128 of A-Za-z0-9._-, not . or ..)"))
      )
    const children = (entry: Entry): Array<Proc.Child> =>
      [...(entry.init ? [entry.init] : []), ...entry.execs].filter((child) => !child.hasExited())
    const membersOf = (entry: Entry) => Proc.membersOf(children(entry))

    const kill = (targets: ReadonlyArray<Proc.Child>) => Proc.kill(targets, launcher.insideFirst, exitLimit)

    yield* Effect.addFinalizer(() =>
      layerLock.withPermits(everyone)(Effect.suspend(() => {
        const all = [...entries.values()].flatMap(children)
        entries.clear()
        return kill(all)
      }))
    )

    // Uninterruptible but for the wait for the init's first output, so a started init is always tracked
    // or killed.
    const start = (sessionId: string, options: BackendSandbox.StartOptions = {}) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const base = yield* validTree(sessionId, "start")
          const volume = yield* Effect.tryPromise({
            try: () => Volume.prepareTree(launcher.level, dataDir, base, options.volume?.id),
            catch: (error) => fail(sessionId, "start", `cannot create the session's tree: ${String(error)}`)
          })
          const paths = { ...base, volume }
          const entry: Entry = entries.get(sessionId) ?? { init: undefined, execs: new Set(), paused: false, volume }
          entry.volume = volume
          if (entry.init !== undefined && !entry.init.hasExited()) return
          const init = yield* Proc.spawnChild({ ...launcher.launch(paths, initArgv, {}), maxOutputBytes: 64 * 1024 })
            .pipe(Effect.mapError((reason) => fail(sessionId, "start", `cannot spawn: ${reason}`)))
          const ready = yield* restore(
            Proc.firstOf(init.firstOutput, Effect.as(Proc.sleepReal(initReadyLimit), false))
          ).pipe(Effect.onInterrupt(() => kill([init])))
          if (!ready) {
            yield* kill([init])
            return yield* fail(sessionId, "start", `the sandbox did not start: ${firstLine(init.stderrSoFar())}`)
          }
          init.dropOutput()
          entry.init = init
          entry.paused = false
          entries.set(sessionId, entry)
        })
      ).pipe(locked(sessionId))

    const spawnExec = (sessionId: string, argv: ReadonlyArray<string>, options: ExecOptions) =>
      Effect.gen(function*() {
        const paths = yield* validTree(sessionId, "exec")
        if (argv.length === 0) return yield* fail(sessionId, "exec", "empty command")
        const badEnv = Object.keys(options.env ?? {}).find((key) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
        if (badEnv !== undefined) return yield* fail(sessionId, "exec", `invalid environment variable name: ${badEnv}`)
        const entry = entries.get(sessionId)
        if (entry === undefined || entry.init === undefined || entry.init.hasExited()) {
          return yield* fail(sessionId, "exec", "the session's sandbox is not started")
        }
        if (entry.paused) return yield* fail(sessionId, "exec", "the session is paused")
        const launch = launcher.launch(paths, argv, { cwd: options.cwd, env: options.env })
        const child = yield* Proc.spawnChild({ ...launch, stdin: options.stdin, maxOutputBytes }).pipe(
          Effect.mapError((reason) => fail(sessionId, "exec", `cannot spawn ${argv[0]}: ${reason}`))
        )
        entry.execs.add(child)
        return [entry, child] as const
      }).pipe(locked(sessionId))

    const exec = (sessionId: string, argv: ReadonlyArray<string>, options: ExecOptions = {}) =>
      Effect.acquireUseRelease(
        spawnExec(sessionId, argv, options),
        ([, child]) =>
          Effect.suspend(() => {
            let timedOut = false
            const limit = Duration.toMillis(Duration.decode(options.timeout ?? defaultTimeout))
            const watchdog = Proc.sleepReal(limit).pipe(
              Effect.zipRight(Effect.sync(() => (timedOut = true))),
              Effect.zipRight(kill([child])),
              Effect.zipRight(Effect.never)
            )
            return Effect.map(Proc.firstOf(child.done, watchdog), (done): ExecResult => ({ ...done, timedOut }))
          }),
        ([entry, child]) => Effect.zipRight(kill([child]), Effect.sync(() => entry.execs.delete(child)))
      )

    const pause = (sessionId: string) =>
      Effect.gen(function*() {
        yield* validTree(sessionId, "pause")
        const entry = entries.get(sessionId)
        if (entry === undefined || children(entry).length === 0) {
          return yield* fail(sessionId, "pause", "the session's sandbox is not started")
        }
        entry.paused = true
        // Stopped processes cannot fork, so a few passes catch everything; bounded anyway.
        for (let pass = 0; pass < 50; pass++) {
          const running = membersOf(entry).filter((member) => !Proc.isFrozen(member))
          if (running.length === 0) return
          for (const member of running) Proc.sendSignal(member.pid, "SIGSTOP")
          yield* Proc.sleepReal(5)
        }
      }).pipe(locked(sessionId))

    const resume = (sessionId: string) =>
      Effect.gen(function*() {
        yield* validTree(sessionId, "resume")
        const entry = entries.get(sessionId)
        if (entry === undefined) return yield* fail(sessionId, "resume", "the session's sandbox is not started")
        entry.paused = false
        const stopped = () => membersOf(entry).filter(Proc.isFrozen)
        yield* Proc.waitUntil(
          () => {
            for (const member of stopped()) Proc.sendSignal(member.pid, "SIGCONT")
            return stopped().length === 0
          },
          exitLimit,
          5
        )
      }).pipe(locked(sessionId))

    const destroy = (sessionId: string) =>
      Effect.gen(function*() {
        if (!isValidSessionId(sessionId)) return
        const entry = entries.get(sessionId)
        if (entry !== undefined) {
          entries.delete(sessionId)
          yield* kill(children(entry))
        }
        const root = tree(sessionId).root
        yield* Effect.tryPromise(() => Fs.rm(root, { recursive: true, force: true })).pipe(
          Effect.catchAll((error) => Effect.logWarning(`Sandbox: could not remove ${root}`, error))
        )
      }).pipe(locked(sessionId))

    const pids = (sessionId: string) =>
      Effect.sync(() => {
        const entry = entries.get(sessionId)
        return entry === undefined ? [] : membersOf(entry).map((member) => member.pid).sort((a, b) => a - b)
      })

    const span = <A, E>(name: string, sessionId: string, self: Effect.Effect<A, E>) =>
      Effect.withSpan(self, `Sandbox.${name}`, { attributes: { "agentbay.session_id": sessionId } })

    // Not a volume id: no volume of ours, nothing to remove.
    const removeVolume = (volumeId: string) =>
      Effect.tryPromise(() => Volume.remove(dataDir, volumeId)).pipe(
        Effect.when(() => LocalDataDir.isValidId(volumeId)),
        Effect.catchAll((error) => Effect.logWarning(`Sandbox: could not remove volume ${volumeId}`, error.cause)),
        Effect.asVoid,
        Effect.withSpan("Sandbox.removeVolume", { attributes: { "agentbay.volume_id": volumeId } })
      )

    return Sandbox.of({
      isolation: { level: launcher.level, detail: launcher.detail },
      start: (sessionId, options) => span("start", sessionId, start(sessionId, options)),
      exec: (sessionId, argv, options) => span("exec", sessionId, exec(sessionId, argv, options)),
      pause: (sessionId) => span("pause", sessionId, pause(sessionId)),
      resume: (sessionId) => span("resume", sessionId, resume(sessionId)),
      destroy: (sessionId) => span("destroy", sessionId, destroy(sessionId)),
      pids,
      root: (sessionId) => tree(sessionId).root,
      home: (sessionId) => launcher.home(tree(sessionId)),
      files: (sessionId) => LocalFiles.make(tree(sessionId)),
      removeVolume,
      diskTotal: (sessionId) =>
        LocalFiles.diskSpace(tree(sessionId).root).pipe(
          Effect.orElse(() => LocalFiles.diskSpace(sandboxes)),
          Effect.map((space) => space.total),
          Effect.orElseSucceed(() => 0)
        )
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Sandbox | BackendSandbox.BackendSandbox, SandboxError> =>
  Layer.scopedContext(
    Effect.map(
      make(options),
      (sandbox) => Context.make(Sandbox, sandbox).pipe(Context.add(BackendSandbox.BackendSandbox, sandbox))
    )
  )
