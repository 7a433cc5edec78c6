// Shared by the leak tests (Leaks.test.ts, ContextLeaks.test.ts): the SDK's
// fast waits, an `HttpClient` that injects faults between the SDK and a real
// server, the SDK over a local server, capturing the release warnings, and
// running one planned workflow into the outcome counts.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import type * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import type { Rng } from "./utils.js"

export const fastWaits: AgentBay.Waits = {
  transition: { interval: "10 millis", timeout: "30 seconds" },
  delete: { interval: "10 millis", timeout: "30 seconds" },
  contextSync: { interval: "10 millis", timeout: "30 seconds" }
}

/**
 * An `HttpClient` (undici) with faults decided per request, with a 10 %
 * chance: a transport error or a 503 envelope before sending (nothing reaches
 * the server; not for DeleteSessionAsync, whose release makes one attempt), a
 * lost response after the server acted (not for CreateMcpSession: not retried,
 * so that leaks by design), or a delay of 5 to 80 ms. `faults` counts them.
 */
export const faultyHttp = (r: Rng, faults: Record<string, number>): Layer.Layer<HttpClient.HttpClient> =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(
      HttpClient.HttpClient,
      (client) =>
        HttpClient.transform(client, (effect, request) =>
          Effect.suspend(() => {
            const action = String(request.headers["x-acs-action"] ?? "")
            if (!r.chance(0.1)) return effect
            const kind = r.pick(["transport", "503", "lost", "slow"] as const)
            const preSendAllowed = action !== "DeleteSessionAsync"
            const lostAllowed = action !== "CreateMcpSession"
            const transport = () =>
              new HttpClientError.RequestError({
                request,
                reason: "Transport",
                cause: new Error("chaos: injected")
              })
            if (kind === "transport" && preSendAllowed) {
              faults.transport = (faults.transport ?? 0) + 1
              return Effect.fail(transport())
            }
            if (kind === "503" && preSendAllowed) {
              faults["503"] = (faults["503"] ?? 0) + 1
              const body = {
                RequestId: "chaos",
                Success: false,
                Code: "ServiceUnavailable",
                Message: "chaos: injected",
                HttpStatusCode: 503
              }
              return Effect.succeed(HttpClientResponse.fromWeb(
                request,
                new Response(JSON.stringify(body), { status: 503, headers: { "content-type": "application/json" } })
              ))
            }
            if (kind === "lost" && lostAllowed) {
              faults.lost = (faults.lost ?? 0) + 1
              return Effect.flatMap(
                effect,
                (response) => Effect.zipRight(Effect.ignore(response.text), Effect.fail(transport()))
              )
            }
            faults.slow = (faults.slow ?? 0) + 1
            return Effect.delay(effect, `${r.between(5, 80)} millis`)
          }))
    )
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))

/** The SDK (fast waits) against the local server of `AgentBayLocal.Info`, over `http`. */
export const localSdk = (key: Redacted.Redacted, http: Layer.Layer<HttpClient.HttpClient>) =>
  Layer.unwrapEffect(
    Effect.map(AgentBayLocal.Info, (info) =>
      AgentBay.layer({ apiKey: key, endpoint: info.endpoint }).pipe(
        Layer.provide(http),
        Layer.provide(AgentBay.layerWaits(fastWaits))
      ))
  )

/** The release warnings (`AgentBay: could not delete session <id>`), captured instead of printed. */
export const captureWarnings = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => {
    lines.push(Array.isArray(message) ? message.map(String).join(" ") : String(message))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

/** How the workflows of a leak test ended. */
export interface Outcomes {
  succeeded: number
  failed: Record<string, number>
  interrupted: number
  defects: Array<string>
}

export const noOutcomes = (): Outcomes => ({ succeeded: 0, failed: {}, interrupted: 0, defects: [] })

/**
 * Runs one workflow in its own fiber, interrupts it after `interruptAfterMs` when planned (the
 * interruption waits for the scope's release), and counts how it ended in `outcomes`.
 */
export const runCounted = <A, E, R>(
  workflow: Effect.Effect<A, E, R>,
  interruptAfterMs: number | undefined,
  outcomes: Outcomes
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(workflow)
    if (interruptAfterMs !== undefined) {
      yield* Effect.sleep(`${interruptAfterMs} millis`)
      yield* Fiber.interrupt(fiber)
    }
    const exit = yield* Fiber.await(fiber)
    if (Exit.isSuccess(exit)) outcomes.succeeded++
    else if (Cause.isInterruptedOnly(exit.cause)) outcomes.interrupted++
    else if (Cause.isDie(exit.cause)) outcomes.defects.push(Cause.pretty(exit.cause).slice(0, 400))
    else {
      const error = Cause.squash(exit.cause)
      const tag = typeof error === "string" ? "gave up" : (error as { _tag?: string })._tag ?? "unknown"
      outcomes.failed[tag] = (outcomes.failed[tag] ?? 0) + 1
    }
  })
