// How a sandboxed command is launched: the bubblewrap argument list, the plain-process fallback, and the
// probe that picks one. Internal: not exported from the package.
import { volumeMount } from "@effect-agentbay/backend/BackendSandbox"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type Completion, firstOf, sendSignal, sleepReal, spawnChild } from "./sandboxProcess.js"

/** The session's home as its commands see it under bubblewrap (the AgentBay image's home). */
export const sandboxHome = "/home/wuying"

const sandboxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/** Host paths of one session's tree, and of its volume when it has one. */
export interface Tree {
  readonly root: string
  readonly home: string
  readonly tmp: string
  /** Bound at `volumeMount` (the mount point is an empty directory in the home). */
  readonly volume?: string | undefined
}

export interface CommandOptions {
  readonly cwd?: string | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
}

/** What to hand to `spawnChild` for one command. */
export interface Launch {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly cwd?: string | undefined
  readonly env: Readonly<Record<string, string>>
}

export interface Launcher {
  readonly level: "bubblewrap" | "process"
  readonly detail: string
  /** The home directory as the session's commands see it. */
  readonly home: (tree: Tree) => string
  readonly launch: (tree: Tree, argv: ReadonlyArray<string>, options: CommandOptions) => Launch
  /**
   * `bubblewrap`: kill what runs inside first, so bwrap reaps its command and exits by itself (no zombies).
   * `process`: kill the command's group at once, so no shell runs on after its child died.
   */
  readonly insideFirst: boolean
}

const environment = (home: string, extra: Readonly<Record<string, string>> | undefined) => ({
  PATH: sandboxPath,
  HOME: home,
  LANG: "C.UTF-8",
  ...extra
})

/**
 * The host's system directories, read-only. A merged-/usr host has /bin, /lib, ... as symlinks into /usr:
 * those become the same symlinks inside (bind-mounting a symlink would bind its target twice).
 */
const systemMounts = (): ReadonlyArray<string> =>
  ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"].flatMap((dir) => {
    try {
      const stat = Fs.lstatSync(dir)
      if (stat.isSymbolicLink()) return ["--symlink", Fs.readlinkSync(dir), dir]
      return stat.isDirectory() ? ["--ro-bind", dir, dir] : []
    } catch {
      return []
    }
  })

/** /etc/resolv.conf may point outside /etc (systemd-resolved: /run/...): bind that one file too, read-only. */
const resolverMount = (): ReadonlyArray<string> => {
  try {
    const real = Fs.realpathSync("/etc/resolv.conf")
    return real.startsWith("/etc/") ? [] : ["--ro-bind-try", real, real]
  } catch {
    return []
  }
}

/**
 * The bwrap argument list (order matters: bwrap applies it in order). See the Sandbox module's JSDoc for
 * why each flag is there.
 */
export const bwrapArgs = (
  system: ReadonlyArray<string>,
  tree: Tree,
  argv: ReadonlyArray<string>,
  options: CommandOptions
): ReadonlyArray<string> => [
  "--die-with-parent",
  "--new-session",
  "--unshare-pid",
  "--as-pid-1",
  "--unshare-ipc",
  "--unshare-uts",
  "--unshare-cgroup-try",
  "--hostname",
  "agentbay",
  "--cap-drop",
  "ALL",
  ...system,
  "--proc",
  "/proc",
  "--ro-bind",
  "/proc/sys",
  "/proc/sys",
  "--dev",
  "/dev",
  "--bind",
  tree.tmp,
  "/tmp",
  "--symlink",
  "/tmp",
  "/var/tmp",
  "--bind",
  tree.home,
  sandboxHome,
  ...(tree.volume === undefined ? [] : ["--bind", tree.volume, volumeMount]),
  "--remount-ro",
  "/",
  "--chdir",
  options.cwd === undefined ? sandboxHome : Path.posix.resolve(sandboxHome, options.cwd),
  "--clearenv",
  ...Object.entries(environment(sandboxHome, options.env)).flatMap(([k, v]) => ["--setenv", k, v]),
  "--",
  ...argv
]

const bubblewrap = (bwrap: string, version: string): Launcher => {
  const system = [...systemMounts(), ...resolverMount()]
  return {
    level: "bubblewrap",
    detail: `${version}: private mount, PID, IPC and UTS namespaces, no capabilities; host system directories ` +
      `read-only; a session sees only its own home (${sandboxHome}) and /tmp; network shared with the host`,
    home: () => sandboxHome,
    launch: (tree, argv, options) => ({
      command: bwrap,
      args: bwrapArgs(system, tree, argv, options),
      env: { PATH: process.env.PATH ?? sandboxPath } // bwrap's own; --clearenv gives the command its own
    }),
    insideFirst: true
  }
}

// The command sees the host: a sandbox path (/home/wuying/x, /tmp/x) given as its cwd is the same place in the
// session's tree; a relative one starts at the home.
const hostCwd = (tree: Tree, cwd: string | undefined): string => {
  if (cwd === undefined) return tree.home
  if (cwd === sandboxHome || cwd.startsWith(`${sandboxHome}/`)) {
    return Path.join(tree.home, cwd.slice(sandboxHome.length))
  }
  if (cwd === "/tmp" || cwd.startsWith("/tmp/")) return Path.join(tree.tmp, cwd.slice(4))
  return Path.resolve(tree.home, cwd)
}

// One sentence: why there is no isolation, and what that means.
const plainProcess = (why: string): Launcher => ({
  level: "process",
  detail: `NO isolation, ${why}, so sessions are plain host processes (uid ${process.getuid?.() ?? "?"}) ` +
    `that can see and change each other and the whole host`,
  home: (tree) => tree.home,
  launch: (tree, argv, options) => ({
    command: argv[0]!,
    args: argv.slice(1),
    cwd: hostCwd(tree, options.cwd),
    env: environment(tree.home, options.env)
  }),
  insideFirst: false
})

/** Runs one short command to completion (real-time bounded), for the probe. */
const runShort = (launch: Launch, limit: number): Effect.Effect<Completion, string> =>
  Effect.flatMap(
    spawnChild({ ...launch, maxOutputBytes: 64 * 1024 }),
    (child) =>
      firstOf(
        child.done,
        Effect.zipRight(
          sleepReal(limit),
          Effect.suspend(() => {
            sendSignal(-child.pid, "SIGKILL")
            return Effect.fail(`no answer within ${limit} ms`)
          })
        )
      )
  )

const firstLine = (text: string): string => text.trim().split("\n")[0] || "(no message)"

/**
 * Checks that bubblewrap really works here: runs `true` in a sandbox built exactly as sessions' are, on a
 * scratch tree under `dataDir`. Fails with the reason when it does not.
 */
const probe = (bwrap: string, dataDir: string): Effect.Effect<Launcher, string> =>
  Effect.gen(function*() {
    const bwrapEnv = { PATH: process.env.PATH ?? sandboxPath }
    const version = yield* runShort({ command: bwrap, args: ["--version"], env: bwrapEnv }, 5000)
    if (version.exitCode !== 0) return yield* Effect.fail(`\`${bwrap} --version\`: ${firstLine(version.stderr)}`)
    const launcher = bubblewrap(bwrap, version.stdout.trim() || "bubblewrap")
    const root = Path.join(dataDir, "bwrap-probe")
    const tree: Tree = { root, home: Path.join(root, "home"), tmp: Path.join(root, "tmp") }
    yield* Effect.try({
      try: () => {
        Fs.mkdirSync(tree.home, { recursive: true })
        Fs.mkdirSync(tree.tmp, { recursive: true })
      },
      catch: (error) => `cannot make a scratch tree in ${root}: ${String(error)}`
    })
    const trial = yield* runShort(launcher.launch(tree, ["true"], {}), 10_000).pipe(
      Effect.ensuring(Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
    )
    if (trial.exitCode !== 0) {
      return yield* Effect.fail(`a trial sandbox exited with ${trial.exitCode}: ${firstLine(trial.stderr)}`)
    }
    return launcher
  })

/** Why the probe failed, for the detail: a missing binary gets the install hint. */
const unavailable = (bwrap: string, reason: string): string =>
  /\bENOENT\b/.test(reason)
    ? `${bwrap === "bwrap" ? "not installed" : `${bwrap} not found`}: apt-get install bubblewrap`
    : reason

/**
 * Picks the launcher: `auto` uses bubblewrap when the probe passes and falls back to plain processes;
 * `bubblewrap` fails (with the reason) when it does not; `process` never probes.
 */
export const choose = (options: {
  readonly mode: "auto" | "bubblewrap" | "process"
  readonly bwrap: string
  readonly dataDir: string
}): Effect.Effect<Launcher, string> => {
  switch (options.mode) {
    case "process":
      return Effect.succeed(plainProcess(`as requested (isolation "process")`))
    case "bubblewrap":
      return probe(options.bwrap, options.dataDir)
    case "auto":
      return probe(options.bwrap, options.dataDir).pipe(
        Effect.catchAll((reason) =>
          Effect.succeed(plainProcess(`bubblewrap unavailable (${unavailable(options.bwrap, reason)})`))
        )
      )
  }
}
