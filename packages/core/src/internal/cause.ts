// Sanitised descriptions of low-level errors. Internal: not exported from the package.
import * as Wire from "../Wire.js"

/**
 * A one-line description of a low-level error (socket, TLS, DNS): names,
 * messages and codes along its `cause` chain, with anything key-like redacted.
 * Never the request object, whose URL may hold the key.
 */
export const describeCause = (cause: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = cause
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code
      parts.push(`${current.name}: ${current.message}${typeof code === "string" ? ` (${code})` : ""}`)
      current = (current as { cause?: unknown }).cause
    } else {
      parts.push(String(current))
      break
    }
  }
  return Wire.redact(parts.join(" <- ") || "unknown error")
}
