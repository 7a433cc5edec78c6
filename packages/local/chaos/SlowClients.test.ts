// Slow and idle clients against an in-process local server. With the default
// limits: 300 idle connections and 50 slowloris senders (a header byte every
// 100 ms, never finishing) do not stop the server answering normal requests
// (each within a generous 5 s bound; the times are printed), and the server
// closes them all once its header timeout (default 15 s) has passed. With
// short timeouts passed as options: a stalled header sender, a stalled body
// sender, an idle new connection and an idle kept-alive connection are each
// closed within their configured timeout (plus a generous margin, never
// before it), with a 408 envelope where an answer is due.
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as net from "node:net"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { type Answer, envelopeViolation, figure, filesDouble, form, formType, send } from "./utils.js"

const key = "akl-chaos-slow-0123456789abcdef"
const idleCount = 300
const slowCount = 50

interface Tracked {
  readonly socket: net.Socket
  readonly opened: number
  closedAt: number | undefined
  /** What the server wrote before closing. */
  received: string
}

/** A connection whose close (by the server) is timed. */
const track = (port: number, onConnect: (socket: net.Socket) => void): Tracked => {
  const socket = net.connect({ host: "127.0.0.1", port })
  const tracked: Tracked = { socket, opened: Date.now(), closedAt: undefined, received: "" }
  socket.on("connect", () => onConnect(socket))
  socket.on("data", (d: Buffer) => {
    if (tracked.received.length < 4096) tracked.received += d.toString("utf8")
  })
  socket.on("error", () => undefined)
  socket.on("close", () => {
    tracked.closedAt = Date.now()
  })
  return tracked
}

const closedAfterMs = (t: Tracked) => (t.closedAt === undefined ? undefined : t.closedAt - t.opened)

/** The last response the server wrote on a tracked connection, as an `Answer`. */
const lastAnswer = (t: Tracked): Answer => {
  const at = t.received.lastIndexOf("HTTP/1.1 ")
  if (at < 0) return { _tag: "NoResponse", error: "closed without a response", ms: closedAfterMs(t) ?? 0 }
  const text = t.received.slice(at)
  const end = text.indexOf("\r\n\r\n")
  const headers: Record<string, string> = {}
  for (const line of text.slice(0, end).split("\r\n").slice(1)) {
    const i = line.indexOf(":")
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  return {
    _tag: "Response",
    status: Number(text.slice(9, 12)),
    headers,
    text: text.slice(end + 4),
    ms: closedAfterMs(t) ?? 0
  }
}

const normalRequest = (port: number) =>
  send(false, port, {
    path: "/?Action=ListSession",
    headers: formType,
    body: form({ Authorization: `Bearer ${key}`, MaxResults: "5" })
  }, 30_000)

/** Waits (real time, bounded) until every tracked connection is closed. */
const allClosed = (ts: ReadonlyArray<Tracked>, limitMs: number) =>
  Effect.gen(function*() {
    const deadline = Date.now() + limitMs
    while (Date.now() < deadline && ts.some((t) => t.closedAt === undefined)) yield* Effect.sleep("100 millis")
    return ts.every((t) => t.closedAt !== undefined)
  })

const slowHeaders = (port: number, i: number, timers: Array<ReturnType<typeof setInterval>>) =>
  track(port, (socket) => {
    socket.write(`POST /?Action=ListSession HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `)
    timers.push(setInterval(() => {
      if (!socket.destroyed) socket.write("a")
    }, 100))
  })

const Defaults = AgentBayLocal.layerServerWith({ apiKeys: [Redacted.make(key)] }, (dataDir) => filesDouble(dataDir))

layer(Defaults, { excludeTestServices: true, timeout: "60 seconds" })("slow and idle clients, default limits", (it) => {
  it.effect(
    `${idleCount} idle connections and ${slowCount} slowloris senders: normal requests are answered; the header timeout closes them all`,
    () =>
      Effect.gen(function*() {
        const port = (yield* AgentBayLocal.Info).port
        const timers: Array<ReturnType<typeof setInterval>> = []
        const idle = Array.from({ length: idleCount }, () => track(port, () => undefined))
        const slow = Array.from({ length: slowCount }, (_, i) => slowHeaders(port, i, timers))
        const everything = [...idle, ...slow]
        yield* Effect.gen(function*() {
          yield* Effect.sleep("1 second")
          const latencies: Array<number> = []
          for (let i = 0; i < 10; i++) {
            const answer = yield* normalRequest(port)
            const violation = envelopeViolation(answer)
            assert.isUndefined(violation, violation)
            assert.strictEqual(answer._tag === "Response" && answer.status, 200)
            latencies.push(answer.ms)
            yield* Effect.sleep("300 millis")
          }
          const openWhileMeasuring = everything.filter((t) => t.closedAt === undefined).length
          figure("slow/defaults", { idle: idleCount, slow: slowCount, openWhileMeasuring, latenciesMs: latencies })
          assert.isTrue(latencies.every((ms) => ms < 5_000), `every normal request answered within 5 s: ${latencies}`)
          assert.strictEqual(openWhileMeasuring, idleCount + slowCount, "all of them were open while measuring")
          // Default header timeout 15 s, checked every 3.75 s: all closed well within 45 s.
          const closed = yield* allClosed(everything, 45_000)
          const times = everything.flatMap((t) => closedAfterMs(t) ?? [])
          figure("slow/defaults-closed", {
            closed: times.length,
            minMs: Math.min(...times),
            maxMs: Math.max(...times),
            answers: [...new Set(everything.map((t) => t.received.split("\r\n")[0] || "(none)"))]
          })
          assert.isTrue(closed, "the server closes every idle and slow connection after its header timeout")
          assert.isTrue(times.every((ms) => ms >= 13_500), "not before the 15 s header timeout")
          for (const t of slow) {
            const violation = envelopeViolation(lastAnswer(t))
            assert.isUndefined(violation, `a stalled sender's answer: ${violation}`)
          }
          const after = yield* normalRequest(port)
          assert.isUndefined(envelopeViolation(after), "and it still serves")
        }).pipe(Effect.ensuring(Effect.sync(() => {
          for (const timer of timers) clearInterval(timer)
          for (const t of everything) t.socket.destroy()
        })))
      }),
    { timeout: 90_000 }
  )
})

const timeouts = { headersTimeout: 2_000, requestTimeout: 4_000, keepAliveTimeout: 1_000 }
const Short = AgentBayLocal.layerServerWith({
  apiKeys: [Redacted.make(key)],
  headersTimeout: `${timeouts.headersTimeout} millis`,
  requestTimeout: `${timeouts.requestTimeout} millis`,
  keepAliveTimeout: `${timeouts.keepAliveTimeout} millis`
}, (dataDir) => filesDouble(dataDir))

layer(Short, { excludeTestServices: true, timeout: "60 seconds" })("slow and idle clients, short timeouts", (it) => {
  it.effect(
    "stalled headers, a stalled body, an idle connection and an idle kept-alive one are closed within their timeouts",
    () =>
      Effect.gen(function*() {
        const port = (yield* AgentBayLocal.Info).port
        const timers: Array<ReturnType<typeof setInterval>> = []
        const body = form({ Authorization: `Bearer ${key}` })
        const stalledHeaders = slowHeaders(port, 0, timers)
        const stalledBody = track(port, (socket) => {
          socket.write(
            `POST /?Action=ListSession HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n${body}&Pad=`
          )
          timers.push(setInterval(() => {
            if (!socket.destroyed) socket.write("a")
          }, 100))
        })
        const idle = track(port, () => undefined)
        const keptAlive = track(port, (socket) => {
          socket.write(
            `POST /?Action=ListSession HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`
          )
        })
        const all = [stalledHeaders, stalledBody, idle, keptAlive]
        yield* Effect.gen(function*() {
          const closed = yield* allClosed(all, 30_000)
          const measured = {
            stalledHeadersMs: closedAfterMs(stalledHeaders),
            stalledBodyMs: closedAfterMs(stalledBody),
            idleMs: closedAfterMs(idle),
            keptAliveMs: closedAfterMs(keptAlive)
          }
          figure("slow/short-timeouts", { configured: timeouts, ...measured })
          assert.isTrue(closed, `every connection is closed within 30 s: ${JSON.stringify(measured)}`)
          // Within the configured timeout, plus a generous margin for the checks and a noisy machine; never before it.
          const within = (ms: number | undefined, timeout: number, what: string) => {
            assert.isDefined(ms, what)
            assert.isAtLeast(ms!, timeout * 0.9, `${what}: not before its ${timeout} ms timeout`)
            assert.isAtMost(ms!, timeout + 10_000, `${what}: within its ${timeout} ms timeout (+10 s)`)
          }
          within(measured.stalledHeadersMs, timeouts.headersTimeout, "stalled headers")
          within(measured.stalledBodyMs, timeouts.requestTimeout, "a stalled body")
          within(measured.idleMs, timeouts.headersTimeout, "an idle connection")
          within(measured.keptAliveMs, timeouts.keepAliveTimeout, "an idle kept-alive connection")
          assert.match(keptAlive.received, /^HTTP\/1\.1 200/, "the kept-alive request was answered first")
          for (const [what, t] of [["stalled headers", stalledHeaders], ["a stalled body", stalledBody]] as const) {
            const answer = lastAnswer(t)
            const violation = envelopeViolation(answer)
            assert.isUndefined(violation, `${what}: ${violation}`)
            assert.strictEqual(answer._tag === "Response" && answer.status, 408, what)
          }
        }).pipe(Effect.ensuring(Effect.sync(() => {
          for (const timer of timers) clearInterval(timer)
          for (const t of all) t.socket.destroy()
        })))
      }),
    { timeout: 60_000 }
  )
})

const budget = { maxBodySize: 1024 * 1024, maxBodyBytesInFlight: 4 * 1024 * 1024, bodyWaitMs: 1_000 }
const Budgeted = AgentBayLocal.layerServerWith({
  apiKeys: [Redacted.make(key)],
  maxBodySize: budget.maxBodySize,
  maxBodyBytesInFlight: budget.maxBodyBytesInFlight,
  bodyWait: `${budget.bodyWaitMs} millis`,
  requestTimeout: "8 seconds"
}, (dataDir) => filesDouble(dataDir))

layer(Budgeted, { excludeTestServices: true, timeout: "60 seconds" })("large bodies held open", (it) => {
  it.effect(
    "20 unauthenticated 1 MiB bodies that stall hold at most the body budget; the rest get 503 envelopes; normal requests pass",
    () =>
      Effect.gen(function*() {
        const port = (yield* AgentBayLocal.Info).port
        const head = (path: string) =>
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${budget.maxBodySize}\r\n\r\n`
        // Each declares 1 MiB, sends 64 KiB of it, then nothing.
        const held = Array.from({ length: 20 }, () =>
          track(port, (socket) => {
            socket.write(head("/?Action=ListSession"))
            socket.write(`Pad=${"a".repeat(64 * 1024)}`)
          }))
        // A wrong key in the query is refused before the body is read.
        const wrongKey = track(port, (socket) => {
          socket.write(head(`/?Action=SyncContext&${form({ Authorization: "Bearer akl-not-a-key" })}`))
        })
        const all = [...held, wrongKey]
        yield* Effect.gen(function*() {
          yield* Effect.sleep(`${budget.bodyWaitMs + 500} millis`)
          const latencies: Array<number> = []
          for (let i = 0; i < 5; i++) {
            const answer = yield* normalRequest(port)
            assert.isUndefined(envelopeViolation(answer))
            latencies.push(answer.ms)
          }
          // Those that found no room within bodyWait were answered 503; bounded wait for the last of them.
          const deadline = Date.now() + 10_000
          const busy = () => held.filter((t) => lastAnswer(t)._tag === "Response")
          while (Date.now() < deadline && busy().length < 15) yield* Effect.sleep("100 millis")
          const answered = busy().map(lastAnswer)
          const statuses = answered.map((a) => (a._tag === "Response" ? a.status : 0))
          figure("slow/body-budget", {
            held: held.length,
            budget,
            answered: statuses.length,
            statuses: [...new Set(statuses)],
            latenciesMs: latencies
          })
          assert.isTrue(latencies.every((ms) => ms < 5_000), `normal requests within 5 s: ${latencies}`)
          // 4 MiB of budget holds at most 4 bodies of 1 MiB (past their 64 KiB allowance): 16 at least are turned away.
          assert.isAtLeast(statuses.filter((s) => s === 503).length, 15, `503s: ${statuses}`)
          for (const a of answered) {
            if (a._tag === "Response" && a.status === 503) {
              const body = JSON.parse(a.text)
              assert.isString(body.RequestId)
              assert.strictEqual(body.Code, "ServiceUnavailable")
              assert.strictEqual(body.HttpStatusCode, 503)
              assert.strictEqual(body.Success, false)
            }
          }
          const refused = lastAnswer(wrongKey)
          const violation = envelopeViolation(refused)
          assert.isUndefined(violation, `the wrong key in the query: ${violation}`)
          assert.strictEqual(refused._tag === "Response" && refused.status, 401)
        }).pipe(Effect.ensuring(Effect.sync(() => {
          for (const t of all) t.socket.destroy()
        })))
      }),
    { timeout: 60_000 }
  )
})
