// The CLI server as a child process (`node --import tsx src/bin.ts serve`), for tests of what survives a SIGKILL
// and a restart on the same data dir: start it, stop it with a signal, clean up after it, and talk to it with
// the SDK.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const bin = path.join(root, "packages/local/src/bin.ts")

export interface Server {
  readonly child: ChildProcess
  readonly endpoint: string
  readonly output: () => string
}

/** Resolves when the child has exited. */
export const exited = (child: ChildProcess) =>
  Effect.async<{ code: number | null; signal: NodeJS.Signals | null }>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return resume(Effect.succeed({ code: child.exitCode, signal: child.signalCode }))
    }
    child.once("exit", (code, signal) => resume(Effect.succeed({ code, signal })))
  })

/** Sends `signal` (if the child still runs) and waits (bounded) for its exit. */
export const stop = (child: ChildProcess, signal: NodeJS.Signals) =>
  Effect.suspend(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited(child)
  }).pipe(Effect.timeout("10 seconds"), Effect.orDie)

/**
 * `agentbay-local serve --port 0 --data-dir <dataDir> ...args` as a child process, once its banner is printed
 * (at most `bannerWithin` ms); the finalizer SIGKILLs it if still running. The chaos suite uses it too.
 */
export const start = (dataDir: string, args: ReadonlyArray<string>, bannerWithin = 25_000) =>
  Effect.acquireRelease(
    Effect.async<Server, Error>((resume) => {
      const child = spawn(process.execPath, [
        "--import",
        "tsx",
        bin,
        "serve",
        "--port",
        "0",
        "--data-dir",
        dataDir,
        ...args
      ], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
      let output = ""
      let done = false
      const finish = (result: Effect.Effect<Server, Error>) => {
        if (done) return
        done = true
        clearTimeout(timer)
        resume(result)
      }
      const timer = setTimeout(
        () => finish(Effect.fail(new Error(`no banner within ${bannerWithin / 1000} s:\n${output}`))),
        bannerWithin
      )
      const read = (chunk: Buffer) => {
        output += chunk.toString("utf8")
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match && output.includes("Stop with")) {
          finish(Effect.succeed({ child, endpoint: match[1]!, output: () => output }))
        }
      }
      child.stdout!.on("data", read)
      child.stderr!.on("data", read)
      child.once("exit", (code) => finish(Effect.fail(new Error(`serve exited with ${code}:\n${output}`))))
    }),
    (server) => stop(server.child, "SIGKILL")
  )

/**
 * Starts `serve` on a free port of 127.0.0.1 over `dataDir` (isolation `process` unless `args` say otherwise)
 * and waits (bounded) for its banner; the finalizer SIGKILLs it if still running.
 */
export const serve = (dataDir: string, ...args: Array<string>) =>
  start(dataDir, [...(args.includes("--isolation") ? [] : ["--isolation", "process"]), ...args])

/** Processes a killed server left behind (no isolation: they outlive it): those working in the data dir. */
export const killStrays = (dataDir: string) =>
  Effect.sync(() => {
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/cwd`).startsWith(dataDir)) process.kill(Number(pid), "SIGKILL")
      } catch {
        // gone, or not ours to inspect
      }
    }
  })

/** A fresh data directory; when the scope closes, the processes left in it are killed and it is removed. */
export const tempDataDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.zipRight(killStrays(dir), Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
  )

/** Runs `use` with the SDK pointed at `server` with `key`. */
export const client = (server: Server, key: string) => <A, E, R>(use: Effect.Effect<A, E, R>) =>
  use.pipe(
    Effect.provide(AgentBay.layer({ apiKey: Redacted.make(key), endpoint: server.endpoint })),
    Effect.provide(NodeHttpClient.layerUndici)
  )
