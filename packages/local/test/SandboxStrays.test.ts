// A server killed with SIGKILL can leave a bwrap behind (its --die-with-parent is set after it starts, so a
// kill in that window is never delivered; the chaos suite's crash test saw one). The sandbox layer kills,
// when it starts, every bwrap that binds a tree under its data dir, and nothing else. Real processes, real
// time; the strays are stand-ins: a shell whose argv[0] is "bwrap", as bubblewrap's own process shows.
import { afterAll, assert, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Sandbox from "../src/Sandbox.js"
import { describeWithBubblewrap } from "./bubblewrap.js"

const base = Fs.mkdtempSync(Path.join(Os.tmpdir(), "agentbay-strays-test-"))
afterAll(() => Fs.rmSync(base, { recursive: true, force: true }))

const alive = (pid: number) => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^\S+ \(.*\) [ZX] /.test(stat)
  } catch {
    return false
  }
}

// A long sleep under a shell whose command line reads `bwrap -c … <arg>`.
const standIn = (arg: string) => {
  const child = ChildProcess.spawn("/bin/sh", ["-c", "sleep 60; true", "sh", arg], { argv0: "bwrap", stdio: "ignore" })
  return child.pid!
}

it.scopedLive("the sandbox layer kills the bwraps a previous server left on its data dir, and nothing else", () =>
  Effect.gen(function*() {
    const dataDir = Path.join(base, "data")
    const stray = standIn(Path.join(dataDir, "sandboxes", "local-0123", "home"))
    const elsewhere = standIn(Path.join(base, "other", "sandboxes", "local-0123", "home"))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const pid of [stray, elsewhere]) if (alive(pid)) process.kill(pid, "SIGKILL")
      })
    )
    assert.isTrue(alive(stray) && alive(elsewhere), "both stand-ins run")
    yield* Effect.map(
      Layer.build(Sandbox.layer({ dataDir, isolation: "process" })),
      (c) => Context.get(c, Sandbox.Sandbox)
    )
    assert.isFalse(alive(stray), "the bwrap binding a tree of this data dir is gone")
    assert.isTrue(alive(elsewhere), "a bwrap of another data dir is left alone")
  }))

// The case the chaos crash test met: bwrap has already become the sandbox's init (its command line is the
// command's, its cwd the sandbox's), so only its mount table, which binds a tree of this data dir, tells.
describeWithBubblewrap("strays under bubblewrap", () => {
  it.scopedLive("a sandbox init whose bwrap outlived its server is found by its mounts and killed", () =>
    Effect.gen(function*() {
      const dataDir = Path.join(base, "data-bwrap")
      const home = Path.join(dataDir, "sandboxes", "local-4567", "home")
      Fs.mkdirSync(home, { recursive: true })
      const bwrap = ChildProcess.spawn("bwrap", [
        "--unshare-pid",
        "--as-pid-1",
        "--ro-bind",
        "/",
        "/",
        "--tmpfs",
        "/home",
        "--bind",
        home,
        "/home/wuying",
        "--chdir",
        "/home/wuying",
        "--",
        "sleep",
        "60"
      ], { stdio: "ignore", argv0: "launcher" }) // not named bwrap: only the mount table can tell
      let init: number | undefined
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          bwrap.kill("SIGKILL")
          if (init !== undefined && alive(init)) process.kill(init, "SIGKILL") // it does not die with bwrap
        })
      )
      // Until bwrap has become `sleep 60` (the stand-in for an init that outlived its server).
      for (let i = 0; i < 200 && init === undefined; i++) {
        init = Fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number).find((pid) => {
          try {
            return Fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\u000060\u0000" &&
              Fs.readFileSync(`/proc/${pid}/mountinfo`, "utf8").includes("local-4567")
          } catch {
            return false
          }
        })
        if (init === undefined) yield* Effect.sleep("10 millis")
      }
      assert.isDefined(init, "the sandbox's init runs")
      yield* Effect.map(
        Layer.build(Sandbox.layer({ dataDir, isolation: "process" })),
        (c) => Context.get(c, Sandbox.Sandbox)
      )
      assert.isFalse(alive(init!), "the init binding a tree of this data dir is gone")
    }))
})
