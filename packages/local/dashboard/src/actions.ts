// Pause, resume and delete buttons: each POSTs the wire's *SessionAsync action,
// so the server's lifecycle rules decide; a refusal is shown, not hidden.
import { ApiError, call } from "./api.js"
import { h } from "./dom.js"

export interface ActionHooks {
  readonly done: () => void
  readonly failed: (message: string) => void
}

const actions = [
  ["pause", "Pause", "PauseSessionAsync"],
  ["resume", "Resume", "ResumeSessionAsync"],
  ["delete", "Delete", "DeleteSessionAsync"]
] as const

/** The three buttons of a session. */
export const actionButtons = (sessionId: string, hooks: ActionHooks): HTMLElement =>
  h(
    "span",
    { class: "actions" },
    actions.map(([name, title, action]) => {
      const button: HTMLButtonElement = h("button", {
        type: "button",
        class: `action ${name}`,
        "data-action": name,
        onclick: () => {
          if (name === "delete" && !confirm(`Delete session ${sessionId}?`)) return
          button.disabled = true
          call(action, { SessionId: sessionId }).then(
            () => {
              button.disabled = false
              hooks.done()
            },
            (error: unknown) => {
              button.disabled = false
              hooks.failed(
                `${title} ${sessionId}: ${
                  error instanceof ApiError ? `${error.code}: ${error.message}` : String(error)
                }`
              )
            }
          )
        }
      }, title)
      return button
    })
  )
