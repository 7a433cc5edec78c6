// One session: status (GetSession), owner, labels, status history and last
// commands (/ui/api/sessions/<id>), files, and the contexts (ListContexts with
// SessionId, GetContextInfo for their sync tasks) and volume (ListVolumes) it uses.
import { actionButtons } from "./actions.js"
import { ApiError, call, type SessionDetail, uiApi } from "./api.js"
import { badge, h, labelChips, mount, notice, table, time } from "./dom.js"
import { fileBrowser } from "./files.js"
import type { Page } from "./page.js"

interface Context {
  readonly Id: string
  readonly Name: string
  readonly State?: string
}
interface Volume {
  readonly VolumeId: string
  readonly VolumeName: string
  readonly Status: string
}
interface Task {
  readonly contextId: string
  readonly path: string
  readonly status: string
  readonly taskType: string
}

const errorText = (error: unknown) => error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)

const historyTable = (detail: SessionDetail) =>
  table(
    ["Status", "At"],
    detail.history.map((e) => h("tr", {}, h("td", {}, badge(e.status)), h("td", {}, time(e.at)))),
    "No transition recorded since the server started.",
    "history"
  )

const commandsTable = (detail: SessionDetail) =>
  table(
    ["At", "Tool", "Command", "Exit", "Output"],
    [...detail.commands].reverse().map((c) =>
      h(
        "tr",
        {},
        h("td", { class: "nowrap" }, time(c.at)),
        h("td", {}, c.tool),
        h("td", {}, h("pre", {}, c.command)),
        h(
          "td",
          { class: c.exitCode === 0 ? "ok" : "bad", "data-exit": String(c.exitCode) },
          c.exitCode === null ? "error" : c.exitCode
        ),
        h("td", {}, h("pre", {}, c.output + (c.truncated ? "\n… (truncated)" : "")))
      )
    ),
    "No command recorded since the server started.",
    "commands"
  )

// Contexts and volume: fetched once per page (they are fixed at create).
const attachments = async (id: string, detail: SessionDetail, into: HTMLElement) => {
  const parts: Array<HTMLElement> = []
  const contexts = await call("ListContexts", { SessionId: id, MaxResults: "100" })
    .then((r) => r.Data as Array<Context>).catch(() => [] as Array<Context>)
  const tasks = await call("GetContextInfo", { SessionId: id })
    .then((r) =>
      JSON.parse((JSON.parse((r.Data as { ContextStatus?: string }).ContextStatus || "[]")[0]?.data) ?? "[]") as Array<
        Task
      >
    )
    .catch(() => [] as Array<Task>)
  const names = new Map(contexts.map((c) => [c.Id, c.Name]))
  parts.push(
    h("h4", {}, "Contexts"),
    table(
      ["Context", "Name", "Path", "Last sync"],
      detail.contexts.map((c) => {
        const task = tasks.filter((t) => t.contextId === c.contextId && t.path === c.path).at(-1)
        return h(
          "tr",
          {},
          h("td", { class: "mono" }, h("a", { href: `#/context/${encodeURIComponent(c.contextId)}` }, c.contextId)),
          h("td", {}, names.get(c.contextId) ?? ""),
          h("td", { class: "mono" }, c.path),
          h("td", {}, task ? `${task.taskType} ${task.status}` : "")
        )
      }),
      "No context attached.",
      "session-contexts"
    )
  )
  let volumes: Array<Volume> = []
  if (detail.volumeId !== null) {
    volumes = await call("ListVolumes", { ImageId: detail.imageId, "VolumeIds.1": detail.volumeId })
      .then((r) => r.Data as Array<Volume>).catch(() => [])
  }
  parts.push(
    h("h4", {}, "Volume"),
    table(
      ["Volume", "Name", "Status"],
      detail.volumeId === null ?
        [] :
        [h(
          "tr",
          {},
          h("td", { class: "mono" }, detail.volumeId),
          h("td", {}, volumes[0]?.VolumeName ?? ""),
          h("td", {}, volumes[0]?.Status ?? "gone")
        )],
      "No volume mounted.",
      "session-volume"
    )
  )
  mount(into, ...parts)
}

export const sessionPage = (id: string): Page => {
  const message = h("div", { class: "message" })
  const header = h("dl", { class: "facts" })
  const history = h("div", {})
  const commands = h("div", {})
  const attached = h("div", {})
  const files = fileBrowser(id)
  let first = true

  const refresh = async () => {
    let status: string
    let labels: Record<string, string> = {}
    let detail: SessionDetail
    try {
      status = ((await call("GetSession", { SessionId: id })).Data as { Status: string }).Status
      const text = ((await call("GetLabel", { SessionId: id })).Data as { Labels?: string }).Labels
      labels = text ? JSON.parse(text) as Record<string, string> : {}
      detail = await uiApi<SessionDetail>(`sessions/${encodeURIComponent(id)}`)
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error
      return mount(message, notice("error", errorText(error)))
    }
    mount(
      header,
      h("dt", {}, "Status"),
      h("dd", { "data-testid": "status" }, badge(status)),
      h("dt", {}, "Owner"),
      h("dd", { class: "mono" }, detail.owner),
      h("dt", {}, "Created"),
      h("dd", {}, time(detail.createdAt)),
      h("dt", {}, "Image"),
      h("dd", { class: "mono" }, detail.imageId),
      h("dt", {}, "Labels"),
      h("dd", {}, labelChips(labels))
    )
    mount(history, historyTable(detail))
    mount(commands, commandsTable(detail))
    if (first) {
      first = false
      await Promise.all([attachments(id, detail, attached), files.load()])
    }
  }

  const page: Page = {
    live: true,
    refresh,
    view: h(
      "section",
      { class: "page session", "data-session": id },
      h("p", {}, h("a", { href: "#/sessions" }, "← Sessions")),
      h("h2", { class: "mono" }, id),
      actionButtons(id, {
        done: () => (mount(message), void page.refresh()),
        failed: (t) => mount(message, notice("error", t))
      }),
      message,
      header,
      h(
        "div",
        { class: "grid" },
        h("div", {}, h("h3", {}, "Status history"), history),
        h("div", {}, h("h3", {}, "Contexts and volume"), attached)
      ),
      h("h3", {}, "Last commands"),
      commands,
      h("h3", {}, "Files"),
      files.view
    )
  }
  return page
}
