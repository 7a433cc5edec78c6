// Test helpers of the local package: a Sandbox double that records calls, and a
// raw HTTP client (node:http) for requests the SDK would never send.
import { BackendSandbox, type SessionFiles } from "@effect-agentbay/backend/BackendSandbox"
import * as MemoryFiles from "@effect-agentbay/backend/MemoryFiles"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as http from "node:http"
import { Sandbox, SandboxError } from "../src/Sandbox.js"

export type SandboxOp = "start" | "pause" | "resume" | "destroy"

/**
 * A Sandbox that runs nothing: it records every call in `calls` (as `op:id`)
 * and fails the operations listed in `failing` (as `op`).
 */
export const sandboxDouble = () => {
  const calls: Array<string> = []
  const failing = new Set<SandboxOp>()
  // Files in memory, one tree per session (nothing runs in the double).
  const files = new Map<string, SessionFiles>()
  const record = (op: SandboxOp, id: string) =>
    Effect.suspend(() => {
      if (failing.has(op)) return Effect.fail(new SandboxError({ sessionId: id, operation: op, reason: "injected" }))
      calls.push(`${op}:${id}`)
      return Effect.void
    })
  const service = Sandbox.of({
    isolation: { level: "process", detail: "test double: nothing runs" },
    start: (id) => record("start", id),
    pause: (id) => record("pause", id),
    resume: (id) => record("resume", id),
    destroy: (id) => Effect.orDie(record("destroy", id)),
    // Volumes are accepted (mounted nowhere: nothing runs in the double).
    removeVolume: () => Effect.void,
    exec: (id) => Effect.fail(new SandboxError({ sessionId: id, operation: "exec", reason: "not in the double" })),
    pids: () => Effect.succeed([]),
    root: (id) => `/nonexistent/${id}`,
    home: (id) => `/nonexistent/${id}/home`,
    files: (id) => {
      let f = files.get(id)
      if (f === undefined) files.set(id, f = MemoryFiles.make())
      return f
    }
  })
  const of = (id: string) => calls.filter((c) => c.endsWith(`:${id}`))
  const layer = Layer.merge(Layer.succeed(Sandbox, service), Layer.succeed(BackendSandbox, service))
  return { calls, failing, layer, of }
}

export interface RawResponse {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly text: string
  /** The parsed body; `undefined` when it is not JSON. */
  readonly json: any
}

export interface RawRequest {
  readonly method?: string
  /** Request target, e.g. `/?Action=GetSession`. */
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string | Uint8Array | undefined
  /** Send the body as several chunks (`Transfer-Encoding: chunked`, no Content-Length). */
  readonly chunked?: boolean
}

/** One request over a fresh connection; resolves with whatever the server answered. */
export const raw = (port: number, request: RawRequest): Effect.Effect<RawResponse, Error> =>
  Effect.async<RawResponse, Error>((resume) => {
    const headers: Record<string, string> = { ...request.headers }
    const body = request.body === undefined ? undefined : Buffer.from(request.body)
    const chunked = request.chunked === true ||
      Object.entries(headers).some(([k, v]) => k.toLowerCase() === "transfer-encoding" && v.toLowerCase() === "chunked")
    if (body !== undefined && !chunked) headers["content-length"] = String(body.length)
    if (request.chunked) headers["transfer-encoding"] = "chunked"
    const req = http.request(
      { host: "127.0.0.1", port, method: request.method ?? "POST", path: request.path, headers, agent: false },
      (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, text, json }))
        })
        res.on("error", (e) => resume(Effect.fail(e)))
      }
    )
    req.on("error", (e) => resume(Effect.fail(e)))
    if (body !== undefined) {
      if (chunked) {
        // Several chunks, as the official client's transport produces them.
        const step = Math.max(1, Math.ceil(body.length / 3))
        for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step))
      } else {
        req.write(body)
      }
    }
    req.end()
  })

/** Form-encodes fields the way the official client does (spaces as %20). */
export const form = (fields: Readonly<Record<string, string>>): string =>
  Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&")

/** The port of an `http://host:port` endpoint. */
export const portOf = (endpoint: string): number => Number(new URL(endpoint).port)

/** The state letter of /proc/<pid>/stat (R, S, T, Z, ...), or undefined once the process is gone. */
export const stateOf = (pid: number): string | undefined => {
  try {
    const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
  } catch {
    return undefined
  }
}
