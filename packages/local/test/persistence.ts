// The targets and helpers of the persistence suite (Persistence.test.ts): one suite body, run against the fake
// (AgentBayTest: memory, on the TestClock) and the embedded local runtime (AgentBayLocal: SQLite, files on disk,
// real processes, on the real clock), in each isolation mode that works here.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import type { ContextFile } from "@effect-agentbay/core/AgentBayContext"
import * as AgentBayTest from "@effect-agentbay/testing/AgentBayTest"
import { it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import { randomBytes } from "node:crypto"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { bubblewrapMissing } from "./bubblewrap.js"
import { concat } from "./capabilities.js"

/** Where the backends differ, and why. */
export class Backend extends Context.Tag("test/Persistence/Backend")<Backend, {
  /**
   * Lets `duration` pass for the backend. The fake runs on the TestClock (moved at once); the local runtime on
   * the real clock (slept), so its tests that wait use a short URL lifetime.
   */
  readonly pass: (duration: Duration.DurationInput) => Effect.Effect<void>
  /** How long this backend's pre-signed URLs are valid. */
  readonly urlLifetime: Duration.Duration
  /**
   * Whether shell commands really run. The local runtime runs them in the sandbox (so a command sees the
   * volume's files); the fake only answers what a test programs (`Backend.onCommand`), which would test nothing.
   */
  readonly commandsRun: boolean
}>() {}

/** What a suite body may use. */
export type Env = AgentBay.Services | Backend

/**
 * @param shortUrls The test needs URLs that expire soon (the local runtime's layer then gets a short
 * `urlLifetime`; the fake keeps its hour and moves the TestClock).
 */
export interface TestOptions {
  readonly shortUrls?: boolean | undefined
}

/** One test of the suite, registered on every target. */
export interface Case {
  readonly name: string
  readonly body: Effect.Effect<void, unknown, Env>
  readonly options?: TestOptions | undefined
}

export const testCase = (name: string, body: Effect.Effect<void, unknown, Env>, options?: TestOptions): Case => ({
  name,
  body,
  options
})

export interface Target {
  readonly name: string
  /** Registers one test, with a fresh backend of its own. */
  readonly test: (name: string, body: Effect.Effect<void, unknown, Env>, options?: TestOptions) => void
}

const hour = Duration.hours(1)
// Long enough for a test to issue and use a URL, short enough to wait out.
const shortLifetime = Duration.seconds(2)

const fake: Target = {
  name: "the fake (AgentBayTest)",
  test: (name, body) =>
    it.effect(name, () =>
      Effect.provide(
        body,
        Layer.merge(
          AgentBayTest.layer(),
          Layer.succeed(Backend, { pass: TestClock.adjust, urlLifetime: hour, commandsRun: false })
        )
      ))
}

const local = (isolation: "auto" | "process", label: string): Target => ({
  name: `the local runtime (AgentBayLocal, ${label})`,
  test: (name, body, options) => {
    const urlLifetime = options?.shortUrls === true ? shortLifetime : hour
    return it.live(
      name,
      () =>
        Effect.provide(
          body,
          Layer.merge(
            AgentBayLocal.layer({ isolation, urlLifetime }),
            Layer.succeed(Backend, { pass: (d) => Effect.sleep(d), urlLifetime, commandsRun: true })
          )
        ),
      { timeout: 60_000 }
    )
  }
})

/** The fake, the local runtime as `auto` picks it, and (where auto picks bubblewrap) plain processes too. */
export const targets: ReadonlyArray<Target> = [
  fake,
  local("auto", bubblewrapMissing === undefined ? "bubblewrap" : "process isolation"),
  ...(bubblewrapMissing === undefined ? [local("process", "process isolation")] : [])
]

/** Random bytes (incompressible, every byte value). */
export const random = (size: number): Uint8Array => new Uint8Array(randomBytes(size))

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Every stored file (not folder) at or below `folder` of a context, as `[path, size]`, through `bay.context.files`. */
export const tree = (
  contextId: string,
  folder: string
): Effect.Effect<ReadonlyArray<readonly [string, number]>, unknown, AgentBay.AgentBay> =>
  Effect.gen(function*() {
    const bay = yield* AgentBay.AgentBay
    const entries = Chunk.toReadonlyArray(yield* Stream.runCollect(bay.context.files(contextId, folder)))
    const nested = yield* Effect.forEach(entries, (entry: ContextFile) =>
      entry.type === "folder" ? tree(contextId, entry.path) : Effect.succeed([[entry.path, entry.size ?? -1] as const]))
    return nested.flat().sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  })

/** The bytes behind a download URL, through the SDK's own HttpClient (`AgentBayClient.getUrl`). */
export const fetchUrl = (url: Redacted.Redacted<string>) =>
  Effect.flatMap(AgentBayClient.AgentBayClient, (client) => client.getUrl(url)).pipe(
    Effect.flatMap(Stream.runCollect),
    Effect.map((chunks) => concat(Chunk.toReadonlyArray(chunks)))
  )

/** `PUT`s bytes to an upload URL, through the SDK's own HttpClient (`AgentBayClient.putUrl`). */
export const putUrl = (url: Redacted.Redacted<string>, bytes: Uint8Array) =>
  Effect.flatMap(AgentBayClient.AgentBayClient, (client) => client.putUrl(url, bytes))

/** `bytes` in pieces of `size` (the last one shorter). */
export const pieces = (bytes: Uint8Array, size: number): ReadonlyArray<Uint8Array> =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size))
