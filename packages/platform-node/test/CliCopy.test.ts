// `agentbay cp` both ways with bytes that are not UTF-8, against the fake and
// against an agentbay-local server started here on 127.0.0.1.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import { AgentBayTest } from "@effect-agentbay/testing"
import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Cli from "../src/Cli.js"
import { lines, runCaptured } from "./cliHarness.js"

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

// Every byte value, twice, and an invalid UTF-8 sequence: only a binary-safe copy keeps them.
const binary = new Uint8Array([...Array.from({ length: 512 }, (_, i) => i % 256), 0xc3, 0x28, 0xff])

/**
 * Uploads `binary` into a session, downloads it back (into a directory: the
 * name is kept) and checks the bytes; `args` are options for every run.
 */
const roundTrip = (id: string, remoteDir: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const dir = yield* tempDir("agentbay-cli-cp-")
    const local = path.join(dir, "data.bin")
    fs.writeFileSync(local, binary)
    const run = (...rest: Array<string>) => runCaptured(Cli.run, Cli.name, ["cp", ...args, ...rest])
    const up = yield* run(local, `${id}:${remoteDir}/`)
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toBe(`${local} -> ${id}:${remoteDir}/data.bin (${binary.length} bytes)\n`)
    fs.mkdirSync(path.join(dir, "back"))
    const down = yield* run("--json", `${id}:${remoteDir}/data.bin`, path.join(dir, "back"))
    expect(down.code, down.stderr).toBe(0)
    expect(JSON.parse(down.stdout)).toEqual({
      source: `${id}:${remoteDir}/data.bin`,
      destination: path.join(dir, "back", "data.bin"),
      bytes: binary.length
    })
    expect(new Uint8Array(fs.readFileSync(path.join(dir, "back", "data.bin")))).toEqual(binary)
    // A file the session does not have: one line, exit 1, no local file left.
    const missing = yield* run(`${id}:${remoteDir}/nope.bin`, path.join(dir, "nope.bin"))
    expect([missing.code, missing.stdout]).toEqual([1, ""])
    expect(lines(missing.stderr).at(-1)).toMatch(/^agentbay: .*nope\.bin not found$/)
    expect(fs.existsSync(path.join(dir, "nope.bin"))).toBe(false)
    return { up, down }
  })

describe("agentbay cp", () => {
  it.scoped("against the fake: any bytes both ways, a directory keeps the name", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<AgentBay.AgentBay | AgentBayTest.Backend>()
      const s = yield* Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create())
      yield* roundTrip(s.id, "/tmp", []).pipe(
        Effect.provideService(Cli.Connect, () => Layer.succeedContext(context))
      )
      const unknown = yield* runCaptured(Cli.run, Cli.name, ["cp", "/etc/hostname", "fake-nope:/tmp/x"]).pipe(
        Effect.provideService(Cli.Connect, () => Layer.succeedContext(context))
      )
      expect([unknown.code, unknown.stdout, unknown.stderr]).toEqual([1, "", "agentbay: Session fake-nope not found\n"])
    }).pipe(Effect.provide(AgentBayTest.layer())))

  it.scopedLive("against agentbay-local, through --endpoint and --api-key", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir("agentbay-cli-cp-server-")
      const key = "ak-cli-cp-test-53a1"
      const info = Context.get(
        yield* Layer.build(AgentBayLocal.layerServer({
          dataDir,
          host: "127.0.0.1",
          port: 0,
          isolation: "process",
          apiKeys: [Redacted.make(key)]
        })),
        AgentBayLocal.Info
      )
      const conn = ["--endpoint", info.endpoint, "--api-key", key]
      const created = yield* runCaptured(Cli.run, Cli.name, ["create", "--json", ...conn])
      const { id } = JSON.parse(created.stdout)
      const { up, down } = yield* roundTrip(id, "/tmp", conn)
      for (const r of [created, up, down]) expect(r.stdout + r.stderr).not.toContain(key)
    }), { timeout: 60_000 })
})
