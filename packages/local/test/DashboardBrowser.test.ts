// The dashboard in a real browser (Debian's chromium, driven by playwright-core)
// against the local runtime with real sandboxes: a wrong key, login, the live
// list, filters by label and status, pause and resume from the page with the
// status changing without reload, delete, one session's history, commands and
// files (a binary download compared byte for byte), contexts and volumes. Each
// page is screenshotted into test-results/dashboard/ (`pnpm screenshots`
// writes the README's, docs/img/). Real time: the page polls every 2 s.
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { Browser, Page } from "playwright-core"
import { blobBytes, launch, seed, type Seeded, signIn, wire } from "../dashboard/scenario.js"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import { describeWithChromium } from "./chromium.js"

const key = "akl-dashboard-browser-test-key"
const shots = Path.resolve(import.meta.dirname, "../../../test-results/dashboard")

class Env extends Context.Tag("DashboardBrowserEnv")<Env, {
  readonly browser: Browser
  readonly endpoint: string
  readonly seeded: Seeded
  /** Every URL any page requested. */
  readonly urls: Array<string>
  /** Console errors (CSP violations among them). */
  readonly errors: Array<string>
}>() {}

const EnvLive = Layer.scoped(
  Env,
  Effect.gen(function*() {
    const info = yield* AgentBayLocal.Info
    const browser = yield* Effect.acquireRelease(Effect.promise(launch), (b) => Effect.promise(() => b.close()))
    const seeded = yield* Effect.promise(() => seed(info.endpoint, key))
    return { browser, endpoint: info.endpoint, seeded, urls: [], errors: [] }
  })
).pipe(Layer.provide(AgentBayLocal.layerServer({ apiKeys: [Redacted.make(key)], transitionDelay: "300 millis" })))

const run = <A>(f: () => Promise<A>) => Effect.promise(f)

/** A fresh browser context (its own sessionStorage) and page, watched, closed with the scope. */
const newPage = Effect.gen(function*() {
  const env = yield* Env
  const context = yield* Effect.acquireRelease(
    run(() => env.browser.newContext({ viewport: { width: 1280, height: 860 } })),
    (c) => Effect.promise(() => c.close())
  )
  const page = yield* run(() => context.newPage())
  page.on("request", (r) => env.urls.push(r.url()))
  page.on("console", (m) => m.type() === "error" && env.errors.push(m.text()))
  page.on("dialog", (d) => void d.accept())
  return { page, env }
})

const signedIn = Effect.tap(newPage, ({ env, page }) => run(() => signIn(page, env.endpoint, key)))

const shoot = (page: Page, name: string) =>
  run(async () => {
    Fs.mkdirSync(shots, { recursive: true })
    await page.screenshot({ path: Path.join(shots, `${name}.png`), fullPage: true })
  })

const row = (id: string) => `[data-testid=sessions] tr[data-session="${id}"]`
const listed = (page: Page) =>
  run(() =>
    page.$$eval("[data-testid=sessions] tr[data-session]", (rows) => rows.map((r) => r.getAttribute("data-session")!))
  )
const waitFor = (page: Page, selector: string) => run(() => page.waitForSelector(selector, { timeout: 20_000 }))

describeWithChromium("the dashboard in chromium", () => {
  layer(EnvLive, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("a wrong key shows the server's error and stays on the login page", () =>
      Effect.gen(function*() {
        const { env, page } = yield* newPage
        yield* run(() => page.goto(`${env.endpoint}/ui`))
        yield* run(() => page.fill("#key", "akl-not-the-key"))
        yield* run(() => page.click("form.login button[type=submit]"))
        const error = yield* waitFor(page, "form.login .notice.error")
        assert.match(yield* run(() => error.innerText()), /^InvalidApiKey: /)
        assert.isNull(yield* run(() => page.$("[data-testid=sessions]")))
        assert.isNull(yield* run(() => page.evaluate(() => sessionStorage.getItem("agentbay.dashboard.key"))))
        yield* shoot(page, "login")
      }), 60_000)

    it.scoped("login: the live list with status, labels, age and owner fingerprint", () =>
      Effect.gen(function*() {
        const { env, page } = yield* signedIn
        const { paused, persistent, worker } = env.seeded
        yield* waitFor(page, `${row(paused)}[data-status=PAUSED]`)
        assert.includeMembers(yield* listed(page), [worker, paused, persistent])
        const text = yield* run(() => page.innerText(row(worker)))
        assert.include(text, "team=blue")
        assert.include(text, "role=worker")
        assert.match(text, /RUNNING/)
        yield* waitFor(page, `${row(worker)} td.age:not(:empty)`)
        const owner = yield* run(() => page.innerText(`${row(worker)} td:nth-child(5)`))
        assert.match(owner, /^[0-9a-f]{12}$/)
        // The key is in this tab's sessionStorage only.
        assert.strictEqual(yield* run(() => page.evaluate(() => sessionStorage.getItem("agentbay.dashboard.key"))), key)
        assert.strictEqual(yield* run(() => page.evaluate(() => localStorage.length)), 0)
        yield* shoot(page, "sessions")
      }), 60_000)

    it.scoped("filter by label, then by status", () =>
      Effect.gen(function*() {
        const { env, page } = yield* signedIn
        const { paused, persistent, worker } = env.seeded
        yield* run(() => page.fill("form.filters input[name=labels]", "team=blue"))
        yield* run(() => page.click("form.filters button[type=submit]"))
        yield* run(() => page.waitForFunction((id) => !document.querySelector(`tr[data-session="${id}"]`), persistent))
        assert.sameMembers(yield* listed(page), [worker, paused])
        yield* run(() => page.selectOption("form.filters select[name=status]", "PAUSED"))
        yield* run(() => page.waitForFunction((id) => !document.querySelector(`tr[data-session="${id}"]`), worker))
        assert.deepStrictEqual(yield* listed(page), [paused])
        yield* run(() => page.fill("form.filters input[name=labels]", "team=red"))
        yield* run(() => page.click("form.filters button[type=submit]"))
        yield* waitFor(page, "[data-testid=sessions] tr.empty")
        assert.deepStrictEqual(yield* listed(page), [])
        // A pair without "=" is refused on the page.
        yield* run(() => page.fill("form.filters input[name=labels]", "team"))
        yield* run(() => page.click("form.filters button[type=submit]"))
        yield* waitFor(page, ".message .notice.error")
      }), 60_000)

    it.scoped(
      "pause then resume from the page, the status changing live; a change made elsewhere shows without reload; delete",
      () =>
        Effect.gen(function*() {
          const { env, page } = yield* signedIn
          const id = (yield* run(() =>
            wire(env.endpoint, key, "CreateMcpSession", { Labels: JSON.stringify({ team: "green" }) })
          )).SessionId
          yield* waitFor(page, `${row(id)}[data-status=RUNNING]`)
          yield* run(() =>
            page.click(`${row(id)} button[data-action=pause]`)
          )
          yield* waitFor(page, `${row(id)}[data-status=PAUSED]`)
          yield* run(() => page.click(`${row(id)} button[data-action=resume]`))
          yield* waitFor(page, `${row(id)}[data-status=RUNNING]`)
          // Paused through the wire, not the page: the next poll shows it.
          yield* run(() => wire(env.endpoint, key, "PauseSessionAsync", { SessionId: id }))
          yield* waitFor(page, `${row(id)}[data-status=PAUSED]`)
          // Delete (confirmed): it leaves the live list.
          yield* run(() => page.click(`${row(id)} button[data-action=delete]`))
          yield* run(() =>
            page.waitForFunction((s) => !document.querySelector(`tr[data-session="${s}"]`), id, { timeout: 20_000 })
          )
          const detail = yield* run(() => wire(env.endpoint, key, "GetSession", { SessionId: id }))
          assert.strictEqual(detail.Status, "DELETED")
        }),
      60_000
    )

    it.scoped(
      "one session: status history, commands with exit codes, files with a byte-exact download",
      () =>
        Effect.gen(function*() {
          const { env, page } = yield* signedIn
          const { worker } = env.seeded
          yield* run(() => page.click(`${row(worker)} a`))
          yield* waitFor(page, "[data-testid=status] [data-status=RUNNING]")
          yield* waitFor(page, "[data-testid=history] tbody tr:not(.empty)")
          assert.include(yield* run(() => page.innerText("[data-testid=history]")), "RUNNING")
          const commands = yield* run(() => page.innerText("[data-testid=commands]"))
          assert.include(commands, "exit 3")
          assert.include(commands, "no such thing")
          assert.deepStrictEqual(
            yield* run(() =>
              page.$$eval(
                "[data-testid=commands] td[data-exit]",
                (cells) => cells.map((c) => c.getAttribute("data-exit"))
              )
            ),
            ["3", "0", "0", "0"]
          )
          yield* run(() => page.click("[data-testid=files] tr[data-entry=reports] a"))
          yield* waitFor(page, "[data-testid=files] tr[data-entry='blob.bin']")
          yield* shoot(page, "session")
          const [download] = yield* run(() =>
            Promise.all([
              page.waitForEvent("download"),
              page.click("[data-testid=files] tr[data-entry='blob.bin'] button.download")
            ])
          )
          assert.strictEqual(download.suggestedFilename(), "blob.bin")
          const bytes = Fs.readFileSync(yield* run(() => download.path()))
          assert.isTrue(bytes.equals(blobBytes()), `downloaded ${bytes.length} bytes`)
        }),
      60_000
    )

    it.scoped(
      "contexts and volumes: the lists, a context's files, and what a session uses",
      () =>
        Effect.gen(function*() {
          const { env, page } = yield* signedIn
          const { contextId, persistent, volumeId } = env.seeded
          yield* run(() => page.click("header.top a[href='#/contexts']"))
          yield* waitFor(page, `[data-testid=contexts] tr[data-context="${contextId}"]`)
          assert.include(yield* run(() => page.innerText("[data-testid=contexts]")), "workspace")
          yield* shoot(page, "contexts")
          yield* run(() => page.click(`[data-testid=contexts] tr[data-context="${contextId}"] a`))
          // Folder by folder down to the synced files.
          for (const folder of ["home", "wuying", "data"]) {
            yield* run(() => page.click(`[data-testid=context-files] tr[data-file="${folder}"] a`))
          }
          yield* waitFor(page, "[data-testid=context-files] tr[data-file='notes.txt']")
          assert.include(yield* run(() => page.innerText("[data-testid=context-files]")), "logs/")
          assert.include(yield* run(() => page.innerText(".crumbs")), "data/")
          yield* run(() => page.click("header.top a[href='#/volumes']"))
          yield* waitFor(page, `[data-testid=volumes] tr[data-volume="${volumeId}"]`)
          assert.include(yield* run(() => page.innerText("[data-testid=volumes]")), "datasets")
          yield* shoot(page, "volumes")
          yield* run(() => page.goto(`${env.endpoint}/ui#/session/${persistent}`))
          yield* waitFor(page, `[data-testid=session-contexts] a[href="#/context/${contextId}"]`)
          yield* waitFor(page, "[data-testid=session-volume] tbody tr:not(.empty)")
          assert.include(yield* run(() => page.innerText("[data-testid=session-volume]")), "datasets")
          const contexts = yield* run(() => page.innerText("[data-testid=session-contexts]"))
          assert.include(contexts, "/home/wuying/data")
          assert.include(contexts, "workspace")
          assert.include(contexts, "upload Success") // the last sync task (GetContextInfo)
        }),
      60_000
    )

    it.effect("no URL the pages requested holds the key, and nothing broke the CSP", () =>
      Effect.gen(function*() {
        const env = yield* Env
        assert.isAbove(env.urls.length, 10)
        for (const url of env.urls) {
          assert.notInclude(url, key)
          assert.notInclude(decodeURIComponent(url), key)
          assert.isTrue(url.startsWith(env.endpoint), `a request left the server: ${url}`)
        }
        assert.deepStrictEqual(env.errors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [])
      }))
  })
})
