// One pause, resume or delete of BackendSessions: read, decide (core's Lifecycle),
// run the sandbox effect, write. Internal: the public surface is BackendSessions.ts.
import { InvalidState, type NotFound } from "@effect-agentbay/core/AgentBayError"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { BackendSandbox, SandboxError } from "../BackendSandbox.js"
import type * as BackendSync from "../BackendSync.js"
import type * as Persistence from "./sessionPersistence.js"
import type * as SessionState from "./sessionState.js"

export interface Deps {
  readonly sandbox: BackendSandbox.Service
  readonly persistence: ReturnType<typeof Persistence.make>
  readonly state: ReturnType<typeof SessionState.make>
}

// The caller holds the session's lock. A write that loses a compare-and-set race
// is retried from the read, `left` times in all.
export const transitionOnce = ({ persistence, sandbox, state }: Deps) => {
  const go = (
    owner: string,
    id: string,
    operation: Lifecycle.Operation,
    delayMillis: number,
    left: number
  ): Effect.Effect<"start" | "noop", NotFound | InvalidState | SandboxError | BackendSync.ContextSyncFailed> =>
    Effect.gen(function*() {
      const row = yield* state.get(owner, id)
      const decision = Lifecycle.decide(operation, row.status)
      if (decision === "reject") {
        return yield* new InvalidState({ resource: "Session", id, operation, status: row.status })
      }
      if (decision === "noop") return "noop" as const
      // The sandbox effect happens when the request is accepted; a failure leaves the state as it was.
      if (operation === "pause") yield* sandbox.pause(id)
      if (operation === "resume") yield* sandbox.resume(id)
      if (operation === "delete") yield* persistence.upload(row)
      const now = yield* Clock.currentTimeMillis
      const written = yield* state.write(row, Lifecycle.begin(operation, now, delayMillis), now)
      if (Option.isNone(written)) {
        if (left > 1) return yield* go(owner, id, operation, delayMillis, left - 1)
        return yield* Effect.dieMessage(`session ${id} kept changing during ${operation}`)
      }
      if (operation === "delete") {
        yield* sandbox.destroy(id)
        yield* persistence.dropFileTransfer(row)
      }
      return "start" as const
    })
  return go
}
