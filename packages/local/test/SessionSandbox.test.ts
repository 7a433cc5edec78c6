// End to end through the server: sessions created, paused and deleted with the SDK over HTTP
// are real bubblewrap sandboxes. Real processes, so real time (it.live).
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { assert, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Sandbox from "../src/Sandbox.js"
import { describeWithBubblewrap } from "./bubblewrap.js"
import { stateOf } from "./utils.js"

describeWithBubblewrap("SessionSandbox", () => {
  it.live(
    "SDK sessions are isolated sandboxes: no view of each other or the data dir; pause stops them",
    () =>
      Effect.gen(function*() {
        const captured = yield* Deferred.make<Sandbox.Sandbox.Service>()
        // The real sandbox layer, captured so the test can look at the processes behind each session.
        const sandbox = (dataDir: string) =>
          Sandbox.layer({ dataDir, isolation: "bubblewrap" }).pipe(
            Layer.tap((ctx) => Deferred.succeed(captured, Context.get(ctx, Sandbox.Sandbox)))
          )
        yield* Effect.gen(function*() {
          const bay = yield* AgentBay
          const info = yield* AgentBayLocal.Info
          const box = yield* Deferred.await(captured)
          assert.strictEqual(box.isolation.level, "bubblewrap")

          const a = yield* bay.create({ labels: { name: "a" } })
          const b = yield* bay.create({ labels: { name: "b" } })
          Fs.writeFileSync(`${box.root(b.id)}/home/secret.txt`, "b's data")

          // From inside A: B's tree, B's file and the data dir do not exist; A's own home is writable.
          const probe = yield* box.exec(a.id, [
            "sh",
            "-c",
            `ls /home; test -e '${
              box.root(b.id)
            }' && echo SEES_B_TREE; test -e '${info.dataDir}' && echo SEES_DATA_DIR;` +
            ` cat /home/wuying/secret.txt 2>/dev/null && echo SEES_B_FILE; echo mine > /home/wuying/a.txt && cat a.txt`
          ])
          assert.strictEqual(probe.exitCode, 0, probe.stderr)
          assert.strictEqual(probe.stdout, "wuying\nmine\n")

          // Pause through the SDK freezes every process of A (state T in /proc); B keeps running.
          const before = yield* box.pids(a.id)
          assert.isAbove(before.length, 0)
          yield* bay.betaPauseAsync(a, { interval: "50 millis" })
          const paused = yield* box.pids(a.id)
          assert.isAbove(paused.length, 0)
          for (const pid of paused) assert.strictEqual(stateOf(pid), "T", `pid ${pid}`)
          for (const pid of yield* box.pids(b.id)) assert.notStrictEqual(stateOf(pid), "T")

          yield* bay.betaResumeAsync(a, { interval: "50 millis" })
          for (const pid of yield* box.pids(a.id)) assert.include(["S", "R"], stateOf(pid))

          // Delete kills A's processes and removes its tree.
          yield* bay.delete(a, { interval: "50 millis" })
          assert.deepStrictEqual(yield* box.pids(a.id), [])
          for (const pid of before) assert.include([undefined, "Z"], stateOf(pid))
          assert.isFalse(Fs.existsSync(box.root(a.id)))
          yield* bay.delete(b, { interval: "50 millis" })
        }).pipe(Effect.provide(AgentBayLocal.layerWith({ transitionDelay: "100 millis" }, sandbox)))
      }),
    { timeout: 30_000 }
  )
})
