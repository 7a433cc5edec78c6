// A session's files: list_directory to browse, and a download that reads the
// file through the wire in read_file binary windows (60 KiB, the official
// client's size) and hands the bytes to the browser as a Blob.
import { ApiError, tool } from "./api.js"
import { h, mount, notice, table } from "./dom.js"

/** The window size of `read_file` (McpTool.chunkSize). */
export const chunkSize = 61_440

/** The largest file the dashboard downloads (it holds the bytes in memory). */
export const maxDownload = 256 * 1024 * 1024

const join = (dir: string, name: string) => (dir.endsWith("/") ? dir : `${dir}/`) + name
const parent = (dir: string) => dir.replace(/\/[^/]+\/?$/, "") || "/"

const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Reads a whole file of a session, window by window. */
export const readBytes = async (sessionId: string, path: string): Promise<Blob> => {
  const info = await tool(sessionId, "get_file_info", { path })
  const size = Number(/^size:\s*(\d+)/m.exec(info)?.[1] ?? NaN)
  if (!Number.isFinite(size)) throw new ApiError("ToolError", `${path}: no size in get_file_info`, 200)
  if (size > maxDownload) {
    throw new ApiError("TooLarge", `${path}: ${size} bytes is more than the dashboard downloads`, 200)
  }
  const parts: Array<Uint8Array<ArrayBuffer>> = []
  for (let offset = 0; offset < size; offset += chunkSize) {
    const window = fromBase64(await tool(sessionId, "read_file", { path, offset, length: chunkSize, format: "binary" }))
    parts.push(window)
    if (window.length < chunkSize) break
  }
  return new Blob(parts, { type: "application/octet-stream" })
}

const save = (blob: Blob, name: string) => {
  const url = URL.createObjectURL(blob)
  const a = h("a", { href: url, download: name, class: "hidden" })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** The file browser of a session, starting at `start`. */
export const fileBrowser = (
  sessionId: string,
  start = "/home/wuying"
): { view: HTMLElement; load: () => Promise<void> } => {
  let dir = start
  const message = h("div", { class: "message" })
  const pathInput = h("input", { type: "text", name: "path", value: dir, class: "mono" })
  const listing = h("div", { class: "listing" })
  const fail = (error: unknown) =>
    mount(message, notice("error", error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)))

  const open = (next: string) => {
    dir = next
    pathInput.value = next
    void load()
  }

  const download = async (button: HTMLButtonElement, name: string) => {
    button.disabled = true
    mount(message, notice("info", `Downloading ${name}…`))
    try {
      save(await readBytes(sessionId, join(dir, name)), name)
      mount(message, notice("info", `Downloaded ${name}.`))
    } catch (error) {
      fail(error)
    } finally {
      button.disabled = false
    }
  }

  const load = async () => {
    try {
      const text = await tool(sessionId, "list_directory", { path: dir })
      const entries = text.split("\n").flatMap((line) =>
        line.startsWith("[DIR] ") ?
          [{ name: line.slice(6), dir: true }]
          : line.startsWith("[FILE] ") ?
          [{ name: line.slice(7), dir: false }]
          : []
      ).sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name))
      const rows = entries.map((e) => {
        const button: HTMLButtonElement = h("button", {
          type: "button",
          class: "download",
          "data-file": e.name,
          onclick: () => void download(button, e.name)
        }, "Download")
        return h(
          "tr",
          { "data-entry": e.name },
          h(
            "td",
            { class: "mono" },
            e.dir
              ? h("a", { href: "#", onclick: (ev) => (ev.preventDefault(), open(join(dir, e.name))) }, `${e.name}/`)
              : e.name
          ),
          h("td", {}, e.dir ? "folder" : "file"),
          h("td", {}, e.dir ? null : button)
        )
      })
      mount(listing, table(["Name", "Type", ""], rows, "Empty folder.", "files"))
      mount(message)
    } catch (error) {
      mount(listing)
      fail(error)
    }
  }

  const view = h(
    "div",
    { class: "files" },
    h(
      "form",
      { class: "path", onsubmit: (ev) => (ev.preventDefault(), open(pathInput.value.trim() || "/")) },
      h("button", { type: "button", onclick: () => open(parent(dir)) }, "Up"),
      pathInput,
      h("button", { type: "submit" }, "Open")
    ),
    message,
    listing
  )
  return { view, load }
}
