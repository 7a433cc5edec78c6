// Child process of the local-runtime sections of `pnpm bench`: the local
// AgentBay server (packages/local) on a free port of 127.0.0.1, over a temporary
// data dir, accepting the key given as the first argument, with the isolation
// given as the second ("process" by default; "auto" or "bubblewrap" for real
// sandboxes), recording spans on request when the third is "spans". Prints
// "<port> <isolation level> <data dir>" when ready; stops (and removes its data
// dir) when stdin closes. On request (lines on stdin, below)
// it profiles itself or records its spans' durations.
import * as Fs from "node:fs"
import * as Inspector from "node:inspector/promises"

import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"

import * as Spans from "./spans.js"

// Lines on stdin: "profile-start <file>" starts the CPU profiler, "profile-stop"
// writes the profile to that file (through a temporary name, then renamed).
const profiler = new Inspector.Session()
let profileFile: string | undefined
const command = async (line: string) => {
  if (line.startsWith("profile-start ")) {
    profileFile = line.slice("profile-start ".length)
    profiler.connect()
    await profiler.post("Profiler.enable")
    await profiler.post("Profiler.setSamplingInterval", { interval: 100 })
    await profiler.post("Profiler.start")
  } else if (line === "profile-stop" && profileFile !== undefined) {
    const { profile } = await profiler.post("Profiler.stop")
    profiler.disconnect()
    writeAtomically(profileFile, profile)
  } else if (line === "spans-start") {
    recorder.start()
  } else if (line.startsWith("spans-dump ")) {
    writeAtomically(line.slice("spans-dump ".length), recorder.stop())
  }
}

// Span durations, recorded between "spans-start" and "spans-dump <file>" (which
// writes { name: [ms, ...] } and stops recording).
const recorder = Spans.make()

const writeAtomically = (file: string, data: unknown) => {
  Fs.writeFileSync(`${file}.tmp`, JSON.stringify(data))
  Fs.renameSync(`${file}.tmp`, file)
}

const key = process.argv[2] ?? "sk-bench"
const isolation = (process.argv[3] ?? "process") as "auto" | "bubblewrap" | "process"
// The span recorder is installed only when asked ("spans" as the third argument),
// so that the throughput sections measure the server as it ships.
const withSpans = process.argv[4] === "spans"
const program = Effect.gen(function*() {
  const info = yield* AgentBayLocal.Info
  process.stdout.write(`${info.port} ${info.isolation.level} ${info.dataDir}\n`)
  yield* Effect.async<void>((resume) => {
    process.stdin.setEncoding("utf8")
    let buffered = ""
    process.stdin.on("data", (chunk: string) => {
      buffered += chunk
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        void command(buffered.slice(0, end).trim())
        buffered = buffered.slice(end + 1)
      }
    })
    process.stdin.on("end", () => resume(Effect.void))
    process.stdin.on("close", () => resume(Effect.void))
    process.stdin.resume()
  })
})
await Effect.runPromise(
  Effect.scoped(Effect.provide(
    program,
    Layer.fresh(AgentBayLocal.layerServer({
      apiKeys: [Redacted.make(key)],
      isolation,
      transitionDelay: "10 millis"
    })).pipe(Layer.provide(withSpans ? recorder.layer : Layer.empty))
  ))
)
process.exit(0)
