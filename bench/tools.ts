// Goal 7: files and commands on the local runtime with real sandboxes
// (bubblewrap when it works here), through the SDK over HTTP to the server in a
// child process.
//
// - Files: `session.filesystem.writeFile` then `readFileBytes` of 5 MiB of text
//   (the SDK moves it in 61 440-byte windows, one request each), against a raw
//   copy of the same 5 MiB on the same disk (the server's data dir): fs.copyFile,
//   and fs.readFile + fs.writeFile, in the same run.
// - Commands: `session.command.executeCommand("true")` round trip (request,
//   `sh -c true` in a fresh sandbox process, reply) against a bare sandbox spawn
//   (`bwrap --ro-bind / / true`, or `true` without bwrap) from this process.
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

import * as AgentBay from "@effect-agentbay/core/AgentBay"
import type { Session } from "@effect-agentbay/core/Session"
import * as Effect from "effect/Effect"

import * as Bench from "./Bench.js"
import * as LocalRig from "./LocalRig.js"
import * as Measure from "./Measure.js"
import type * as Report from "./Report.js"

const MiB = 1024 * 1024

const text = (bytes: number) => {
  const line = "The quick brown fox jumps over the lazy dog, 0123456789.\n"
  return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes)
}

export const tools = async (
  ctx: Report.Context,
  options: { readonly mib: number; readonly rounds: number; readonly commands: number }
) => {
  const rig = await LocalRig.start("auto", { spans: true })
  const scratch = Path.join(rig.dataDir, "bench-raw")
  try {
    const session: Session = await rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.create()))
    const bytes = Math.round(options.mib * MiB)
    const content = text(bytes)
    const file = "/home/wuying/bench.txt"
    await Fs.mkdir(scratch, { recursive: true })
    const source = Path.join(scratch, "source.txt")
    await Fs.writeFile(source, content)

    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now()
      await f()
      return performance.now() - t0
    }
    const rows = {
      sdkWrite: [] as Array<number>,
      sdkRead: [] as Array<number>,
      copyFile: [] as Array<number>,
      readWrite: [] as Array<number>
    }
    console.log(
      `\n=== 7. Files and commands, local runtime (${rig.isolation}), ${options.mib} MiB of text, ${options.rounds} rounds`
    )
    console.log(`load average ${Bench.load()}`)
    const write = () => time(() => rig.run(session.filesystem.writeFile(file, content)))
    const read = () =>
      time(async () => {
        const got = await rig.run(session.filesystem.readFileBytes(file))
        if (got.length !== bytes) throw new Error(`readFileBytes returned ${got.length} bytes, not ${bytes}`)
      })
    // The first round with spans recorded (not timed), for the breakdown below.
    const writeSpans = await rig.spans(write)
    const readSpans = await rig.spans(read)
    for (let r = 0; r < options.rounds; r++) {
      rows.sdkWrite.push(await write())
      rows.sdkRead.push(await read())
      rows.copyFile.push(await time(() => Fs.copyFile(source, Path.join(scratch, `copy-${r}.txt`))))
      rows.readWrite.push(
        await time(async () => Fs.writeFile(Path.join(scratch, `rw-${r}.txt`), await Fs.readFile(source)))
      )
    }
    const m = {
      sdkWrite: Bench.median(rows.sdkWrite),
      sdkRead: Bench.median(rows.sdkRead),
      copyFile: Bench.median(rows.copyFile),
      readWrite: Bench.median(rows.readWrite)
    }
    const mibs = (ms: number) => Measure.fmt(options.mib / (ms / 1000), 1)
    const vs = (ms: number) => `${Measure.fmt(ms / m.copyFile, 1)}x`
    Measure.table(["median of rounds", "ms", "MiB/s", "vs copyFile"], [
      ["SDK writeFile (text)", Measure.fmt(m.sdkWrite), mibs(m.sdkWrite), vs(m.sdkWrite)],
      ["SDK readFileBytes", Measure.fmt(m.sdkRead), mibs(m.sdkRead), vs(m.sdkRead)],
      ["baseline: fs.copyFile, same disk", Measure.fmt(m.copyFile), mibs(m.copyFile), vs(m.copyFile)],
      ["baseline: fs.readFile + fs.writeFile", Measure.fmt(m.readWrite), mibs(m.readWrite), vs(m.readWrite)]
    ])

    const command = () =>
      rig.run(
        Effect.flatMap(session.command.executeCommand("true"), (result) =>
          result.exitCode === 0 ? Effect.void : Effect.dieMessage(`"true" exited ${result.exitCode}: ${result.stderr}`))
      )
    await command()
    const spawn = () => Measure.spawnExit(Measure.bareSpawn.command, Measure.bareSpawn.args)
    await spawn()
    const cmd: Array<number> = []
    const bare: Array<number> = []
    const commandSpans = await rig.spans(async () => {
      for (let i = 0; i < options.commands; i++) { // interleaved
        cmd.push(await time(command))
        bare.push(await time(spawn))
      }
    })
    const lc = Measure.latency(cmd)
    const lb = Measure.latency(bare)
    Measure.table(["ms", "n", "p50", "p99", "ratio (p50)"], [
      [
        "executeCommand(\"true\") round trip",
        String(lc.n),
        Measure.fmt(lc.p50),
        Measure.fmt(lc.p99),
        `${Measure.fmt(lc.p50 / lb.p50, 2)}x`
      ],
      [`baseline: ${Measure.bareSpawn.name}`, String(lb.n), Measure.fmt(lb.p50), Measure.fmt(lb.p99), "1.00x"]
    ])
    // Where the time goes: each span's count and p50, SDK and server.
    const breakdown = {
      write: { ...writeSpans.client, ...writeSpans.server },
      read: { ...readSpans.client, ...readSpans.server },
      command: { ...commandSpans.client, ...commandSpans.server }
    }
    const names = [...new Set(Object.values(breakdown).flatMap((m) => Object.keys(m)))].filter((n) =>
      !n.startsWith("sql.")
    ).sort()
    const cell = (m: Record<string, Measure.Latency>, n: string) =>
      m[n] === undefined ? "" : `${m[n].n} x ${Measure.fmt(m[n].p50, 2)}`
    console.log("spans of the SDK and of the server: count x p50 ms (one write, one read, the commands):")
    Measure.table(
      ["span", "writeFile", "readFileBytes", "executeCommand"],
      names.map((n) => [n, cell(breakdown.write, n), cell(breakdown.read, n), cell(breakdown.command, n)])
    )
    await rig.run(Effect.flatMap(AgentBay.AgentBay, (bay) => bay.delete(session.id)))

    ctx.report.section("tools", {
      isolation: rig.isolation,
      mib: options.mib,
      filesMedianMs: m,
      filesRoundsMs: rows,
      spans: breakdown,
      command: { sdk: lc, baseline: { command: Measure.bareSpawn.name, ...lb }, ratioP50: lc.p50 / lb.p50 }
    })
    ctx.report.goal({
      id: "7",
      goal: `write ${options.mib} MiB / read ${options.mib} MiB (${rig.isolation})`,
      target: "vs fs.copyFile",
      value: `${mibs(m.sdkWrite)} / ${mibs(m.sdkRead)} MiB/s = ${vs(m.sdkWrite)} / ${vs(m.sdkRead)} the copy (${
        mibs(m.copyFile)
      } MiB/s)`,
      met: "reported"
    })
    ctx.report.goal({
      id: "7",
      goal: "executeCommand(\"true\") / bare sandbox spawn",
      target: `vs ${Measure.bareSpawn.name}`,
      value: `p50 ${Measure.fmt(lc.p50)} ms vs ${Measure.fmt(lb.p50)} ms = ${Measure.fmt(lc.p50 / lb.p50, 2)}x`,
      met: "reported"
    })
  } finally {
    await Fs.rm(scratch, { recursive: true, force: true })
    await rig.close()
  }
}
