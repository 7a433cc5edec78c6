#!/usr/bin/env node
/**
 * The CLI's entry point: runs it with Node's services. `NodeRuntime.runMain`
 * turns SIGINT/SIGTERM into an interruption, so `serve` closes its scope (server,
 * sandboxes, database) before the process exits. `run` has printed a failure as
 * one line already, so the runtime only sets the exit code (1), without a report.
 * The package's `agentbay-local` executable is bin/agentbay-local.js, which loads
 * a bundle of this file (bin/build/, made at install time) or dist/bin.js.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { run } from "./Cli.js"

run(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
