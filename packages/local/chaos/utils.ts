// Helpers of the chaos suite (`pnpm test:chaos`): a seeded random source, the
// envelope check every answer must pass, HTTP over keep-alive connections and
// over raw sockets (for requests node:http cannot send), the process table
// (/proc), the CLI server as a child process, and a sandbox double with real
// files (LocalFiles) but no processes.
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ChildProcess } from "node:child_process"
import * as Fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as LocalFiles from "../src/LocalFiles.js"
import { Sandbox } from "../src/Sandbox.js"
import * as ServeChild from "../test/serveChild.js"

/** The repository's root. */
export const root = fileURLToPath(new URL("../../..", import.meta.url))

// ---------------------------------------------------------------------------
// Randomness and reporting
// ---------------------------------------------------------------------------

/**
 * The seed of a test: `CHAOS_SEED` when set (to replay a run), else a fresh
 * one. Printed, so that a failing run can be replayed.
 */
export const seedOf = (name: string): number => {
  const given = process.env.CHAOS_SEED
  const seed = given !== undefined && given !== "" ? Number(given) >>> 0 : (Math.random() * 2 ** 32) >>> 0
  figure(name, { seed })
  return seed
}

/** A small seeded generator (mulberry32): the chaos decisions of one test. */
export interface Rng {
  /** In [0, 1). */
  readonly next: () => number
  /** An integer in [0, n). */
  readonly int: (n: number) => number
  /** An integer in [min, max]. */
  readonly between: (min: number, max: number) => number
  readonly chance: (p: number) => boolean
  readonly pick: <A>(items: ReadonlyArray<A>) => A
}

export const rng = (seed: number): Rng => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!
  }
}

/** Prints a measured figure as one `[chaos]` line (RELIABILITY.md quotes them). */
export const figure = (name: string, values: Readonly<Record<string, unknown>>): void => {
  console.log(`[chaos] ${name}: ${Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`)
}

// ---------------------------------------------------------------------------
// Answers and the envelope rule
// ---------------------------------------------------------------------------

/** What came back for one request. */
export type Answer =
  | {
    readonly _tag: "Response"
    readonly status: number
    readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
    readonly text: string
    readonly ms: number
  }
  | { readonly _tag: "NoResponse"; readonly error: string; readonly ms: number }
  | { readonly _tag: "Timeout"; readonly ms: number }

const envelopeKeys = ["RequestId", "Success", "Code", "Message", "HttpStatusCode"] as const

/**
 * Why an answer breaks the rule every answer must follow, or `undefined`: a
 * response within the bound, 2xx or 4xx (never 5xx), `application/json`, one
 * JSON object with `RequestId` (non-empty string), `Success` (true exactly for
 * 2xx), `Code` (non-empty string), `Message` (string) and `HttpStatusCode`
 * equal to the HTTP status.
 */
export const envelopeViolation = (answer: Answer): string | undefined => {
  if (answer._tag === "Timeout") return `no answer within ${answer.ms} ms`
  if (answer._tag === "NoResponse") return `no response (${answer.error})`
  const { status, text } = answer
  const head = `HTTP ${status}`
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    return `${head} without a JSON body: ${JSON.stringify(text.slice(0, 80))}`
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return `${head}: the body is not a JSON object`
  const missing = envelopeKeys.filter((k) => !(k in json))
  if (missing.length > 0) return `${head}: the envelope lacks ${missing.join(", ")}`
  if (status >= 500) return `${head} ${json.Code}`
  if (status < 200 || (status >= 300 && status < 400)) return `${head}: not 2xx or 4xx`
  const type = String(answer.headers["content-type"] ?? "")
  if (!/^application\/json/.test(type)) return `${head}: content-type ${JSON.stringify(type)}`
  if (typeof json.RequestId !== "string" || json.RequestId === "") return `${head}: RequestId is not a non-empty string`
  if (json.Success !== (status < 300)) return `${head}: Success is ${JSON.stringify(json.Success)}`
  if (typeof json.Code !== "string" || json.Code === "") return `${head}: Code is not a non-empty string`
  if (typeof json.Message !== "string") return `${head}: Message is not a string`
  if (json.HttpStatusCode !== status) return `${head}: HttpStatusCode is ${JSON.stringify(json.HttpStatusCode)}`
  return undefined
}

/** The parsed body of a response (undefined when it is not JSON). */
export const jsonOf = (answer: Answer): any => {
  if (answer._tag !== "Response") return undefined
  try {
    return JSON.parse(answer.text)
  } catch {
    return undefined
  }
}

/** Form-encodes fields the way the official client does (spaces as %20). */
export const form = (fields: Readonly<Record<string, string>>): string =>
  Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")

export const formType = { "content-type": "application/x-www-form-urlencoded" } as const

// ---------------------------------------------------------------------------
// HTTP over node:http (keep-alive) and over raw sockets
// ---------------------------------------------------------------------------

export interface Request {
  readonly method?: string | undefined
  /** Request target, e.g. `/?Action=GetSession`. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body?: string | Uint8Array | undefined
  /** Send the body in several chunks (`Transfer-Encoding: chunked`). */
  readonly chunked?: boolean | undefined
}

/**
 * One request through `agent` (keep-alive connections are reused), answered
 * within `timeoutMs` or reported as a `Timeout` (the request is then destroyed).
 */
export const send = (
  agent: http.Agent | false,
  port: number,
  request: Request,
  timeoutMs = 10_000
): Effect.Effect<Answer> =>
  Effect.async<Answer>((resume) => {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    let done = false
    const finish = (answer: Answer) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(Effect.succeed(answer))
    }
    const headers: Record<string, string> = { ...request.headers }
    const body = request.body === undefined ? undefined : Buffer.from(request.body)
    if (body !== undefined && !request.chunked) headers["content-length"] = String(body.length)
    if (request.chunked) headers["transfer-encoding"] = "chunked"
    let req: http.ClientRequest
    try {
      req = http.request({
        host: "127.0.0.1",
        port,
        method: request.method ?? "POST",
        path: request.path,
        headers,
        agent
      })
    } catch (error) {
      // node:http refuses some targets and header values itself (e.g. a NUL byte)
      finish({ _tag: "NoResponse", error: `client refused: ${(error as Error).message}`, ms: ms() })
      return
    }
    const timer = setTimeout(() => {
      finish({ _tag: "Timeout", ms: ms() })
      req.destroy()
    }, timeoutMs)
    req.on("response", (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        finish({
          _tag: "Response",
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
          ms: ms()
        }))
      res.on("error", (e) => finish({ _tag: "NoResponse", error: e.message, ms: ms() }))
    })
    req.on("error", (e) =>
      finish({ _tag: "NoResponse", error: `${(e as NodeJS.ErrnoException).code ?? e.message}`, ms: ms() }))
    if (body !== undefined) {
      if (request.chunked) {
        const step = Math.max(1, Math.ceil(body.length / 3))
        for (let i = 0; i < body.length; i += step) {
          req.write(body.subarray(i, i + step))
        }
      } else {
        req.write(body)
      }
    }
    req.end()
    return Effect.sync(() => {
      clearTimeout(timer)
      req.destroy()
    })
  })

interface Parsed {
  readonly status: number
  readonly headers: Record<string, string>
  readonly text: string
}

/** Parses one HTTP/1.1 response from `data`; `closed` says the peer has closed. Undefined while incomplete. */
const parseResponse = (data: Buffer, closed: boolean): Parsed | undefined => {
  const end = data.indexOf("\r\n\r\n")
  if (end < 0) return undefined
  const lines = data.subarray(0, end).toString("latin1").split("\r\n")
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? NaN)
  const headers: Record<string, string> = {}
  for (const line of lines.slice(1)) {
    const at = line.indexOf(":")
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim()
  }
  const rest = data.subarray(end + 4)
  if (headers["content-length"] !== undefined) {
    const length = Number(headers["content-length"])
    if (rest.length < length) return closed ? { status, headers, text: rest.toString("utf8") } : undefined
    return { status, headers, text: rest.subarray(0, length).toString("utf8") }
  }
  if ((headers["transfer-encoding"] ?? "").toLowerCase() === "chunked") {
    const out: Array<Buffer> = []
    let at = 0
    for (;;) {
      const lineEnd = rest.indexOf("\r\n", at)
      if (lineEnd < 0) return closed ? { status, headers, text: Buffer.concat(out).toString("utf8") } : undefined
      const size = parseInt(rest.subarray(at, lineEnd).toString("latin1"), 16)
      if (size === 0) return { status, headers, text: Buffer.concat(out).toString("utf8") }
      if (rest.length < lineEnd + 2 + size + 2) {
        return closed ? { status, headers, text: Buffer.concat(out).toString("utf8") } : undefined
      }
      out.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
  // No framing: the body runs to the close (or there is none: a 1xx/204/304).
  return closed || status === 204 || status === 304 ? { status, headers, text: rest.toString("utf8") } : undefined
}

export interface RawOptions {
  /** Half-close (FIN) after writing: the server sees the end of the request stream. */
  readonly halfClose?: boolean | undefined
  readonly timeoutMs?: number | undefined
}

/**
 * Writes `bytes` as they are on a fresh TCP connection (no HTTP client in the
 * way: any request line, headers or framing) and reads one response.
 */
export const rawExchange = (
  port: number,
  bytes: string | Uint8Array,
  options: RawOptions = {}
): Effect.Effect<Answer> =>
  Effect.async<Answer>((resume) => {
    const started = performance.now()
    const ms = () => Math.round(performance.now() - started)
    const chunks: Array<Buffer> = []
    let done = false
    const socket = net.connect({ host: "127.0.0.1", port })
    const finish = (answer: Answer) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resume(Effect.succeed(answer))
    }
    const check = (closed: boolean) => {
      const data = Buffer.concat(chunks)
      const parsed = parseResponse(data, closed)
      if (parsed !== undefined) {
        finish({ _tag: "Response", status: parsed.status, headers: parsed.headers, text: parsed.text, ms: ms() })
      } else if (closed) {
        finish({
          _tag: "NoResponse",
          error: data.length === 0
            ? "closed without a response"
            : `unparsable: ${JSON.stringify(data.toString("latin1").slice(0, 80))}`,
          ms: ms()
        })
      }
    }
    const timer = setTimeout(() => finish({ _tag: "Timeout", ms: ms() }), options.timeoutMs ?? 10_000)
    socket.on("connect", () => {
      socket.write(bytes)
      if (options.halfClose) socket.end()
    })
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk)
      check(false)
    })
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (chunks.length > 0) check(true)
      else finish({ _tag: "NoResponse", error: e.code ?? e.message, ms: ms() })
    })
    socket.on("close", () => check(true))
    return Effect.sync(() => {
      clearTimeout(timer)
      socket.destroy()
    })
  })

/** A POST of form `fields` (query `Action`), as bytes for `rawExchange`. */
export const rawPost = (
  action: string,
  fields: Readonly<Record<string, string>>,
  extraHeaders: ReadonlyArray<string> = ["Host: 127.0.0.1"]
): string => {
  const body = form(fields)
  return [
    `POST /?Action=${encodeURIComponent(action)} HTTP/1.1`,
    ...extraHeaders,
    "Content-Type: application/x-www-form-urlencoded",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Connection: close",
    "",
    body
  ].join("\r\n")
}

// ---------------------------------------------------------------------------
// The process table
// ---------------------------------------------------------------------------

/** One process: pid, parent and start time (clock ticks since boot: with the pid, it names one process). */
export interface Proc {
  readonly pid: number
  /** The command name (`comm`). */
  readonly name: string
  readonly ppid: number
  readonly start: string
  readonly state: string
}

const readStat = (pid: number): Proc | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // fields[0] is field 3 (state): ppid is field 4, starttime field 22
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"))
    return { pid, name, ppid: Number(fields[1]), start: fields[19]!, state: fields[0]! }
  } catch {
    return undefined
  }
}

/** Every process now. */
export const processTable = (): ReadonlyArray<Proc> =>
  Fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).flatMap((p) => readStat(Number(p)) ?? [])

/** The descendants of `pid` (not itself) in `table`. */
export const descendants = (pid: number, table: ReadonlyArray<Proc> = processTable()): ReadonlyArray<Proc> => {
  const out: Array<Proc> = []
  const queue = [pid]
  while (queue.length > 0) {
    const parent = queue.shift()!
    for (const p of table) {
      if (p.ppid === parent) {
        out.push(p)
        queue.push(p.pid)
      }
    }
  }
  return out
}

/** The same process (pid and start time) still runs (a zombie counts as gone). */
export const stillAlive = (p: Proc): boolean => {
  const now = readStat(p.pid)
  return now !== undefined && now.start === p.start && now.state !== "Z"
}

/** Processes working under `dir`: their cwd is inside it, or their command line names it (bwrap's binds). */
export const processesUnder = (dir: string): ReadonlyArray<Proc> =>
  processTable().filter((p) => {
    try {
      if (Fs.readlinkSync(`/proc/${p.pid}/cwd`).startsWith(dir)) return true
    } catch {
      // gone, or not readable
    }
    try {
      return Fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").includes(dir)
    } catch {
      return false
    }
  })

/** SIGKILLs processes working under `dir` (what a killed process-mode server leaves behind). Returns how many. */
export const killUnder = (dir: string): number => {
  let killed = 0
  for (const p of processesUnder(dir)) {
    if (p.pid === process.pid) continue
    try {
      process.kill(p.pid, "SIGKILL")
      killed++
    } catch {
      // already gone
    }
  }
  return killed
}

/** Polls (real time) until `condition` holds, at most `limitMs`; says whether it did. */
export const eventually = (condition: () => boolean, limitMs: number, intervalMs = 50): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    const deadline = Date.now() + limitMs
    for (;;) {
      if (condition()) return true
      if (Date.now() >= deadline) return false
      yield* Effect.sleep(`${intervalMs} millis`)
    }
  })

/** A fresh temporary directory, removed (after killing what works in it) with the scope. */
export const tempDir = (prefix: string, base: string = Os.tmpdir()) =>
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Fs.realpathSync(base), prefix))),
    (dir) =>
      Effect.sync(() => {
        killUnder(dir)
        Fs.rmSync(dir, { recursive: true, force: true })
      })
  )

/** Every file below `dir` (regular files only), as paths; none when `dir` does not exist. */
export const filesBelow = (dir: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  if (!Fs.existsSync(dir)) return out
  const visit = (d: string) => {
    for (const entry of Fs.readdirSync(d, { withFileTypes: true })) {
      const p = Path.join(d, entry.name)
      if (entry.isDirectory()) visit(p)
      else if (entry.isFile()) out.push(p)
    }
  }
  visit(dir)
  return out
}

// ---------------------------------------------------------------------------
// The CLI server as a child process
// ---------------------------------------------------------------------------

export interface ChildServer {
  readonly child: ChildProcess
  readonly endpoint: string
  readonly port: number
  readonly output: () => string
}

/** Resolves when the child has exited. */
export const exited = ServeChild.exited

/** Sends `signal` (if still running) and waits, at most 10 s, for the exit. */
export const stopChild = ServeChild.stop

/**
 * `agentbay-local serve --port 0 --data-dir <dataDir> ...args` as a child
 * process, once its banner is printed (at most 30 s); SIGKILLed with the scope
 * if still running.
 */
export const serveChild = (dataDir: string, args: ReadonlyArray<string>) =>
  Effect.map(
    ServeChild.start(dataDir, args, 30_000),
    (server): ChildServer => ({ ...server, port: Number(new URL(server.endpoint).port) })
  )

// ---------------------------------------------------------------------------
// A sandbox double with real files and no processes
// ---------------------------------------------------------------------------

/**
 * A `Sandbox` whose sessions are real directory trees under
 * `<dataDir>/sandboxes` with `LocalFiles` over them (path confinement
 * included), but run nothing: `exec` answers exit 0 with no output at once,
 * so fuzzed commands never run anywhere.
 */
export const filesDouble = (dataDir: string) => {
  const sandboxes = Path.join(dataDir, "sandboxes")
  const tree = (id: string): LocalFiles.Tree => {
    const root = Path.join(sandboxes, id)
    return { root, home: Path.join(root, "home"), tmp: Path.join(root, "tmp") }
  }
  const service = Sandbox.of({
    isolation: { level: "process", detail: "chaos double: real files, no processes" },
    start: (id) =>
      Effect.sync(() => {
        Fs.mkdirSync(tree(id).home, { recursive: true })
        Fs.mkdirSync(tree(id).tmp, { recursive: true })
      }),
    pause: () => Effect.void,
    resume: () => Effect.void,
    destroy: (id) => Effect.sync(() => Fs.rmSync(tree(id).root, { recursive: true, force: true })),
    exec: () => Effect.succeed({ exitCode: 0, stdout: "", stderr: "", timedOut: false }),
    pids: () => Effect.succeed([]),
    root: (id) => tree(id).root,
    home: (id) => tree(id).home,
    files: (id) => LocalFiles.make(tree(id))
  })
  return Layer.merge(Layer.succeed(Sandbox, service), Layer.succeed(BackendSandbox.BackendSandbox, service))
}
