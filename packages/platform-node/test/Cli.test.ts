// The `agentbay` CLI in this process against the fake (`AgentBayTest.layer`),
// on the TestClock: each command's text and --json output, tables, progress on
// stderr (plain lines, or one line rewritten on a terminal), exit codes and
// one-line failures. The same CLI against a real agentbay-local server, and the
// executable, are in CliServer.test.ts.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { AgentBayTest } from "@effect-agentbay/testing"
import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"

import * as Cli from "../src/Cli.js"
import { lines, type Ran, runCaptured } from "./cliHarness.js"

type Fake = AgentBay.AgentBay | AgentBayTest.Backend

/** `agentbay <args>` against the fake of the enclosing `onFake`. */
const agentbay = (args: ReadonlyArray<string>, options: { readonly tty?: boolean } = {}) =>
  runCaptured(Cli.run, Cli.name, args, options)

/** Runs `body` with a fresh fake that every `agentbay` run in it connects to. */
const onFake = <A, E>(body: Effect.Effect<A, E, Fake>, options: AgentBayTest.Options = {}) =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Fake>()
    return yield* body.pipe(Effect.provideService(Cli.Connect, () => Layer.succeedContext(context)))
  }).pipe(Effect.provide(AgentBayTest.layer(options)))

/** Runs `agentbay <args>` while the TestClock moves on by `by`. */
const agentbayOver = (
  by: Duration.DurationInput,
  args: ReadonlyArray<string>,
  options: { readonly tty?: boolean } = {}
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(agentbay(args, options))
    yield* TestClock.adjust(by)
    return yield* Fiber.join(fiber)
  })

const created = (labels?: Record<string, string>) => Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create({ labels }))

/** A failure: exit `code`, nothing on stdout, exactly one line `agentbay: ...` on stderr. */
const expectFailure = (ran: Ran, code: number, message: RegExp) => {
  expect(ran.code).toBe(code)
  expect(ran.stdout).toBe("")
  expect(lines(ran.stderr)).toHaveLength(1)
  expect(ran.stderr).toMatch(/^agentbay: /)
  expect(ran.stderr).toMatch(message)
  expect(ran.stderr).not.toMatch(/^\s+at /m)
}

describe("agentbay create, get, list", () => {
  it.effect("create prints the session; --json is one document; labels and image reach the service", () =>
    onFake(Effect.gen(function*() {
      const text = yield* agentbay(["create", "--label", "team=ml", "--label", "run=7"])
      expect([text.code, text.stderr]).toEqual([0, ""])
      const [idLine, ...rest] = lines(text.stdout)
      const id = /^id +(fake-\S+)$/.exec(idLine!)![1]!
      expect(rest).toEqual(["status  RUNNING", "image   linux_latest", "labels  run=7,team=ml"])

      const json = yield* agentbay(["create", "--json", "--label", "a=b", "--image", "img-1"])
      expect([json.code, json.stderr]).toEqual([0, ""])
      const doc = JSON.parse(json.stdout)
      expect(doc).toMatchObject({ status: "RUNNING", imageId: "img-1" })
      expect(doc.labels.a).toBe("b")
      expect(doc.labels[AgentBay.stampKeys.managedBy]).toBe("effect-agentbay") // --json shows every label
      expect(Object.keys(doc).sort()).toEqual(["id", "imageId", "labels", "status"])

      const live = yield* Effect.flatMap(AgentBayTest.Backend, (b) => b.liveSessions)
      expect(live.map((s) => [s.id, s.imageId, s.labels.team ?? s.labels.a])).toEqual([
        [id, "linux_latest", "ml"],
        [doc.id, "img-1", "b"]
      ])
    })))

  it.effect("create --wait reports the status it waited for on stderr", () =>
    onFake(Effect.gen(function*() {
      const ran = yield* agentbay(["create", "--wait", "--json"])
      expect(ran.code).toBe(0)
      const { id, status } = JSON.parse(ran.stdout)
      expect(status).toBe("RUNNING")
      expect(lines(ran.stderr)).toEqual([`creating ${id}: RUNNING (0.0s)`])
    })))

  it.effect("get: text and --json; an unknown id is NotFound: one line, exit 1", () =>
    onFake(Effect.gen(function*() {
      const s = yield* created({ k: "v" })
      const text = yield* agentbay(["get", s.id])
      expect(lines(text.stdout)).toEqual([`id      ${s.id}`, "status  RUNNING", "image   linux_latest", "labels  k=v"])
      const json = yield* agentbay(["get", "--json", s.id])
      expect(JSON.parse(json.stdout)).toMatchObject({ id: s.id, status: "RUNNING", labels: { k: "v" } })
      expectFailure(yield* agentbay(["get", "fake-nope"]), 1, /^agentbay: Session fake-nope not found\n$/)
      expectFailure(yield* agentbay(["get", "--json", "fake-nope"]), 1, /not found/)
    })))

  it.effect("list: a table of every page, filters, --json, and an empty list", () =>
    onFake(Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      const backend = yield* AgentBayTest.Backend
      expect(yield* agentbay(["list"])).toEqual({ code: 0, stdout: "no sessions\n", stderr: "" })
      // 101 sessions: two pages of 100.
      const all = yield* Effect.forEach(Array.from({ length: 101 }, (_, i) => i), (i) =>
        bay.create({ labels: { n: String(i), parity: i % 2 === 0 ? "even" : "odd" } }))
      yield* bay.betaPauseAsync(all[1]!)
      const before = yield* backend.callCount("listSession")
      const table = yield* agentbay(["list"])
      expect(yield* backend.callCount("listSession")).toBe(before + 2)
      const rows = lines(table.stdout)
      expect(rows).toHaveLength(102)
      expect(rows[0]).toMatch(/^ID +STATUS +LABELS$/)
      const width = rows[0]!.indexOf("STATUS")
      expect(rows).toContain(`${all[0]!.id.padEnd(width)}RUNNING  n=0,parity=even`)
      expect(rows).toContain(`${all[1]!.id.padEnd(width)}PAUSED   n=1,parity=odd`)

      const paused = yield* agentbay(["list", "--status", "PAUSED"])
      expect(
        lines(paused.stdout).slice(1).map((r) =>
          r.split(/ +/)[0]
        )
      ).toEqual([all[1]!.id])
      const filtered = yield* agentbay(["list", "--json", "--label", "parity=odd", "--label", "n=3"])
      const docs = JSON.parse(filtered.stdout)
      expect(docs).toHaveLength(1)
      expect(docs[0]).toMatchObject({ id: all[3]!.id, status: "RUNNING", labels: { n: "3", parity: "odd" } })
      expect(JSON.parse((yield* agentbay(["list", "--json", "--label", "n=none"])).stdout)).toEqual([])
    })))
})

describe("agentbay pause, resume, delete: progress on stderr", () => {
  const timed: AgentBayTest.Options = { transitionDelay: "5 seconds" }

  it.effect("pause and resume print status transitions with elapsed seconds (plain lines off a terminal)", () =>
    onFake(
      Effect.gen(function*() {
        const s = yield* created()
        const paused = yield* agentbayOver("10 seconds", ["pause", s.id])
        expect(paused.code).toBe(0)
        // Cloud waits: a poll at once, then every 2 s; the pause settles at 5 s.
        expect(lines(paused.stderr)).toEqual([
          `pausing ${s.id}: RUNNING`,
          `pausing ${s.id}: PAUSING (0.0s)`,
          `pausing ${s.id}: PAUSED (6.0s)`
        ])
        expect(lines(paused.stdout)[1]).toBe("status  PAUSED")
        const resumed = yield* agentbayOver("10 seconds", ["resume", "--json", s.id])
        expect(JSON.parse(resumed.stdout)).toMatchObject({ id: s.id, status: "RUNNING" })
        expect(lines(resumed.stderr).at(-1)).toBe(`resuming ${s.id}: RUNNING (6.0s)`)
      }),
      timed
    ))

  it.effect("on a terminal: one line rewritten in place, ended once the wait is over", () =>
    onFake(
      Effect.gen(function*() {
        const s = yield* created()
        const ran = yield* agentbayOver("10 seconds", ["pause", "--json", s.id], { tty: true })
        expect(JSON.parse(ran.stdout).status).toBe("PAUSED")
        const updates = ran.stderr.split("\r\u001b[2K")
        expect(updates[0]).toBe("")
        expect(updates.slice(1)).toEqual([
          `pausing ${s.id}: RUNNING -> PAUSING (0.0s)`,
          `pausing ${s.id}: RUNNING -> PAUSING (2.0s)`,
          `pausing ${s.id}: RUNNING -> PAUSING (4.0s)`,
          `pausing ${s.id}: RUNNING -> PAUSING -> PAUSED (6.0s)\n`
        ])
      }),
      timed
    ))

  it.effect("a wait without news prints a line every 10 s; delete ends when the session is gone", () =>
    onFake(
      Effect.gen(function*() {
        const s = yield* created()
        const ran = yield* agentbayOver("30 seconds", ["delete", s.id])
        expect(ran.stdout).toBe(`deleted ${s.id}\n`)
        expect(lines(ran.stderr)).toEqual([
          `deleting ${s.id}: RUNNING`,
          `deleting ${s.id}: DELETING (0.0s)`,
          `deleting ${s.id}: DELETING (10.0s)`,
          `deleting ${s.id}: DELETING (20.0s)`,
          `deleting ${s.id}: FINISH (25.0s)`
        ])
        const live = yield* Effect.flatMap(AgentBayTest.Backend, (b) => b.liveSessions)
        expect(live).toEqual([])
      }),
      { transitionDelay: "25 seconds" }
    ))

  it.effect("delete: --json, --sync-context, a deleted session, an unknown id", () =>
    onFake(Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const s = yield* created()
      const ran = yield* agentbay(["delete", "--json", "--sync-context", s.id])
      expect(JSON.parse(ran.stdout)).toEqual({ id: s.id, status: "DELETED" })
      expect(yield* backend.callCount("syncContext")).toBe(1)
      const again = yield* agentbay(["delete", s.id])
      expect([again.code, again.stdout, again.stderr]).toEqual([0, `${s.id} is already DELETED\n`, ""])
      expectFailure(yield* agentbay(["delete", "fake-nope"]), 1, /^agentbay: Session fake-nope not found\n$/)
      expect(yield* backend.callCount("deleteSessionAsync")).toBe(1)
    })))

  it.effect("pausing a PAUSED session is InvalidState: one line, exit 1", () =>
    onFake(Effect.gen(function*() {
      const s = yield* created()
      yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.betaPauseAsync(s))
      expectFailure(yield* agentbay(["pause", s.id]), 1, new RegExp(`${s.id}.*PAUSED`))
    })))
})

describe("agentbay exec", () => {
  it.effect("prints the command's stdout and stderr as they are and exits with its code", () =>
    onFake(Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const s = yield* created()
      yield* backend.onCommand("make test", { stdout: "ok\nno newline", stderr: "warn\n", exitCode: 3 })
      const ran = yield* agentbay(["exec", s.id, "--", "make", "test"])
      expect(ran).toEqual({ code: 3, stdout: "ok\nno newline", stderr: "warn\n" })
      const json = yield* agentbay(["exec", "--json", s.id, "--", "make test"])
      expect(json.code).toBe(3)
      expect(JSON.parse(json.stdout)).toEqual({ stdout: "ok\nno newline", stderr: "warn\n", exitCode: 3 })
    })))

  it.effect("several words are an argv, quoted for the shell; one word is a command line as is", () =>
    onFake(Effect.gen(function*() {
      const backend = yield* AgentBayTest.Backend
      const s = yield* created()
      yield* backend.onCommand("sh -c 'echo hi; exit 0' 'it'\\''s'", { stdout: "argv\n" })
      yield* backend.onCommand("ls | wc -l", { stdout: "line\n" })
      const argv = yield* agentbay(["exec", s.id, "--", "sh", "-c", "echo hi; exit 0", "it's"])
      expect([argv.code, argv.stdout]).toEqual([0, "argv\n"])
      const line = yield* agentbay(["exec", s.id, "--", "ls | wc -l"])
      expect([line.code, line.stdout]).toEqual([0, "line\n"])
      expectFailure(yield* agentbay(["exec", "fake-nope", "--", "true"]), 1, /Session fake-nope not found/)
    })))
})

describe("agentbay usage errors", () => {
  it.effect("exit 2: a missing command, an unknown option, a status that is none, cp without a session side", () =>
    onFake(Effect.gen(function*() {
      const s = yield* created()
      for (const args of [["exec", s.id], ["list", "--bogus"], ["list", "--status", "ASLEEP"], ["get"]]) {
        const ran = yield* agentbay(args)
        expect(ran.code, args.join(" ")).toBe(2)
        expect(ran.stdout).toBe("")
      }
      expectFailure(yield* agentbay(["cp", "a", "b"]), 2, /exactly one of SOURCE and DESTINATION must be ID:\/path/)
      expectFailure(yield* agentbay(["cp", `${s.id}:/a`, `${s.id}:/b`]), 2, /exactly one/)
      const help = yield* agentbay(["--help"])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain("exec [--json] [--endpoint text] [--api-key text]")
    })))
})
