// Per-call overhead of the SDK's HTTP stack against a raw node:http keep-alive
// request, on a trivial local server (127.0.0.1). Run: `npx tsx bench/client-overhead.ts`.
// Compares NodeHttpClient on undici and on node:http (keep-alive agent), both as a
// bare HttpClient POST and as a full AgentBayClient.getSession call.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

const N = Number(process.env.BENCH_N ?? 500)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 12)

const reply = JSON.stringify({
  RequestId: "r-1",
  Success: true,
  Code: "ok",
  HttpStatusCode: 200,
  Data: { SessionId: "s-1", Status: "RUNNING", ResourceUrl: "http://h/r", Token: "t", VpcResource: false }
})

const server = Http.createServer((req, res) => {
  req.resume()
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(reply) })
    res.end(reply)
  })
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const port = (server.address() as AddressInfo).port
const base = `http://127.0.0.1:${port}`
const form = "Authorization=Bearer+k&SessionId=s-1"

const agent = new Http.Agent({ keepAlive: true })
const raw = () =>
  new Promise<void>((resolve, reject) => {
    const req = Http.request(`${base}/?Action=GetSession&Format=json&Version=2025-05-06`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(form) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => {
        JSON.parse(Buffer.concat(chunks).toString("utf8"))
        resolve()
      })
      res.on("error", reject)
    })
    req.on("error", reject)
    req.end(form)
  })

const time = async (run: () => Promise<unknown>) => {
  for (let i = 0; i < 50; i++) await run() // warm-up
  const start = process.hrtime.bigint()
  for (let i = 0; i < N; i++) await run()
  return Number(process.hrtime.bigint() - start) / N / 1000 // µs per call
}

const median = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const min = (xs: Array<number>) => Math.min(...xs)

const stacks = {
  undici: NodeHttpClient.layerUndici,
  "node:http keep-alive": NodeHttpClient.layerWithoutAgent.pipe(
    Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
  )
}

type Contender = [name: string, run: () => Promise<unknown>, dispose: () => Promise<void>]
const contenders: Array<Contender> = [["raw node:http", raw, async () => {}]]
for (const [name, http] of Object.entries(stacks)) {
  const runtime = ManagedRuntime.make(
    Layer.merge(http, AgentBayClient.layer({ apiKey: Redacted.make("k"), endpoint: base }).pipe(Layer.provide(http)))
  )
  const post = Effect.flatMap(HttpClient.HttpClient, (client) =>
    HttpClientRequest.post(`${base}/?Action=GetSession`).pipe(
      HttpClientRequest.bodyUrlParams({ Authorization: "Bearer k", SessionId: "s-1" }),
      client.execute,
      Effect.flatMap((r) => r.json),
      Effect.scoped
    ))
  const get = Effect.flatMap(AgentBayClient.AgentBayClient, (c) => c.getSession("s-1"))
  contenders.push([`${name}: HttpClient`, () => runtime.runPromise(post), () => runtime.dispose()])
  contenders.push([`${name}: AgentBayClient.getSession`, () => runtime.runPromise(get), async () => {}])
}

const results = new Map<string, Array<number>>(contenders.map(([name]) => [name, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of contenders) results.get(name)!.push(await time(run))
}
// Rounds are interleaved across contenders; the best round is the least disturbed
// by other load on the machine, the median the typical one.
const raw0 = results.get("raw node:http")!
console.log(`${N} sequential calls x ${ROUNDS} interleaved rounds, µs per call (Node ${process.version})`)
console.log(`${"".padEnd(48)}${"median".padStart(8)}        ${"best".padStart(8)}`)
for (const [name, xs] of results) {
  const m = median(xs)
  const b = min(xs)
  const cell = (v: number, base: number) => `${v.toFixed(1).padStart(8)} ${(v / base).toFixed(2)}x`
  console.log(`${name.padEnd(48)}${cell(m, median(raw0))}  ${cell(b, min(raw0))}`)
}
for (const [, , dispose] of contenders) await dispose()
agent.destroy()
server.close()
