// The README's snippets, verbatim, so the README cannot drift from what works.
// (The quickstart is examples/readme-quickstart.ts, typechecked by `pnpm check`.)
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { TransportError } from "@effect-agentbay/core/AgentBayError"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"

// README, "Testing your code with the fake backend", first example.
it.effect("a scoped session is deleted when the job ends", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const backend = yield* AgentBayTest.Backend
    yield* Effect.scoped(Effect.gen(function*() {
      const session = yield* bay.session({ labels: { job: "nightly" } })
      yield* bay.betaPauseAsync(session)
      yield* bay.betaResumeAsync(session)
    }))
    assert.deepStrictEqual(yield* backend.liveSessions, [])
  }).pipe(Effect.provide(AgentBayTest.layer())))

// README, "Testing your code with the fake backend", second example.
it.effect("my job never leaks a session, even when pausing fails", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const backend = yield* AgentBayTest.Backend
    yield* backend.failNext("pauseSessionAsync", new TransportError({ action: "PauseSessionAsync", reason: "Network" }))
    const job = Effect.scoped(Effect.flatMap(bay.session(), (s) => bay.betaPauseAsync(s)))
    const fiber = yield* Effect.fork(Effect.exit(job))
    yield* TestClock.adjust("1 minute") // time moves only when the test says so
    yield* Fiber.join(fiber)
    assert.deepStrictEqual(yield* backend.liveSessions, [])
    assert.strictEqual(yield* backend.callCount("pauseSessionAsync"), 1) // writes are never retried
  }).pipe(Effect.provide(AgentBayTest.layer({ transitionDelay: "3 seconds" }))))

// README, "Many sessions at once": the snippet inside a program, on the fake.
it.effect("many sessions at once, released together", () =>
  Effect.gen(function*() {
    const backend = yield* AgentBayTest.Backend
    const results = yield* Effect.scoped(Effect.gen(function*() {
      const bay = yield* AgentBay
      const workers = yield* bay.sessions(10, { concurrency: 5 }) // or bay.sessions([{ labels: … }, …])
      return yield* Effect.forEach(workers, (s) => s.getLabels(), { concurrency: "unbounded" })
    })) // all 10 deleted at once here
    assert.strictEqual(results.length, 10)
    assert.deepStrictEqual(yield* backend.liveSessions, [])
  }).pipe(Effect.provide(AgentBayTest.layer())))

// README, "Inside a session": the snippet inside a program, on the embedded local runtime.
it.live("inside a session: write a script, run it, read its report", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const script = "import os\nopen('report.json', 'w').write(str(len(os.environ['WORDS'].split(','))))"
    const report = yield* Effect.scoped(Effect.gen(function*() {
      const session = yield* bay.session()
      yield* session.filesystem.writeFile("/home/wuying/job/analyse.py", script)
      const run = yield* session.command.executeCommand("python3 analyse.py", {
        cwd: "/home/wuying/job",
        env: { WORDS: "a,b" }
      })
      return run.exitCode === 0 ? yield* session.filesystem.readFile("/home/wuying/job/report.json") : run.stderr
    }))
    assert.strictEqual(report, "2")
  }).pipe(Effect.provide(AgentBayLocal.layer())), { timeout: 60_000 })

// README, "Persistence": the snippet inside a program, on the fake.
it.effect("persistence: a context carries a file from one session to the next", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const backend = yield* AgentBayTest.Backend
    const context = yield* bay.context.get("my-project", { create: true })
    const sync = [{ contextId: context.id, path: "/home/wuying/project" }]
    yield* Effect.scoped(Effect.gen(function*() {
      const session = yield* bay.session({ contextSync: sync, release: { syncContext: true } })
      yield* session.filesystem.writeFile("/home/wuying/project/notes.md", "# Plan")
    })) // uploaded to the context, then deleted
    const notes = yield* Effect.scoped(Effect.flatMap(
      bay.session({ contextSync: sync }), // a new sandbox, the same files
      (session) => session.filesystem.readFile("/home/wuying/project/notes.md")
    ))
    assert.strictEqual(notes, "# Plan")
    assert.deepStrictEqual(yield* backend.liveSessions, [])
  }).pipe(Effect.provide(AgentBayTest.layer())))

// README, "Five minutes": the walkthrough's command, as a user runs it.
it.live(
  "five minutes: npx tsx examples/first-session.ts runs a scoped session on the local runtime",
  () =>
    Effect.gen(function*() {
      const { AGENTBAY_API_KEY: _, ...env } = process.env
      const out = yield* Effect.promise(() =>
        new Promise<string>((resolve, reject) =>
          execFile(
            "npx",
            ["tsx", "examples/first-session.ts"],
            { env, timeout: 60_000 },
            (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)
          )
        )
      )
      assert.match(out, /^session local-[0-9a-f]+: exit 0, greeting\.txt says hello from Linux\n$/)
      // The README shows the program verbatim (indented in its list), from the first import on.
      const program = readFileSync("examples/first-session.ts", "utf8")
      const shown = program.slice(program.indexOf("import { AgentBay }")).trimEnd().split("\n")
        .map((line) => line === "" ? "" : `   ${line}`).join("\n")
      assert.include(readFileSync("README.md", "utf8"), shown)
    }),
  { timeout: 90_000 }
)
