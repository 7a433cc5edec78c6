// `agentbay-local doctor` (see Cli.ts): isolation, versions, data dir state.
import * as Command from "@effect/cli/Command"
import * as PlatformCommand from "@effect/platform/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as LocalDataDir from "../LocalDataDir.js"
import * as LocalStore from "../LocalStore.js"
import * as Sandbox from "../Sandbox.js"
import { dataDir, isolation, withStore } from "./cli.js"

const version = (cmd: string, ...args: Array<string>) =>
  PlatformCommand.make(cmd, ...args).pipe(
    PlatformCommand.string,
    Effect.map((out) => out.trim().split("\n")[0] || "(no output)"),
    Effect.orElseSucceed(() => "not found")
  )

// What run_code can run, asked inside a scratch session: the sandbox may see
// fewer programs than the host (bubblewrap shows it /usr and /etc only).
const probeLanguages = (box: Sandbox.Sandbox.Service) =>
  Effect.gen(function*() {
    const id = "doctor-probe"
    yield* box.start(id)
    const probe = (bin: string) =>
      box.exec(id, ["sh", "-c", `command -v ${bin} >/dev/null && ${bin} --version 2>&1 | head -n 1`], {
        timeout: "5 seconds"
      }).pipe(
        Effect.map((r) => r.exitCode === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined),
        Effect.orElseSucceed(() => undefined)
      )
    const [python, node] = yield* Effect.all([probe("python3"), probe("node")])
    yield* box.destroy(id)
    return [
      `python ${python === undefined ? "MISSING (apt-get install python3)" : `(${python})`}`,
      `javascript ${node === undefined ? "MISSING (install Node.js in /usr)" : `(node ${node})`}`
    ].join(", ")
  })

export const doctor = Command.make("doctor", { dataDir, isolation }, (o) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = path.resolve(o.dataDir)
    // Probe the isolation in a scratch directory, so the data dir is left alone.
    const scratch = yield* fs.makeTempDirectoryScoped({ prefix: "agentbay-doctor-" })
    const [iso, languages] = yield* Effect.flatMap(
      Sandbox.Sandbox,
      (b) => Effect.map(probeLanguages(b), (langs) => [Sandbox.describe(b.isolation), langs] as const)
    ).pipe(
      Effect.provide(Sandbox.layer({ dataDir: scratch, isolation: o.isolation })),
      Effect.catchAll((e) => Effect.succeed([`unavailable: ${e.message}`, "unknown (no sandbox)"] as const))
    )
    const sqlite = yield* Effect.flatMap(LocalStore.LocalStore, (s) => s.sqliteVersion).pipe(
      Effect.provide(LocalStore.layer({ filename: ":memory:" })),
      Effect.orElseSucceed(() => "unavailable")
    )
    const lines = [
      `node:       ${process.version}`,
      `sqlite:     ${sqlite}`,
      `bwrap:      ${yield* version("bwrap", "--version")}`,
      `isolation:  ${iso}`,
      `languages:  ${languages}`,
      `data dir:   ${dir}`
    ]
    if (!(yield* fs.exists(dir))) {
      lines.push(`  state:    does not exist yet (created by serve)`)
    } else {
      const server = yield* LocalDataDir.running(dir)
      const serving = Option.match(server, {
        onNone: () => "not running",
        onSome: (m) => `running, pid ${m.pid}${m.endpoint ? ` at ${m.endpoint}` : ""}`
      })
      lines.push(`  server:   ${serving}`)
      const keyFile = path.join(dir, LocalDataDir.files.apiKey)
      const keyInfo = yield* fs.stat(keyFile).pipe(
        Effect.map((s) => `present, mode ${(s.mode & 0o777).toString(8)}`),
        Effect.orElseSucceed(() => "absent")
      )
      lines.push(`  key file: ${keyInfo}`)
      const counts = yield* withStore(dir, (s) => s.countByStatus).pipe(
        Effect.map((cs) => cs.length === 0 ? "none" : cs.map((c) => `${c.status} ${c.count}`).join(", ")),
        Effect.orElseSucceed(() => "no database yet")
      )
      lines.push(`  sessions: ${counts}`)
    }
    yield* Console.log(lines.join("\n"))
  }).pipe(Effect.scoped)).pipe(Command.withDescription("Check isolation, versions and the data dir"))
