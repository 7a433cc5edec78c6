// The login form: the key is checked with one ListSession, then kept in
// sessionStorage. A refused key shows the server's message and stays here.
import { ApiError, call, key } from "./api.js"
import { h, mount, notice } from "./dom.js"

export const login = (onSignedIn: () => void, message?: string): HTMLElement => {
  const status = h("div", { class: "login-status" }, message ? notice("error", message) : null)
  const input = h("input", {
    type: "password",
    name: "key",
    id: "key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "akl-…"
  })
  const button = h("button", { type: "submit" }, "Sign in")
  const form = h(
    "form",
    {
      // POST, never GET: even a submission without this script would not put the key in a URL.
      method: "post",
      class: "login",
      "data-testid": "login",
      onsubmit: (event) => {
        event.preventDefault()
        const value = input.value.trim()
        if (value === "") return
        button.disabled = true
        mount(status, notice("info", "Checking the key…"))
        call("ListSession", { MaxResults: "1" }, value).then(
          () => {
            key.set(value)
            input.value = ""
            onSignedIn()
          },
          (error: unknown) => {
            button.disabled = false
            mount(
              status,
              notice("error", error instanceof ApiError ? `${error.code}: ${error.message}` : String(error))
            )
            input.select()
          }
        )
      }
    },
    h("h1", {}, "AgentBay local"),
    h(
      "p",
      { class: "hint" },
      "Enter the server's API key (printed by ",
      h("code", {}, "agentbay-local serve"),
      ", or in ",
      h("code", {}, ".agentbay-local/api-key"),
      "). It is kept in this tab only."
    ),
    h("label", { for: "key" }, "API key"),
    input,
    button,
    status
  )
  return h("main", { class: "login-page" }, form)
}
