// The sessions page: the live list (ListSession, filtered by label and status
// on the server), each row's labels (GetLabel), age and owner fingerprint
// (/ui/api/sessions), and pause, resume and delete buttons. Rows are updated
// in place, so a refresh never replaces a button under the pointer.
import { actionButtons } from "./actions.js"
import { ApiError, call, callAll, type SessionSummary, uiApi } from "./api.js"
import { age, badge, h, labelChips, mount, notice } from "./dom.js"
import type { Page } from "./page.js"

const statuses = ["", "RUNNING", "PAUSING", "PAUSED", "RESUMING", "DELETING", "DELETED"]

// Filters survive navigation within the tab.
const filter = { labels: "", status: "" }

/** `a=1, b=2` as a label map; undefined when a pair has no `=`. */
export const parseLabels = (text: string): Record<string, string> | undefined => {
  const out: Record<string, string> = {}
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const eq = part.indexOf("=")
    if (eq <= 0) return undefined
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
  }
  return out
}

interface Row {
  readonly tr: HTMLTableRowElement
  readonly status: HTMLTableCellElement
  readonly labels: HTMLTableCellElement
  readonly age: HTMLTableCellElement
  readonly owner: HTMLTableCellElement
}

export const sessionsPage = (): Page => {
  const message = h("div", { class: "message" })
  const fail = (text: string) => mount(message, notice("error", text))
  const labelInput = h("input", {
    type: "text",
    name: "labels",
    placeholder: "project=demo, team=a",
    value: filter.labels
  })
  const statusSelect = h(
    "select",
    { name: "status" },
    statuses.map((s) => h("option", { value: s }, s === "" ? "all live" : s))
  )
  statusSelect.value = filter.status
  const count = h("span", { class: "count", "data-testid": "count" })
  const body = h("tbody", {})
  const rows = new Map<string, Row>()
  const labels = new Map<string, Record<string, string>>()
  const meta = new Map<string, SessionSummary>()
  let ticks = 0

  const apply = (event?: Event) => {
    event?.preventDefault()
    filter.labels = labelInput.value
    filter.status = statusSelect.value
    labels.clear()
    mount(message)
    void page.refresh()
  }
  const form = h(
    "form",
    { class: "filters", "data-testid": "filters", onsubmit: apply },
    h("label", {}, "Labels ", labelInput),
    h("label", {}, "Status ", statusSelect),
    h("button", { type: "submit" }, "Filter"),
    count
  )
  statusSelect.addEventListener("change", () => apply())

  const rowOf = (id: string): Row => {
    const existing = rows.get(id)
    if (existing) return existing
    const cells = {
      status: h("td", {}),
      labels: h("td", {}),
      age: h("td", { class: "age" }),
      owner: h("td", { class: "mono" })
    }
    const tr = h(
      "tr",
      { "data-session": id },
      h("td", { class: "mono" }, h("a", { href: `#/session/${encodeURIComponent(id)}` }, id)),
      cells.status,
      cells.labels,
      cells.age,
      cells.owner,
      h("td", {}, actionButtons(id, { done: () => (mount(message), void page.refresh()), failed: fail }))
    )
    const row = { tr, ...cells }
    rows.set(id, row)
    return row
  }

  const refresh = async () => {
    const wanted = parseLabels(filter.labels)
    if (wanted === undefined) return fail("Labels: write key=value pairs separated by commas")
    const fields: Record<string, string> = {}
    if (Object.keys(wanted).length > 0) fields.Labels = JSON.stringify(wanted)
    if (filter.status !== "") fields.Status = filter.status
    let list: Array<{ SessionId: string; SessionStatus?: string }>
    try {
      list = await callAll("ListSession", fields)
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error
      return fail(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error))
    }
    const fresh = ticks++ % 10 === 0
    const needLabels = list.filter((s) => fresh || !labels.has(s.SessionId))
    await Promise.all(needLabels.map(async (s) => {
      const reply = await call("GetLabel", { SessionId: s.SessionId }).catch(() => undefined)
      const text = (reply?.Data as { Labels?: string } | undefined)?.Labels
      labels.set(s.SessionId, text ? JSON.parse(text) as Record<string, string> : {})
    }))
    const needMeta = list.filter((s) => !meta.has(s.SessionId)).map((s) => s.SessionId)
    for (let i = 0; i < needMeta.length; i += 100) {
      const ids = needMeta.slice(i, i + 100).map(encodeURIComponent).join(",")
      const found = await uiApi<{ sessions: Array<SessionSummary> }>(`sessions?ids=${ids}`).catch(() => ({
        sessions: []
      }))
      for (const s of found.sessions) meta.set(s.id, s)
    }
    const seen = new Set<string>()
    const ordered = list.map((s) => {
      seen.add(s.SessionId)
      const row = rowOf(s.SessionId)
      const status = s.SessionStatus ?? "?"
      if (row.status.textContent !== status) mount(row.status, badge(status))
      row.tr.dataset.status = status
      mount(row.labels, labelChips(labels.get(s.SessionId) ?? {}))
      const m = meta.get(s.SessionId)
      row.age.textContent = m ? age(m.createdAt) : ""
      row.owner.textContent = m?.owner ?? ""
      return row.tr
    })
    for (const [id, row] of rows) {
      if (seen.has(id)) continue
      row.tr.remove()
      rows.delete(id)
    }
    if (ordered.length === 0) mount(body, h("tr", { class: "empty" }, h("td", { colspan: "6" }, "No sessions match.")))
    else body.replaceChildren(...ordered)
    count.textContent = `${list.length} session${list.length === 1 ? "" : "s"}`
  }

  const head = ["Session", "Status", "Labels", "Age", "Owner", ""]
  const view = h(
    "section",
    { class: "page sessions" },
    h("h2", {}, "Sessions"),
    form,
    message,
    h("table", { "data-testid": "sessions" }, h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))), body)
  )
  const page: Page = { view, refresh, live: true }
  return page
}
