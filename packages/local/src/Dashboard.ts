/**
 * The local runtime's dashboard, served under `/ui` on the server's own port:
 * a page and its bundled script and style sheet (built at build time from
 * `packages/local/dashboard/` into `internal/dashboardAssets.ts`: no CDN, no
 * inline script), and a small read-only JSON API under `/ui/api/` for what the
 * wire protocol has no action for.
 *
 * The page itself holds no data and needs no key. Everything it shows comes
 * from the wire protocol (the browser POSTs forms to `/`, the key in the
 * form's `Authorization` field) and from `/ui/api/`, which wants the key in an
 * `Authorization: Bearer <key>` header: never in a URL. The API answers only
 * about the caller's own sessions (another owner's id is a 404, as on the wire):
 *
 * - `GET /ui/api/sessions?ids=<id>,<id>`: for each id (at most 100) the session's
 *   creation time and a short fingerprint of its owner (the first 12 hex digits
 *   of the owner's SHA-256, never a key).
 * - `GET /ui/api/sessions/<id>`: the same, the image, the contexts and the
 *   volume it was created with, its status history and its last commands
 *   (`BackendActivity`).
 *
 * Every answer carries a strict Content-Security-Policy (`csp`), `nosniff`,
 * `no-referrer` and a refusal to be framed.
 *
 * @since 0.1.0
 */
import { BackendActivity } from "@effect-agentbay/backend/BackendActivity"
import { BackendAuth } from "@effect-agentbay/backend/BackendAuth"
import * as BackendRuntime from "@effect-agentbay/backend/BackendRuntime"
import * as BackendStore from "@effect-agentbay/backend/BackendStore"
import * as BackendSync from "@effect-agentbay/backend/BackendSync"
import * as Wire from "@effect-agentbay/core/Wire"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Assets from "./internal/dashboardAssets.js"

/**
 * Where the dashboard is served.
 *
 * @since 0.1.0
 * @category constants
 */
export const path = "/ui"

/**
 * The Content-Security-Policy of every `/ui` answer: scripts, styles and
 * requests to this origin only; no inline script or style, no plugin, no frame.
 *
 * @since 0.1.0
 * @category constants
 */
export const csp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join("; ")

/**
 * The most ids one `GET /ui/api/sessions?ids=` may name.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxIds = 100

/**
 * The fingerprint of an owner shown in the dashboard: the first 12 characters
 * of its SHA-256 hex (the store keeps no key).
 *
 * @since 0.1.0
 * @category utils
 */
export const fingerprint = (owner: string): string => owner.slice(0, 12)

const secured = (response: HttpServerResponse.HttpServerResponse) =>
  HttpServerResponse.setHeaders(response, {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store"
  })

const envelope = (reply: BackendRuntime.Reply) =>
  secured(HttpServerResponse.unsafeJson(reply.body, { status: reply.status }))

const asset = (name: keyof typeof Assets.assets) => {
  const { body, contentType } = Assets.assets[name]
  return Effect.succeed(secured(HttpServerResponse.text(body, { contentType })))
}

const notFound = (what: string) =>
  envelope(BackendRuntime.failure(404, Wire.Code.ActionNotFound, `No dashboard resource at ${what.slice(0, 200)}`))

// The caller's owner id from `Authorization: Bearer <key>`, or the 401 answer.
const caller = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const auth = yield* BackendAuth
  return Option.match(auth.authenticate(request.headers.authorization), {
    onNone: () =>
      Effect.fail(
        HttpServerResponse.setHeader(
          envelope(BackendRuntime.unauthorized()),
          "www-authenticate",
          "Bearer realm=\"agentbay-local\""
        )
      ),
    onSome: Effect.succeed
  })
}).pipe(Effect.flatten)

const json = (body: unknown) => secured(HttpServerResponse.unsafeJson(body))

const summary = (row: BackendStore.SessionRow) => ({
  id: row.id,
  owner: fingerprint(row.owner),
  createdAt: row.createdAt,
  updatedAt: row.updatedAt
})

const text = (u: unknown) => (typeof u === "string" && u !== "" ? u : null)

const sessions = Effect.gen(function*() {
  const owner = yield* caller
  const store = yield* BackendStore.BackendStore
  const request = yield* HttpServerRequest.HttpServerRequest
  const query = new URL(request.url, "http://localhost").searchParams
  const ids = [...new Set((query.get("ids") ?? "").split(",").filter((id) => id !== ""))]
  if (ids.length > maxIds) {
    return envelope(BackendRuntime.failure(400, Wire.Code.InvalidParameter, `ids: at most ${maxIds}`))
  }
  const rows = yield* Effect.forEach(ids, (id) => store.findSession(id, owner), { concurrency: 8 })
  return json({ sessions: rows.flatMap((row) => Option.isSome(row) ? [summary(row.value)] : []) })
})

const session = Effect.gen(function*() {
  const owner = yield* caller
  const store = yield* BackendStore.BackendStore
  const activity = yield* BackendActivity
  const id = (yield* HttpRouter.params).id ?? ""
  const row = yield* store.findSession(id, owner)
  if (Option.isNone(row)) {
    return envelope(BackendRuntime.failure(404, Wire.Code.SessionNotFound, `Session ${id.slice(0, 100)} not found`))
  }
  const { commands, history } = yield* activity.of(id)
  return json({
    ...summary(row.value),
    imageId: row.value.imageId,
    volumeId: text(row.value.params.VolumeId),
    contexts: BackendSync.entriesOf(row.value.params).map((e) => ({ contextId: e.contextId, path: e.path })),
    history,
    commands
  })
})

// A failure of the API (a defect) is an envelope, never a bare status.
const guarded = <R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerResponse.HttpServerResponse, R>
) =>
  handler.pipe(
    Effect.merge,
    Effect.catchAllCause((cause) =>
      Effect.as(
        Effect.logError("agentbay dashboard: request failed", cause),
        envelope(BackendRuntime.failure(500, Wire.Code.InternalError, "Internal error"))
      )
    )
  )

/**
 * The dashboard's routes, to serve beside the backend's router: the page at
 * `/ui` (and `/ui/`), its assets, and the JSON API; anything else under `/ui`
 * is a 404 envelope.
 *
 * @since 0.1.0
 * @category routers
 */
export const router: HttpRouter.HttpRouter<never, BackendAuth | BackendStore.BackendStore | BackendActivity> =
  HttpRouter.empty.pipe(
    HttpRouter.get(path, asset("index.html")), // and `/ui/` (the router ignores a trailing slash)
    HttpRouter.get(`${path}/app.js`, asset("app.js")),
    HttpRouter.get(`${path}/app.css`, asset("app.css")),
    HttpRouter.get(`${path}/api/sessions`, guarded(sessions)),
    HttpRouter.get(`${path}/api/sessions/:id`, guarded(session)),
    HttpRouter.all(`${path}/*`, Effect.map(HttpServerRequest.HttpServerRequest, (r) => notFound(r.url.split("?")[0]!)))
  )
