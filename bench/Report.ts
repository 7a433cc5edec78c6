// The results of one `pnpm bench` run: the machine, each section's figures,
// each goal's verdict, the sections that crashed; printed as a table and
// written as JSON (bench/results/<YYYY-MM-DD>.json).
import * as Fs from "node:fs"
import * as os from "node:os"
import * as Path from "node:path"

import * as Measure from "./Measure.js"

export interface Goal {
  /** e.g. "2" or "3b". */
  readonly id: string
  readonly goal: string
  readonly target: string
  /** The figure compared with the target, as printed. */
  readonly value: string
  /** "reported": a figure without a target. */
  readonly met: boolean | "reported"
  readonly note?: string | undefined
}

export interface Context {
  readonly smoke: boolean
  readonly report: Report
}

const loadavg = () => os.loadavg().map((l) => Number(l.toFixed(2)))

/**
 * Processes on the whole machine (from /proc; 0 elsewhere). The local runtime's
 * delete scans the process table, so this moves its figures.
 */
export const processCount = (): number => {
  try {
    return Fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).length
  } catch {
    return 0
  }
}

export const machine = () => ({
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? "unknown",
  memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
  freeMemoryGiB: Number((os.freemem() / 1024 ** 3).toFixed(1)),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  bwrap: Measure.bwrap === undefined ? { present: false } : { present: true, ...Measure.bwrap }
})

export class Report {
  readonly started = new Date()
  readonly machine = machine()
  readonly loadStart = loadavg()
  readonly processesStart = processCount()
  readonly sections: Record<string, unknown> = {}
  readonly sectionLoad: Record<string, { readonly loadAverage: ReadonlyArray<number>; readonly processes: number }> = {}
  readonly goals: Array<Goal> = []
  readonly errors: Array<{ readonly section: string; readonly error: string }> = []

  constructor(readonly mode: "full" | "smoke") {}

  section(name: string, figures: unknown): void {
    this.sections[name] = figures
    this.sectionLoad[name] = { loadAverage: loadavg(), processes: processCount() }
  }

  goal(goal: Goal): void {
    this.goals.push(goal)
  }

  error(section: string, error: unknown): void {
    this.errors.push({ section, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }

  print(): void {
    console.log(
      `\n=== Goals (${this.mode} run; load average at start ${this.loadStart.join(" ")}, now ${loadavg().join(" ")}; ` +
        `processes on the machine ${this.processesStart} at start, ${processCount()} now)`
    )
    const verdict = (g: Goal) => g.met === "reported" ? "reported" : g.met ? "met" : "MISSED"
    Measure.table(
      ["goal", "target", "this run", "verdict"],
      this.goals.map((g) => [`${g.id} ${g.goal}`, g.target, g.value, verdict(g)])
    )
    if (this.mode === "smoke") {
      console.log("(smoke run: tiny counts, the figures say nothing; it checks that every benchmark runs)")
    }
    for (const e of this.errors) console.log(`section ${e.section} CRASHED: ${e.error.split("\n")[0]}`)
  }

  json(): unknown {
    return {
      date: this.started.toISOString(),
      mode: this.mode,
      durationSeconds: Number(((Date.now() - this.started.getTime()) / 1000).toFixed(1)),
      machine: {
        ...this.machine,
        loadAverageStart: this.loadStart,
        loadAverageEnd: loadavg(),
        processesStart: this.processesStart,
        processesEnd: processCount()
      },
      goals: this.goals,
      sections: this.sections,
      afterSection: this.sectionLoad,
      errors: this.errors
    }
  }

  /** Writes the JSON; the full run under bench/results/<date>.json, a smoke run in the temp dir. */
  write(): string {
    const day = this.started.toISOString().slice(0, 10)
    const file = this.mode === "full"
      ? Path.join(Path.dirname(new URL(import.meta.url).pathname), "results", `${day}.json`)
      : Path.join(os.tmpdir(), `agentbay-bench-smoke-${day}.json`)
    Fs.mkdirSync(Path.dirname(file), { recursive: true })
    Fs.writeFileSync(file, `${JSON.stringify(this.json(), null, 2)}\n`)
    return file
  }
}
