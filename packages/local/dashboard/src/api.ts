// The dashboard's two data sources: the wire protocol (a form POSTed to `/`,
// the key in its `Authorization` field) and the read-only `/ui/api/` (the key
// in an `Authorization: Bearer` header). The key never goes into a URL.

const keyName = "agentbay.dashboard.key"

/** The key of this browser session (sessionStorage: gone when the tab closes). */
export const key = {
  get: (): string | null => sessionStorage.getItem(keyName),
  set: (value: string) => sessionStorage.setItem(keyName, value),
  clear: () => sessionStorage.removeItem(keyName)
}

/** A refusal from the server: its envelope's code and message, or a network failure. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message)
  }
}

interface Envelope {
  readonly Success?: boolean
  readonly Code?: string
  readonly Message?: string
  readonly Data?: unknown
  readonly NextToken?: string
}

const parse = async (response: Response): Promise<Envelope> => {
  let body: Envelope
  try {
    body = await response.json() as Envelope
  } catch {
    throw new ApiError("BadResponse", `The server answered ${response.status} without JSON`, response.status)
  }
  if (!response.ok || body.Success === false) {
    throw new ApiError(body.Code ?? "Error", body.Message ?? `HTTP ${response.status}`, response.status)
  }
  return body
}

const send = async (input: string, init: RequestInit): Promise<Response> => {
  try {
    return await fetch(input, { ...init, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" })
  } catch {
    throw new ApiError("NetworkError", "The server could not be reached", 0)
  }
}

/** One wire action; `fields` are the form fields besides Action and Authorization. */
export const call = async (
  action: string,
  fields: Record<string, string> = {},
  token = key.get() ?? ""
): Promise<Envelope> => {
  const body = new URLSearchParams({ ...fields, Authorization: `Bearer ${token}` })
  return parse(await send(`/?Action=${encodeURIComponent(action)}`, { method: "POST", body }))
}

/** Every page of a paged action (NextToken), up to `pages` pages. */
export const callAll = async <A>(action: string, fields: Record<string, string>, pages = 5): Promise<Array<A>> => {
  let out: Array<A> = []
  let next: string | undefined
  for (let i = 0; i < pages; i++) {
    const page = await call(action, { ...fields, MaxResults: "100", ...(next ? { NextToken: next } : {}) })
    out = out.concat(page.Data as Array<A> ?? [])
    next = page.NextToken
    if (!next) break
  }
  return out
}

/** A GET of `/ui/api/<path>` with the key in a header. */
export const uiApi = async <A>(path: string): Promise<A> => {
  const response = await send(`/ui/api/${path}`, {
    headers: { Authorization: `Bearer ${key.get() ?? ""}`, Accept: "application/json" }
  })
  if (!response.ok) await parse(response)
  return await response.json() as A
}

interface McpResult {
  readonly content: ReadonlyArray<{ readonly text?: string }>
  readonly isError: boolean
}

/** A tool of a session (CallMcpTool): its text, or an ApiError when it failed. */
export const tool = async (sessionId: string, name: string, args: Record<string, unknown>): Promise<string> => {
  const reply = await call("CallMcpTool", {
    SessionId: sessionId,
    Name: name,
    Args: JSON.stringify(args),
    Server: "",
    AutoGenSession: "false"
  })
  const result = reply.Data as McpResult
  const text = result.content.map((c) => c.text ?? "").join("; ")
  if (result.isError) throw new ApiError("ToolError", text, 200)
  return result.content[0]?.text ?? ""
}

/** What `/ui/api/sessions/<id>` answers. */
export interface SessionDetail {
  readonly id: string
  readonly owner: string
  readonly createdAt: number
  readonly updatedAt: number
  readonly imageId: string
  readonly volumeId: string | null
  readonly contexts: ReadonlyArray<{ readonly contextId: string; readonly path: string }>
  readonly history: ReadonlyArray<{ readonly status: string; readonly at: number }>
  readonly commands: ReadonlyArray<{
    readonly tool: string
    readonly command: string
    readonly exitCode: number | null
    readonly output: string
    readonly truncated: boolean
    readonly at: number
  }>
}

/** What `/ui/api/sessions?ids=` answers for each id. */
export interface SessionSummary {
  readonly id: string
  readonly owner: string
  readonly createdAt: number
}
