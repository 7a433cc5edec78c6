// `pnpm screenshots`: the README's pictures of the dashboard (docs/img/dashboard-*.png):
// a local runtime on a temporary data dir, seeded through the wire (scenario.ts),
// photographed in Debian's chromium (apt-get install chromium).
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { launch, seed, signIn, wire } from "./scenario.js"

const out = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../../docs/img")
const key = `akl-${randomBytes(24).toString("hex")}`

const main = Effect.gen(function*() {
  const { endpoint } = yield* AgentBayLocal.Info
  const seeded = yield* Effect.promise(() => seed(endpoint, key))
  // A pause and a resume, for the status history.
  yield* Effect.promise(() => wire(endpoint, key, "PauseSessionAsync", { SessionId: seeded.worker }))
  yield* Effect.sleep("400 millis")
  yield* Effect.promise(() => wire(endpoint, key, "ResumeSessionAsync", { SessionId: seeded.worker }))
  yield* Effect.sleep("400 millis")
  const browser = yield* Effect.acquireRelease(Effect.promise(launch), (b) => Effect.promise(() => b.close()))
  const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1280, height: 800 } }))
  const shot = (name: string) =>
    Effect.promise(() => page.screenshot({ path: Path.join(out, `dashboard-${name}.png`), fullPage: true }))
  Fs.mkdirSync(out, { recursive: true })
  yield* Effect.promise(() => page.goto(`${endpoint}/ui`))
  yield* Effect.promise(() => page.waitForSelector("form.login"))
  yield* shot("login")
  yield* Effect.promise(() => signIn(page, endpoint, key))
  yield* Effect.promise(() =>
    page.waitForSelector(`tr[data-session="${seeded.paused}"][data-status=PAUSED] td.age:not(:empty)`)
  )
  yield* shot("sessions")
  yield* Effect.promise(() => page.goto(`${endpoint}/ui#/session/${seeded.worker}`))
  yield* Effect.promise(() => page.click("[data-testid=files] tr[data-entry=reports] a"))
  yield* Effect.promise(() => page.waitForSelector("[data-testid=files] tr[data-entry='blob.bin']"))
  yield* shot("session")
  yield* Effect.promise(() => page.goto(`${endpoint}/ui#/contexts`))
  yield* Effect.promise(() => page.waitForSelector(`tr[data-context="${seeded.contextId}"]`))
  yield* shot("contexts")
  yield* Effect.promise(() => page.goto(`${endpoint}/ui#/volumes`))
  yield* Effect.promise(() => page.waitForSelector(`tr[data-volume="${seeded.volumeId}"]`))
  yield* shot("volumes")
  console.log(
    `wrote ${
      ["login", "sessions", "session", "contexts", "volumes"].map((n) => `docs/img/dashboard-${n}.png`).join(", ")
    }`
  )
})

Effect.runPromise(
  Effect.scoped(main).pipe(
    Effect.provide(AgentBayLocal.layerServer({ apiKeys: [Redacted.make(key)], transitionDelay: "300 millis" }))
  )
).catch((error) => {
  console.error(error)
  process.exit(1)
})
