// Helpers of the capability suites (Capabilities.test.ts, CapabilitiesLocal.test.ts).
import { assert } from "@effect/vitest"

/**
 * Asserts that `actual` has the `expected` fields. The fields are copied into a plain object first: chai's
 * diff of an Effect error (a Proxy-laden object) overflows the stack, and takes minutes doing it.
 */
export const has = (actual: object, expected: Readonly<Record<string, unknown>>, message?: string): void =>
  assert.deepStrictEqual(
    Object.fromEntries(Object.keys(expected).map((key) => [key, (actual as Record<string, unknown>)[key]])),
    expected,
    message
  )

/** The `text` of a `ToolError` (the tool's own message); "" for any other error. */
export const textOf = (error: { readonly _tag: string }): string =>
  error._tag === "ToolError" && "text" in error && typeof error.text === "string" ? error.text : ""

/** The parts, one after the other. */
export const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
