// Code that only consumes AgentBay, tested with AgentBayTest.layerStub: canned
// answers for the methods it uses, a clear defect for any other.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import { NotFound } from "@effect-agentbay/core/AgentBayError"
import { AgentBayTest } from "@effect-agentbay/testing"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

// The code under test: a session's status, with a session that is gone reported as such.
const statusOf = (id: string) =>
  Effect.flatMap(AgentBay.AgentBay, (bay) =>
    bay.get(id).pipe(
      Effect.map((s): string => s.status),
      Effect.catchTag("NotFound", () => Effect.succeed("GONE"))
    ))

// The message of the defect an effect died with.
const defect = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.exit(self), (exit) =>
    Exit.isFailure(exit)
      ? Option.getOrUndefined(Option.map(Cause.dieOption(exit.cause), (d) => (d as Error).message))
      : undefined)

describe("AgentBayTest.layerStub", () => {
  it.effect("answers with the stubbed method", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* statusOf("gone-1"), "GONE")
    }).pipe(Effect.provide(AgentBayTest.layerStub({
      get: (ref) => Effect.fail(new NotFound({ resource: "Session", id: typeof ref === "string" ? ref : ref.id }))
    }))))

  it.effect("an unstubbed method dies with a message naming it", () =>
    Effect.gen(function*() {
      const bay = yield* AgentBay.AgentBay
      assert.include(yield* defect(bay.create()), "AgentBay.create is not stubbed")
      assert.include(yield* defect(bay.betaPauseAsync("s-1")), "AgentBay.betaPauseAsync is not stubbed")
      assert.include(yield* defect(Effect.scoped(bay.session())), "AgentBay.session is not stubbed")
      assert.include(yield* defect(Stream.runDrain(bay.list())), "AgentBay.list is not stubbed")
    }).pipe(Effect.provide(AgentBayTest.layerStub({}))))
})
