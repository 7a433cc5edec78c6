// The dashboard: a login form, then hash-routed pages (#/sessions,
// #/session/<id>, #/contexts, #/context/<id>, #/volumes). Live pages refresh
// every 2 s while the tab is visible, one refresh at a time. A key the server
// stops accepting (401) leads back to the login form.
import { ApiError, key } from "./api.js"
import { h, mount } from "./dom.js"
import { login } from "./login.js"
import type { Page } from "./page.js"
import { sessionPage } from "./session.js"
import { sessionsPage } from "./sessions.js"
import { contextPage, contextsPage, volumesPage } from "./stores.js"

/** How often live pages refresh, in milliseconds. */
const interval = 2000

const app = document.getElementById("app")!
let current: Page | undefined
// Pages with a refresh in flight: at most one each.
const busy = new WeakSet<Page>()

const route = (): string => location.hash.replace(/^#/, "") || "/sessions"

const pageFor = (path: string): Page => {
  const [, section = "", id = ""] = path.split("/").map(decodeURIComponent)
  switch (section) {
    case "session":
      return sessionPage(id)
    case "contexts":
      return contextsPage()
    case "context":
      return contextPage(id)
    case "volumes":
      return volumesPage()
    default:
      return sessionsPage()
  }
}

const nav = (path: string) => {
  const link = (href: string, text: string, active: boolean) =>
    h("a", { href, class: active ? "active" : undefined, "aria-current": active ? "page" : undefined }, text)
  return h(
    "header",
    { class: "top" },
    h("strong", { class: "brand" }, "AgentBay local"),
    h(
      "nav",
      {},
      link("#/sessions", "Sessions", path.startsWith("/session")),
      link("#/contexts", "Contexts", path.startsWith("/context")),
      link("#/volumes", "Volumes", path.startsWith("/volumes"))
    ),
    h("button", { type: "button", class: "signout", onclick: () => signOut() }, "Sign out")
  )
}

const signOut = (message?: string) => {
  key.clear()
  current = undefined
  mount(app, login(show, message))
  document.getElementById("key")?.focus()
}

const refresh = async () => {
  const page = current
  if (page === undefined || busy.has(page)) return
  busy.add(page)
  try {
    await page.refresh()
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && page === current) {
      signOut(`${error.code}: ${error.message}`)
    }
  } finally {
    busy.delete(page)
  }
}

function show() {
  if (key.get() === null) return signOut()
  const path = route()
  current = pageFor(path)
  mount(app, nav(path), h("main", {}, current.view))
  void refresh()
}

window.addEventListener("hashchange", show)
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && current?.live) void refresh()
})
setInterval(() => {
  if (document.visibilityState === "visible" && current?.live) void refresh()
}, interval)
show()
