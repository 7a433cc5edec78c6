/**
 * The `NextToken` our backends (the local runtime and the fake) hand out for
 * ListSession: opaque to clients, it names the last item of the page (a
 * creation sequence number), so sessions created or deleted while a client walks
 * the pages never make it skip or repeat one. Clients never parse tokens: the
 * cloud's are its own. Written once here so both backends agree.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"

const toBase64Url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

const fromBase64Url = (token: string): string | undefined => {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(token)) return undefined
  try {
    return atob(token.replace(/-/g, "+").replace(/_/g, "/"))
  } catch {
    return undefined
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const encode = (after: number): string => toBase64Url(`after:${after}`)

/**
 * The sequence number inside a token, or none for anything we did not issue.
 *
 * @since 0.1.0
 * @category utils
 */
export const decode = (token: string): Option.Option<number> => {
  const text = fromBase64Url(token)
  const match = text === undefined ? null : /^after:(\d{1,15})$/.exec(text)
  return match === null ? Option.none() : Option.some(Number(match[1]))
}
