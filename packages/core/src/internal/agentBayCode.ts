// Reading what `run_code` answers: the execution record (JSON, possibly
// JSON-encoded twice, with the official client's alias keys), its rich result
// items (MIME bundles) and its execution error. Internal: AgentBayCode.ts is the
// public surface.
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"

import type * as AgentBayCode from "../AgentBayCode.js"
import * as McpTool from "../McpTool.js"

const aliases: Readonly<Record<string, string>> = {
  execution_time: "executionTime",
  execution_count: "executionCount",
  execution_error: "executionError"
}

const recordKeys = ["result", "stdout", "stderr", "executionError", "executionTime", "executionCount"]

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The JSON object of a structured answer, with alias keys renamed; undefined for plain text. */
const structured = (text: string): Record<string, unknown> | undefined => {
  let value = parse(text.trim())
  if (typeof value === "string") value = parse(value.trim()) // JSON-encoded twice
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) out[aliases[key] ?? key] = v
  return recordKeys.some((k) => k in out) ? out : undefined
}

const decodeExecution = Schema.decodeUnknownEither(McpTool.CodeExecution)

const str = (value: unknown) => (typeof value === "string" ? value : undefined)

const charts = [
  "application/vnd.vegalite.v5+json",
  "application/vnd.vegalite.v4+json",
  "application/vnd.vega.v5+json"
] as const

/** One MIME bundle as a typed output. */
export const output = (bundle: Readonly<Record<string, unknown>>): AgentBayCode.CodeOutput => {
  const chart = charts.find((mime) => bundle[mime] !== undefined)
  const entries: Record<string, unknown> = {
    isMainResult: bundle.isMainResult === true || bundle.is_main_result === true,
    text: str(bundle["text/plain"]),
    html: str(bundle["text/html"]),
    markdown: str(bundle["text/markdown"]),
    png: str(bundle["image/png"]),
    jpeg: str(bundle["image/jpeg"]),
    svg: str(bundle["image/svg+xml"]),
    latex: str(bundle["text/latex"]),
    json: bundle["application/json"],
    chart: chart === undefined ? undefined : { mimeType: chart, spec: bundle[chart] }
  }
  for (const key of Object.keys(entries)) if (entries[key] === undefined) delete entries[key]
  return entries as unknown as AgentBayCode.CodeOutput
}

/** `Name: value` on the last line of a traceback. */
const errorLine = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/

/** An execution error: its traceback, and the name and value of its last line. */
export const executionError = (traceback: string): AgentBayCode.CodeError => {
  const lines = traceback.split("\n").map((l) => l.trim()).filter((l) => l !== "")
  const last = lines[lines.length - 1] ?? ""
  const match = errorLine.exec(last)
  return match !== null && match[2] !== undefined
    ? { name: match[1]!, value: match[2], traceback }
    : { name: "Error", value: last, traceback }
}

/**
 * The result of one run from the tool's text. A JSON object with the record's
 * keys is structured; any other text (a JSON scalar included) is a plain result
 * whose text it is. `failed` marks an answer on the error channel: its record
 * is an execution error even without `executionError`.
 */
export const decode = (text: string, failed: boolean): Either.Either<AgentBayCode.CodeResult, string> => {
  const record = structured(text)
  if (record === undefined) {
    return failed
      ? Either.left(text)
      : Either.right({ text, results: [], logs: { stdout: [], stderr: [] }, error: undefined })
  }
  return Either.match(decodeExecution(record), {
    onLeft: (e) => Either.left(`run_code: unexpected record: ${e.message.split("\n").slice(-1)[0]}`),
    onRight: (execution) => {
      const results = execution.result.map(output)
      const main = results.find((r) => r.isMainResult && r.text !== undefined) ??
        results.find((r) => r.text !== undefined)
      const stdout = execution.stdout
      const stderr = execution.stderr
      const traceback = execution.executionError || (failed ? stderr.join("") || text : "")
      return Either.right({
        text: main?.text ?? stdout.join(""),
        results,
        logs: { stdout, stderr },
        error: traceback === "" ? undefined : executionError(traceback),
        executionTime: execution.executionTime,
        executionCount: execution.executionCount
      })
    }
  })
}
