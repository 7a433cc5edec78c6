#!/usr/bin/env node
/**
 * The package's `agentbay-local` executable: runs the CLI with Node's services.
 * `NodeRuntime.runMain` turns SIGINT/SIGTERM into an interruption, so `serve`
 * closes its scope (server, sandboxes, database) before the process exits.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { run } from "./Cli.js"

run(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
