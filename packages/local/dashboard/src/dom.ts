// A tiny DOM builder and the formatting the pages share. Text always goes in
// as text nodes (never innerHTML), so nothing the server returns is markup.

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | boolean | ((event: Event) => void) | undefined>

/** An element with attributes (`on*` are listeners, booleans toggle) and children. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: ReadonlyArray<Child | ReadonlyArray<Child>>
): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === "function") el.addEventListener(name.slice(2), value)
    else el.setAttribute(name, value === true ? "" : value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    el.append(typeof child === "number" ? String(child) : child)
  }
  return el
}

/** Replaces the children of `el`. */
export const mount = (el: Element, ...children: ReadonlyArray<Child>) => {
  el.replaceChildren(
    ...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => typeof c === "number" ? String(c) : c)
  )
}

/** A status as a coloured badge. */
export const badge = (status: string) =>
  h("span", { class: `badge status-${status.toLowerCase()}`, "data-status": status }, status)

/** `12s`, `5m`, `3h 2m`, `2d 4h`. */
export const age = (since: number, now = Date.now()): string => {
  const s = Math.max(0, Math.floor((now - since) / 1000))
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m`
  const hr = Math.floor(m / 60)
  if (hr < 24) return `${hr}h ${m % 60}m`
  return `${Math.floor(hr / 24)}d ${hr % 24}h`
}

/** A local date and time with seconds. */
export const time = (at: number) => new Date(at).toLocaleString(undefined, { hour12: false })

/** A table with a header row; `empty` shown as one row when there are no rows. */
export const table = (head: ReadonlyArray<string>, rows: ReadonlyArray<HTMLElement>, empty: string, testId?: string) =>
  h(
    "table",
    { "data-testid": testId },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      rows.length > 0 ? rows : [h("tr", { class: "empty" }, h("td", { colspan: String(head.length) }, empty))]
    )
  )

/** A message line: `error` or `info`. */
export const notice = (kind: "error" | "info", text: string) =>
  h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text)

/** Labels as `key=value` chips. */
export const labelChips = (labels: Readonly<Record<string, string>>) =>
  h("span", { class: "labels" }, Object.entries(labels).map(([k, v]) => h("span", { class: "chip" }, `${k}=${v}`)))
