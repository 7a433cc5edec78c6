// The example of the official `create` documentation, in our SDK, on the local
// runtime: create a session, read /etc/hostname through its filesystem, delete it.
// The sandbox's system directories are its read-only view of the host's (what
// its commands see too), so the file is the host's /etc/hostname.
import { AgentBay } from "@effect-agentbay/core/AgentBay"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as AgentBayLocal from "../src/AgentBayLocal.js"

it.live("create, filesystem.readFile('/etc/hostname'), delete", () =>
  Effect.gen(function*() {
    const bay = yield* AgentBay
    const session = yield* bay.create({ labels: { project: "demo" } })
    const hostname = yield* session.filesystem.readFile("/etc/hostname")
    assert.strictEqual(hostname, Fs.readFileSync("/etc/hostname", "utf8"))
    const seen = yield* session.command.executeCommand("cat /etc/hostname")
    assert.strictEqual(seen.stdout, hostname) // what a command in the session reads, too
    const refused = yield* Effect.flip(session.filesystem.writeFile("/etc/hostname", "x"))
    assert.strictEqual(refused._tag, "ToolError")
    assert.include(refused.message, "read-only")
    yield* bay.delete(session)
  }).pipe(Effect.provide(AgentBayLocal.layer())), { timeout: 30_000 })
