// Real processes and real bubblewrap (CI installs it): the sandboxes' isolation, pause, kill and cleanup.
// Time here is real time (it.live / it.scopedLive): OS processes do not follow a TestClock.
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Sandbox from "../src/Sandbox.js"
import { describeWithBubblewrap } from "./bubblewrap.js"
import { stateOf } from "./utils.js"

const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-sandbox-test-"))
afterAll(() => Fs.rmSync(base, { recursive: true, force: true }))

let dirs = 0
const freshDataDir = () => Path.join(base, `data-${++dirs}`)

/** A sandbox service on a fresh data directory, alive for the test's scope. */
const sandbox = (options: Partial<Sandbox.Options> = {}) =>
  Effect.map(
    Layer.build(Sandbox.layer({ dataDir: freshDataDir(), isolation: "bubblewrap", ...options })),
    (context) => Context.get(context, Sandbox.Sandbox)
  )

/** The command name of /proc/<pid>/stat. */
const commOf = (pid: number): string | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
  } catch {
    return undefined
  }
}

/** Until `count` of the session's processes are `sleep`: its commands are past their fork and exec. */
const sleeping = (sb: Sandbox.Sandbox.Service, sessionId: string, count: number) =>
  eventually(Effect.map(sb.pids(sessionId), (pids) => pids.filter((pid) => commOf(pid) === "sleep").length >= count))

/** Alive = present in /proc and not a zombie (an exited process waiting for its parent's `wait`). */
const alive = (pid: number) => {
  const state = stateOf(pid)
  return state !== undefined && state !== "Z"
}

const sh = (script: string) => ["sh", "-c", script]

/** Polls (real time, at most ~5 s) until the condition holds. */
const eventually = (condition: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      if (yield* condition) return true
      yield* Effect.sleep("10 millis")
    }
    return false
  })

describeWithBubblewrap("Sandbox (bubblewrap)", () => {
  it.scopedLive("bubblewrap is the isolation level on this machine", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox({ isolation: "auto" })
      assert.strictEqual(sb.isolation.level, "bubblewrap")
      assert.match(sb.isolation.detail, /^bubblewrap \d+\.\d+/)
      assert.match(sb.isolation.detail, /network shared with the host/)
    }))

  it.scopedLive("a session sees neither other sessions, nor the data directory, nor the host", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      yield* sb.start("b")
      const bMarker = Path.join(sb.root("b"), "home", "marker")
      Fs.writeFileSync(bMarker, "secret of b")
      const hostMarker = Path.join(Os.tmpdir(), `agentbay-host-marker-${process.pid}`)
      Fs.writeFileSync(hostMarker, "host")
      try {
        const dataDir = Path.dirname(Path.dirname(sb.root("a")))
        for (const path of [bMarker, sb.root("b"), dataDir, hostMarker, "/root", "/work", "/run"]) {
          const r = yield* sb.exec("a", sh(`test -e '${path}' && echo visible || echo hidden; cat '${path}'`))
          assert.strictEqual(r.stdout, "hidden\n", path)
          assert.notStrictEqual(r.exitCode, 0, path)
        }
        assert.strictEqual((yield* sb.exec("a", ["ls", "/home"])).stdout, "wuying\n")
        assert.strictEqual((yield* sb.exec("a", ["ls", "-A", "/tmp"])).stdout, "")
        // its own home: the cwd, writable, backed by its tree on the host
        const own = yield* sb.exec("a", sh("pwd; echo mine > own.txt && cat /home/wuying/own.txt"))
        assert.deepStrictEqual([own.exitCode, own.stdout], [0, "/home/wuying\nmine\n"])
        assert.strictEqual(Fs.readFileSync(Path.join(sb.root("a"), "home", "own.txt"), "utf8"), "mine\n")
        assert.strictEqual(sb.home("a"), "/home/wuying")
        // read-only system, root, sysctls; no capabilities
        const writes = [
          "touch /usr/x",
          "touch /x",
          "mkdir /etc/x",
          "v=$(cat /proc/sys/vm/swappiness); echo $v > /proc/sys/vm/swappiness" // same value: harmless if it worked
        ]
        for (const script of writes) {
          assert.notStrictEqual((yield* sb.exec("a", sh(script))).exitCode, 0, script)
        }
        assert.isFalse(Fs.existsSync("/usr/x"))
        const caps = yield* sb.exec("a", sh("grep CapEff /proc/self/status"))
        assert.match(caps.stdout, /^CapEff:\s+0+\n$/)
        // a clean environment: nothing of the server's leaks in
        const env = yield* sb.exec("a", ["env"])
        assert.deepStrictEqual(env.stdout.trim().split("\n").map((line) => line.split("=")[0]).sort(), [
          "HOME",
          "LANG",
          "PATH",
          "PWD"
        ])
      } finally {
        Fs.rmSync(hostMarker, { force: true })
      }
    }))

  it.scopedLive("a private PID namespace: the host's processes are invisible", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      const r = yield* sb.exec("a", sh("ls /proc | grep -E '^[0-9]+$'"))
      const inside = r.stdout.trim().split("\n").map(Number)
      assert.isAtMost(inside.length, 3) // sh (PID 1), ls, grep
      assert.isTrue(inside.every((pid) => pid < 10), r.stdout)
      assert.notInclude(inside, process.pid)
      const ps = yield* sb.exec("a", ["ps", "-e", "-o", "comm="])
      assert.notInclude(ps.stdout, "node")
    }))

  it.scopedLive("pause stops every process of the session, resume continues them", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      const initPids = yield* sb.pids("a")
      assert.strictEqual(initPids.length, 2) // bwrap, and the init as PID 1 of its namespace
      const running = yield* Effect.fork(sb.exec("a", ["sleep", "30"]))
      assert.isTrue(yield* sleeping(sb, "a", 2)) // the init's and the exec's

      yield* sb.pause("a")
      const paused = yield* sb.pids("a")
      assert.isAtLeast(paused.length, initPids.length + 2)
      for (const pid of paused) assert.strictEqual(stateOf(pid), "T", `pid ${pid}`)
      const refused = yield* Effect.either(sb.exec("a", ["true"]))
      assert.isTrue(Either.isLeft(refused))
      if (Either.isLeft(refused)) {
        assert.strictEqual(refused.left._tag, "SandboxError")
        assert.match(refused.left.reason, /paused/)
      }

      yield* sb.resume("a")
      for (const pid of paused) assert.include(["S", "R"], stateOf(pid), `pid ${pid}`)
      assert.strictEqual((yield* sb.exec("a", ["echo", "back"])).stdout, "back\n")

      yield* sb.destroy("a") // also ends the running exec
      const result = yield* Fiber.join(running)
      assert.deepStrictEqual([result.exitCode, result.timedOut], [137, false])
    }))

  it.scopedLive("destroy kills every process and removes the tree; twice is fine", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      yield* sb.start("a") // idempotent: still one init
      const pids = yield* sb.pids("a")
      assert.strictEqual(pids.length, 2) // bwrap, and the init as PID 1 of its namespace
      yield* sb.pause("a") // a paused session is destroyed just the same
      yield* sb.destroy("a")
      for (const pid of pids) assert.isFalse(alive(pid), `pid ${pid}`)
      assert.isFalse(Fs.existsSync(sb.root("a")))
      yield* sb.destroy("a")
      assert.deepStrictEqual(yield* sb.pids("a"), [])
      const error = yield* Effect.flip(sb.exec("a", ["true"]))
      assert.match(error.reason, /not started/)
    }))

  it.scopedLive("an exec past its timeout is killed with everything it started", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      const before = yield* sb.pids("a")
      const r = yield* sb.exec("a", sh("echo started; sleep 5 & sleep 5"), { timeout: "300 millis" })
      assert.deepStrictEqual([r.timedOut, r.exitCode, r.stdout], [true, 137, "started\n"])
      assert.deepStrictEqual(yield* sb.pids("a"), before)
    }))

  it.scopedLive("interrupting an exec kills its processes", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      const before = yield* sb.pids("a")
      const running = yield* Effect.fork(sb.exec("a", ["sleep", "30"]))
      assert.isTrue(yield* sleeping(sb, "a", 2))
      const during = yield* sb.pids("a")
      yield* Fiber.interrupt(running)
      assert.deepStrictEqual(yield* sb.pids("a"), before)
      for (const pid of during.filter((pid) => !before.includes(pid))) assert.isFalse(alive(pid), `pid ${pid}`)
    }))

  it.scopedLive("exec: stdin, env, cwd, exit codes and bounded output", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      yield* sb.start("a")
      yield* sb.exec("a", ["mkdir", "sub"])
      const r = yield* sb.exec("a", sh("cat; echo $FOO >&2; pwd; exit 3"), {
        stdin: "input\n",
        env: { FOO: "bar" },
        cwd: "sub"
      })
      assert.deepStrictEqual(r, { exitCode: 3, stdout: "input\n/home/wuying/sub\n", stderr: "bar\n", timedOut: false })
      const big = yield* sb.exec("a", ["head", "-c", "1500000", "/dev/zero"])
      assert.isTrue(big.stdout.startsWith("\0".repeat(Sandbox.maxOutputBytes)))
      assert.match(big.stdout, /\[output truncated: 451424 bytes past the first 1048576 dropped\]$/)
      // called uninterruptibly, exec still returns when the command ends (not when the 60 s timer would)
      assert.strictEqual((yield* Effect.uninterruptible(sb.exec("a", ["echo", "done"]))).stdout, "done\n")
      yield* Effect.uninterruptible(sb.start("b"))
      assert.strictEqual((yield* sb.pids("b")).length, 2)
      const missing = yield* sb.exec("a", ["no-such-command"])
      assert.notStrictEqual(missing.exitCode, 0)
      const badEnv = yield* Effect.flip(sb.exec("a", ["true"], { env: { "A=B": "x" } }))
      assert.match(badEnv.reason, /environment variable/)
    }))

  it.scopedLive("invalid session ids are refused", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox()
      for (const id of ["../x", "..", ".", "", "a/b", "x".repeat(129)]) {
        const error = yield* Effect.flip(sb.start(id))
        assert.deepStrictEqual([error._tag, error.operation], ["SandboxError", "start"], id)
        assert.strictEqual((yield* Effect.flip(sb.exec(id, ["true"])))._tag, "SandboxError")
        assert.throws(() => sb.root(id))
      }
      assert.isFalse(Fs.existsSync(Path.join(Path.dirname(sb.root("a")), "..", "x")))
    }))

  it.live("closing the layer's scope kills every process; trees stay for the next start", () =>
    Effect.gen(function*() {
      const dataDir = freshDataDir()
      const layer = Sandbox.layer({ dataDir, isolation: "bubblewrap" })
      const pids = yield* Effect.scoped(Effect.gen(function*() {
        const sb = Context.get(yield* Layer.build(layer), Sandbox.Sandbox)
        yield* sb.start("a")
        yield* sb.start("b")
        yield* sb.exec("a", sh("echo kept > kept.txt"))
        yield* Effect.forkDaemon(sb.exec("b", ["sleep", "30"]))
        assert.isTrue(yield* sleeping(sb, "b", 2))
        yield* sb.pause("b")
        return [...(yield* sb.pids("a")), ...(yield* sb.pids("b"))]
      }))
      assert.isAtLeast(pids.length, 6) // per sandbox: bwrap and its command
      for (const pid of pids) assert.isFalse(alive(pid), `pid ${pid}`)

      const again = yield* Effect.scoped(Effect.gen(function*() {
        const sb = Context.get(yield* Layer.build(layer), Sandbox.Sandbox)
        yield* sb.start("a")
        return yield* sb.exec("a", ["cat", "kept.txt"])
      }))
      assert.strictEqual(again.stdout, "kept\n")
    }))
})

describe("Sandbox (fallbacks)", () => {
  it.scopedLive("process mode: says it does not isolate, and still runs, pauses and destroys", () =>
    Effect.gen(function*() {
      const sb = yield* sandbox({ isolation: "process" })
      assert.strictEqual(sb.isolation.level, "process")
      assert.match(sb.isolation.detail, /NO isolation/)
      yield* sb.start("p")
      const home = Path.join(sb.root("p"), "home")
      assert.strictEqual(sb.home("p"), home)
      const r = yield* sb.exec("p", sh("pwd; echo $HOME; echo hi > f.txt"))
      assert.deepStrictEqual([r.exitCode, r.stdout], [0, `${home}\n${home}\n`])
      assert.strictEqual(Fs.readFileSync(Path.join(home, "f.txt"), "utf8"), "hi\n")

      const running = yield* Effect.fork(sb.exec("p", sh("sleep 30 & sleep 30")))
      assert.isTrue(yield* sleeping(sb, "p", 3)) // the init, and the exec's two
      yield* sb.pause("p")
      const pids = yield* sb.pids("p")
      for (const pid of pids) assert.strictEqual(stateOf(pid), "T", `pid ${pid}`)
      assert.isTrue(Either.isLeft(yield* Effect.either(sb.exec("p", ["true"]))))
      yield* sb.resume("p")
      for (const pid of pids) assert.include(["S", "R"], stateOf(pid), `pid ${pid}`)

      const timedOut = yield* sb.exec("p", ["sleep", "5"], { timeout: "200 millis" })
      assert.deepStrictEqual([timedOut.timedOut, timedOut.exitCode], [true, 137])

      yield* sb.destroy("p")
      assert.strictEqual((yield* Fiber.join(running)).exitCode, 137)
      for (const pid of pids) assert.isFalse(alive(pid), `pid ${pid}`)
      assert.isFalse(Fs.existsSync(sb.root("p")))
      yield* sb.destroy("p")
    }))

  it.scopedLive("auto falls back to process when bwrap is missing or broken", () =>
    Effect.gen(function*() {
      const missing = yield* sandbox({ isolation: "auto", bwrap: "/nonexistent/bwrap" })
      assert.strictEqual(missing.isolation.level, "process")
      assert.match(missing.isolation.detail, /bubblewrap unavailable/)
      const broken = yield* sandbox({ isolation: "auto", bwrap: "/bin/false" })
      assert.strictEqual(broken.isolation.level, "process")
    }))

  it.scopedLive("requesting bubblewrap fails the layer when it does not work", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(sandbox({ isolation: "bubblewrap", bwrap: "/bin/false" }))
      assert.strictEqual(error._tag, "SandboxError")
      assert.match(error.message, /bubblewrap requested but not usable/)
    }))
})
