// The contexts page (ListContexts), one context's files (DescribeContextFiles,
// folder by folder) and the volumes page (ListVolumes of an image).
import { ApiError, call, callAll } from "./api.js"
import { h, mount, notice, table } from "./dom.js"
import type { Page } from "./page.js"

interface Context {
  readonly Id: string
  readonly Name: string
  readonly State?: string
  readonly CreateTime?: string
  readonly LastUsedTime?: string
}
interface ContextFile {
  readonly FileName: string
  readonly FilePath: string
  readonly FileType?: string
  readonly Size?: number
  readonly GmtModified?: string
}
interface Volume {
  readonly VolumeId: string
  readonly VolumeName: string
  readonly Status: string
  readonly BelongingImageId?: string
  readonly CreateTime?: string
}

const failed = (into: HTMLElement, error: unknown) => {
  if (error instanceof ApiError && error.status === 401) throw error
  mount(into, notice("error", error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)))
}

export const contextsPage = (): Page => {
  const list = h("div", {})
  const refresh = async () => {
    try {
      const contexts = await callAll<Context>("ListContexts", {})
      mount(
        list,
        table(
          ["Context", "Name", "State", "Created", "Last used"],
          contexts.map((c) =>
            h(
              "tr",
              { "data-context": c.Id },
              h("td", { class: "mono" }, h("a", { href: `#/context/${encodeURIComponent(c.Id)}` }, c.Id)),
              h("td", {}, c.Name),
              h("td", {}, c.State ?? ""),
              h("td", {}, c.CreateTime ?? ""),
              h("td", {}, c.LastUsedTime ?? "")
            )
          ),
          "No contexts.",
          "contexts"
        )
      )
    } catch (error) {
      failed(list, error)
    }
  }
  return { live: true, refresh, view: h("section", { class: "page contexts" }, h("h2", {}, "Contexts"), list) }
}

export const contextPage = (id: string): Page => {
  let folder = "/"
  const crumbs = h("p", { class: "mono crumbs" })
  const list = h("div", {})
  const open = (next: string) => {
    folder = next
    void refresh()
  }
  const refresh = async () => {
    mount(
      crumbs,
      ...["/", ...folder.split("/").filter((p) => p !== "")].map((part, i, parts) => {
        const target = i === 0 ? "/" : `/${parts.slice(1, i + 1).join("/")}`
        return h("a", { href: "#", onclick: (ev) => (ev.preventDefault(), open(target)) }, i === 0 ? "/" : `${part}/`)
      })
    )
    try {
      const reply = await call("DescribeContextFiles", {
        ContextId: id,
        ParentFolderPath: folder,
        PageNumber: "1",
        PageSize: "100"
      })
      const files = reply.Data as Array<ContextFile>
      mount(
        list,
        table(
          ["Name", "Type", "Size", "Modified"],
          files.map((f) => {
            const dir = f.FileType === "folder"
            return h(
              "tr",
              { "data-file": f.FileName },
              h(
                "td",
                { class: "mono" },
                dir
                  ? h("a", { href: "#", onclick: (ev) => (ev.preventDefault(), open(f.FilePath)) }, `${f.FileName}/`)
                  : f.FileName
              ),
              h("td", {}, f.FileType ?? ""),
              h("td", {}, f.Size === undefined ? "" : String(f.Size)),
              h("td", {}, f.GmtModified ?? "")
            )
          }),
          "No files here.",
          "context-files"
        )
      )
    } catch (error) {
      failed(list, error)
    }
  }
  return {
    live: false,
    refresh,
    view: h(
      "section",
      { class: "page context" },
      h("p", {}, h("a", { href: "#/contexts" }, "← Contexts")),
      h("h2", { class: "mono" }, id),
      crumbs,
      list
    )
  }
}

let imageId = "linux_latest"

export const volumesPage = (): Page => {
  const list = h("div", {})
  const input = h("input", { type: "text", name: "image", value: imageId, class: "mono" })
  const refresh = async () => {
    try {
      const volumes = await callAll<Volume>("ListVolumes", { ImageId: imageId })
      mount(
        list,
        table(
          ["Volume", "Name", "Status", "Image", "Created"],
          volumes.map((v) =>
            h(
              "tr",
              { "data-volume": v.VolumeId },
              h("td", { class: "mono" }, v.VolumeId),
              h("td", {}, v.VolumeName),
              h("td", {}, v.Status),
              h("td", { class: "mono" }, v.BelongingImageId ?? ""),
              h("td", {}, v.CreateTime ?? "")
            )
          ),
          "No volumes for this image.",
          "volumes"
        )
      )
    } catch (error) {
      failed(list, error)
    }
  }
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (ev) => {
        ev.preventDefault()
        imageId = input.value.trim() || "linux_latest"
        void refresh()
      }
    },
    h("label", {}, "Image ", input),
    h("button", { type: "submit" }, "Show")
  )
  return { live: true, refresh, view: h("section", { class: "page volumes" }, h("h2", {}, "Volumes"), form, list) }
}
