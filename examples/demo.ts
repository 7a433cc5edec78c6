/**
 * `pnpm demo`: the quickstart workflow, an agent at work in a session, and a
 * workspace carried across two sessions by a context, against a real target.
 *
 *   pnpm demo            embedded local runtime (wire-compatible server + SQLite + sandboxes), no key needed
 *   pnpm demo --memory   in-memory fake backend (@effect-agentbay/testing)
 *   pnpm demo --cloud    the AgentBay cloud: AGENTBAY_API_KEY (and optionally AGENTBAY_ENDPOINT) from env or .env
 */
import * as AgentBayLocal from "@effect-agentbay/local/AgentBayLocal"
import * as Sandbox from "@effect-agentbay/local/Sandbox"
import * as NodeAgentBay from "@effect-agentbay/platform-node/NodeAgentBay"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

import { agentShell } from "./agent-shell.js"
import { persistentWorkspace } from "./persistent-workspace.js"
import { quickstart } from "./quickstart.js"

const target = process.argv.includes("--cloud") ? "cloud" : process.argv.includes("--memory") ? "memory" : "local"

const local = AgentBayLocal.layer({ transitionDelay: "300 millis" }).pipe(
  Layer.tap((ctx) =>
    Effect.gen(function*() {
      const info = yield* Effect.provide(AgentBayLocal.Info, ctx)
      yield* Console.log(`target: embedded local runtime at ${info.endpoint}`)
      yield* Console.log(`        state in ${info.dataDir}${info.temporary ? " (temporary)" : ""}`)
      yield* Console.log(`        isolation: ${Sandbox.describe(info.isolation)}`)
      if (Option.isSome(info.generatedKey)) yield* Console.log("        API key: generated for this run")
    })
  )
)

const memory = AgentBayTest.layer({ transitionDelay: "300 millis" }).pipe(
  Layer.tap(() => Console.log("target: in-memory fake backend (@effect-agentbay/testing), real clock"))
)

const cloud = NodeAgentBay.layer.pipe(Layer.tap(() => Console.log("target: AgentBay cloud (AGENTBAY_* settings)")))

const layer = target === "cloud" ? cloud : target === "memory" ? memory : local

const header = Console.log("  step                   result                                          elapsed")

const main = Effect.gen(function*() {
  yield* Console.log(
    "effect-agentbay demo: one session's whole life, then an agent at work (pnpm demo [--memory|--cloud])\n"
  )
  const [elapsed] = yield* Effect.timed(Effect.provide(
    Effect.gen(function*() {
      yield* header
      yield* quickstart
      // The fake runs no programs (its commands are what a test programs), so the agent part needs a real target.
      if (target === "memory") return yield* Console.log("\n(agent shell: skipped on --memory, where nothing runs)")
      yield* Console.log("\nAgent shell: write a script into a session, run it, read what it wrote")
      yield* header
      yield* agentShell
      yield* Console.log("\nPersistent workspace: a context carries files from one session to the next")
      yield* header
      yield* persistentWorkspace
    }),
    layer
  ))
  yield* Console.log(`\ndone in ${Duration.toMillis(elapsed).toFixed(0)} ms (target: ${target})`)
})

NodeRuntime.runMain(main)
