// Helpers of `pnpm bench` (bench/run.ts): a server in a child process, the raw
// node:http baseline call, interleaved timing rounds, retained memory, report.
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as os from "node:os"
import * as Path from "node:path"
import * as v8 from "node:v8"
import { runInNewContext } from "node:vm"

export interface Contender {
  readonly name: string
  /** Makes `n` sequential calls. */
  readonly batch: (n: number) => Promise<unknown>
  /** The contender the verdict is about. */
  readonly target?: boolean
}

/** A contender that makes one call per promise. */
export const each = (name: string, call: () => Promise<unknown>, target?: boolean): Contender => ({
  name,
  batch: async (n) => {
    for (let i = 0; i < n; i++) await call()
  },
  ...(target === undefined ? {} : { target })
})

export interface Child {
  readonly pid: number
  readonly port: number
  readonly line: string
  /** Writes one line to the child's stdin. */
  readonly send: (line: string) => void
  readonly stop: () => Promise<void>
}

/**
 * Runs `script` (TypeScript, through the same loader as this process) in a
 * child process; it prints one line when ready (its port first) and exits when
 * its stdin closes.
 */
export const child = (
  script: URL,
  args: ReadonlyArray<string> = [],
  readyTimeoutMs = 20_000,
  stopTimeoutMs = 5_000
): Promise<Child> =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, script.pathname, ...args], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    const exited = new Promise<void>((done) => proc.once("exit", () => done()))
    const stop = async () => {
      proc.stdin.end()
      const timer = setTimeout(() => proc.kill("SIGKILL"), stopTimeoutMs)
      await exited
      clearTimeout(timer)
    }
    const timer = setTimeout(() => {
      proc.kill("SIGKILL")
      reject(new Error(`${script.pathname} did not start within ${readyTimeoutMs} ms`))
    }, readyTimeoutMs)
    // The ready line is the first that starts with the port; other output (a
    // server's log lines) is skipped, and everything is dropped once ready.
    let out = ""
    let ready = false
    proc.stdout.setEncoding("utf8")
    proc.stdout.on("data", (chunk: string) => {
      if (ready) return
      out += chunk
      for (let end = out.indexOf("\n"); end >= 0; end = out.indexOf("\n")) {
        const line = out.slice(0, end).trim()
        out = out.slice(end + 1)
        if (!/^\d+(\s|$)/.test(line)) continue
        ready = true
        clearTimeout(timer)
        const send = (text: string) => void proc.stdin.write(`${text}\n`)
        return resolve({ pid: proc.pid!, port: Number(line.split(" ")[0]), line, send, stop })
      }
    })
    proc.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`${script.pathname} exited (${code}) before it was ready`))
    })
  })

/** The JSON a child writes to `file` (atomically), once it is there; undefined after `timeoutMs`. */
export const waitForFile = async (file: string, timeoutMs = 15_000): Promise<unknown> => {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (Fs.existsSync(file)) {
      const data = JSON.parse(Fs.readFileSync(file, "utf8")) as unknown
      Fs.rmSync(file, { force: true })
      return data
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return undefined
}

let asked = 0

/** A temporary file name for a child's answer. */
export const answerFile = (what: string) =>
  Path.join(os.tmpdir(), `agentbay-bench-${what}-${process.pid}-${++asked}.json`)

/** Sends `<command> <file>` to a child and returns the JSON it writes there (undefined if none came). */
export const ask = (target: Child, command: string): Promise<unknown> => {
  const file = answerFile(command)
  target.send(`${command} ${file}`)
  return waitForFile(file)
}

/**
 * The baseline: one POST with a keep-alive agent, the body read and parsed,
 * what a hand-written client for the same action does.
 */
export const rawCall = (base: string, action: string, form: string) => {
  const agent = new Http.Agent({ keepAlive: true })
  const url = `${base}/?Action=${action}&Format=json&Version=2025-05-06`
  const headers = { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(form) }
  const call = () =>
    new Promise<unknown>((resolve, reject) => {
      const req = Http.request(url, { method: "POST", agent, headers }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
          } catch (e) {
            reject(e)
          }
        })
        res.on("error", reject)
      })
      req.on("error", reject)
      req.end(form)
    })
  return { call, close: () => agent.destroy() }
}

export const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ")

export const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const best = (xs: ReadonlyArray<number>) => Math.min(...xs)

export interface Result {
  readonly contender: Contender
  /** µs per call, one entry per round. */
  readonly rounds: ReadonlyArray<number>
}

/** Interleaved rounds of `n` sequential calls per contender, after a warm-up. */
export const rounds = async (
  contenders: ReadonlyArray<Contender>,
  options: { readonly n: number; readonly rounds: number; readonly deadline: number }
): Promise<ReadonlyArray<Result>> => {
  const times = contenders.map(() => [] as Array<number>)
  for (const c of contenders) await c.batch(Math.min(500, options.n))
  for (let round = 0; round < options.rounds; round++) {
    if (round >= 3 && Date.now() > options.deadline) break
    for (const [i, c] of contenders.entries()) {
      const start = process.hrtime.bigint()
      await c.batch(options.n)
      times[i]!.push(Number(process.hrtime.bigint() - start) / options.n / 1000)
    }
  }
  return contenders.map((contender, i) => ({ contender, rounds: times[i]! }))
}

export const printTimes = (results: ReadonlyArray<Result>) => {
  const [baseline] = results
  const m0 = median(baseline!.rounds)
  const b0 = best(baseline!.rounds)
  const width = Math.max(...results.map((r) => r.contender.name.length)) + 2
  console.log(`${"µs per call".padEnd(width)}${"median".padStart(9)}  ratio${"best".padStart(10)}  ratio`)
  for (const r of results) {
    const m = median(r.rounds)
    const b = best(r.rounds)
    console.log(
      `${r.contender.name.padEnd(width)}${m.toFixed(1).padStart(9)}  ${(m / m0).toFixed(2)}x${
        b.toFixed(1).padStart(10)
      }  ${(b / b0).toFixed(2)}x`
    )
  }
  console.log(`(${baseline!.rounds.length} rounds)`)
}

/** A full GC (the flag is set at run time, so no node option is needed). */
export const gc = (() => {
  v8.setFlagsFromString("--expose-gc")
  return runInNewContext("gc") as () => void
})()

export interface Memory {
  readonly name: string
  readonly heapKiB: number
  readonly rssKiB: number
  readonly calls: number
}

/** Retained heap and RSS after `calls` more calls, each side after a full GC. */
export const memory = async (
  contenders: ReadonlyArray<Contender>,
  options: { readonly calls: number; readonly deadline: number }
): Promise<ReadonlyArray<Memory>> => {
  const out: Array<Memory> = []
  for (const c of contenders) {
    if (Date.now() > options.deadline) break
    gc()
    const before = process.memoryUsage()
    await c.batch(options.calls)
    gc()
    const after = process.memoryUsage()
    out.push({
      name: c.name,
      heapKiB: (after.heapUsed - before.heapUsed) / 1024,
      rssKiB: (after.rss - before.rss) / 1024,
      calls: options.calls
    })
  }
  return out
}

export const printMemory = (rows: ReadonlyArray<Memory>) => {
  if (rows.length === 0) return console.log("memory: skipped (out of time)")
  const width = Math.max(...rows.map((r) => r.name.length)) + 2
  console.log(`${"retained per 10k calls (after GC)".padEnd(width)}${"heap KiB".padStart(10)}${"RSS KiB".padStart(10)}`)
  for (const r of rows) {
    const scale = 10_000 / r.calls
    console.log(
      `${r.name.padEnd(width)}${(r.heapKiB * scale).toFixed(0).padStart(10)}${
        (r.rssKiB * scale).toFixed(0).padStart(10)
      }`
    )
  }
}

/** The median ratio of `name` to the baseline (the first result), and its best-round ratio. */
export const ratio = (results: ReadonlyArray<Result>, name: string) => {
  const baseline = results[0]!.rounds
  const subject = results.find((r) => r.contender.name === name)!.rounds
  return { median: median(subject) / median(baseline), best: best(subject) / best(baseline) }
}

/** One line: the target contender's ratio against `target`, plus the runPromise-per-call one when measured. */
export const verdict = (results: ReadonlyArray<Result>, target: number, also?: string): string => {
  const subject = results.find((r) => r.contender.target) ?? results[1]!
  const r = ratio(results, subject.contender.name)
  const extra = also !== undefined && results.some((x) => x.contender.name === also)
    ? `; ${also}: ${ratio(results, also).median.toFixed(2)}x`
    : ""
  return `verdict: ${subject.contender.name} is ${r.median.toFixed(2)}x the raw request (median; best rounds ${
    r.best.toFixed(2)
  }x${extra}): ${r.median <= target ? "meets" : "MISSES"} the <= ${target}x target`
}
