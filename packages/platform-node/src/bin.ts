#!/usr/bin/env node
/**
 * The `agentbay` executable: runs `Cli.run` with Node's services and exits
 * with its code. `NodeRuntime.runMain` turns SIGINT/SIGTERM into an
 * interruption: a wait in progress stops, and the exit code is 130. The
 * package's `agentbay` executable is bin/agentbay.js, which loads a bundle of
 * this file (bin/build/, made at install time) or dist/bin.js.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

import { run } from "./Cli.js"

run(process.argv).pipe(
  Effect.flatMap((code) => Effect.sync(() => void (process.exitCode = code))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // `run` has printed any failure; success leaves `process.exitCode` as set above.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : Cause.isInterruptedOnly(exit.cause) ? 130 : 1)
  })
)
