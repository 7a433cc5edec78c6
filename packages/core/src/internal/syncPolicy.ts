// The parts of SyncPolicy that are logic rather than declaration: filling in
// defaults field by field, and turning a decoding failure into the field path
// and reason a ValidationError carries. Internal: SyncPolicy.ts is the public surface.
import * as ParseResult from "effect/ParseResult"

import { ValidationError } from "../AgentBayError.js"
import type { Effective, SyncPolicy } from "../SyncPolicy.js"

// `given` over `fallback`, field by field; `null`/absent `given` is all fallback.
const over = <A extends object>(
  fallback: A,
  given: { readonly [K in keyof A]?: A[K] | undefined } | null | undefined
): A => {
  if (given === null || given === undefined) return fallback
  const out: { -readonly [K in keyof A]: A[K] } = { ...fallback }
  for (const key of Object.keys(fallback) as Array<keyof A>) {
    const value = given[key]
    if (value !== undefined) out[key] = value as A[keyof A]
  }
  return out
}

export const effective = (defaults: Effective, policy: SyncPolicy | null | undefined): Effective => {
  const p = policy ?? {}
  const whiteLists = p.bwList?.whiteLists?.map((w) => ({ path: w.path ?? "", excludePaths: w.excludePaths ?? [] }))
  const mapping = p.mappingPolicy?.path
  return {
    uploadPolicy: over(defaults.uploadPolicy, p.uploadPolicy),
    downloadPolicy: over(defaults.downloadPolicy, p.downloadPolicy),
    deletePolicy: over(defaults.deletePolicy, p.deletePolicy),
    extractPolicy: over(defaults.extractPolicy, p.extractPolicy),
    recyclePolicy: over(defaults.recyclePolicy, p.recyclePolicy),
    bwList: whiteLists === undefined ? defaults.bwList : { whiteLists },
    ...(mapping === undefined ? {} : { mappingPolicy: { path: mapping } })
  }
}

const first = (error: ParseResult.ParseError) => {
  // The first issue is the deepest one on the path that was followed: a union
  // (`null` or the sub-policy) lists its other members' mismatches after it.
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return { path: issue?.path.map(String) ?? [], message: issue?.message ?? "is invalid" }
}

/** `<path>: <reason>` (or the reason alone at the top), for a server's error message. */
export const describe = (error: ParseResult.ParseError): string => {
  const { message, path } = first(error)
  return path.length === 0 ? message : `${path.join(".")}: ${message}`
}

/** The ValidationError naming the offending field under `prefix`. */
export const invalid = (operation: string, prefix: string, error: ParseResult.ParseError): ValidationError => {
  const { message, path } = first(error)
  return new ValidationError({ operation, field: [prefix, ...path].join("."), reason: message })
}
