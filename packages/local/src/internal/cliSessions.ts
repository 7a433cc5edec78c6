// `agentbay-local sessions list` / `sessions delete ID` (see Cli.ts): through the server
// running on the data dir when there is one, else on the data dir directly.
import * as BackendSessions from "@effect-agentbay/backend/BackendSessions"
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as CliOutput from "@effect-agentbay/platform-node/CliOutput"
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as AgentBayLocal from "../AgentBayLocal.js"
import * as LocalDataDir from "../LocalDataDir.js"
import * as Sandbox from "../Sandbox.js"
import { dataDir, isolation, withStore } from "./cli.js"

const pad = (text: string, width: number) => text.length >= width ? text + " " : text + " ".repeat(width - text.length)

const table = (widths: ReadonlyArray<number>) => (cells: ReadonlyArray<string>) =>
  cells.map((c, i) => i < widths.length ? pad(c, widths[i]) : c).join("")

const apiKey = Options.text("api-key").pipe(
  Options.map((key) => Redacted.make(key)),
  Options.optional,
  Options.withDescription(
    "Key for the server running on the data dir, if one does (default: $AGENTBAY_API_KEY, else the data dir's key file)"
  )
)

/** A running server of the data dir, and the key to use with it (never printed). */
interface Remote {
  readonly endpoint: string
  readonly apiKey: Redacted.Redacted
  /** Where the key came from, for messages: `--api-key`, `AGENTBAY_API_KEY` or the key file's path. */
  readonly keySource: string
}

// The server running on `dir`, if any, with the key: --api-key, else AGENTBAY_API_KEY, else the key file.
const remote = (dir: string, given: Option.Option<Redacted.Redacted>) =>
  Effect.gen(function*() {
    const server = yield* LocalDataDir.running(dir)
    if (Option.isNone(server)) return Option.none<Remote>()
    const { endpoint, pid } = server.value
    if (endpoint === undefined) {
      return yield* Effect.fail(new Error(`a server (pid ${pid}) is starting on ${dir}: try again in a moment`))
    }
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dir, LocalDataDir.files.apiKey)
    const usable = (key: string | undefined) => key !== undefined && key.trim() !== ""
    let key: Redacted.Redacted | undefined
    let source = ""
    if (Option.isSome(given) && usable(Redacted.value(given.value))) {
      key = given.value
      source = "--api-key"
    } else {
      const env = yield* Config.option(Config.redacted("AGENTBAY_API_KEY")).pipe(
        Effect.orElseSucceed(() => Option.none<Redacted.Redacted>())
      )
      if (Option.isSome(env) && usable(Redacted.value(env.value))) {
        key = env.value
        source = "AGENTBAY_API_KEY"
      } else {
        const text = yield* fs.readFileString(file).pipe(Effect.map((t) => t.trim()), Effect.orElseSucceed(() => ""))
        if (usable(text)) {
          key = Redacted.make(text)
          source = file
        }
      }
    }
    if (key === undefined) {
      return yield* Effect.fail(
        new Error(
          `a server runs on ${dir} (${endpoint}): give its API key with --api-key or AGENTBAY_API_KEY (no key file at ${file})`
        )
      )
    }
    return Option.some<Remote>({ endpoint, apiKey: key, keySource: source })
  })

// Runs `use` with our SDK pointed at the server; a rejected key says where it came from.
const withServer = <A, E>(server: Remote, use: Effect.Effect<A, E, AgentBay.AgentBay>) =>
  use.pipe(
    Effect.provide(
      AgentBay.layer({ apiKey: server.apiKey, endpoint: server.endpoint, timeout: "15 seconds" }).pipe(
        Layer.provide(AgentBay.layerWaits(AgentBayLocal.waits))
      )
    ),
    Effect.provide(NodeHttpClient.layerUndici),
    Effect.catchIf(
      (e): e is E & { readonly _tag: "AuthError"; readonly message: string } => Predicate.isTagged(e, "AuthError"),
      (e) =>
        Effect.fail(
          new Error(`${e.message}: the server at ${server.endpoint} does not accept the key from ${server.keySource}`)
        )
    )
  )

const list = Command.make("list", {
  dataDir,
  all: Options.boolean("all").pipe(
    Options.withDescription("Include deleted sessions (reads the data dir's database, even while a server runs)")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print one JSON array on stdout instead of the table")),
  apiKey
}, (o) =>
  Effect.gen(function*() {
    const server = o.all ? Option.none<Remote>() : yield* remote(o.dataDir, o.apiKey)
    if (Option.isSome(server)) {
      const { endpoint } = server.value
      const found = yield* withServer(
        server.value,
        Effect.flatMap(AgentBay.AgentBay, (bay) => Stream.runCollect(bay.list({ pageSize: 100 })))
      )
      if (o.json) {
        return yield* Console.log(JSON.stringify(Chunk.toArray(found).map(({ id, status }) => ({ id, status }))))
      }
      const via = `through the server at ${endpoint}: the sessions of this API key`
      if (Chunk.isEmpty(found)) return yield* Console.log(`no sessions (${via})`)
      const line = table([31])
      yield* Console.log(`(${via})`)
      yield* Console.log(line(["ID", "STATUS"]))
      for (const s of found) yield* Console.log(line([s.id, s.status]))
      return
    }
    yield* withStore(o.dataDir, (store) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const rows = (yield* store.sessionsExcept(o.all ? [] : BackendSessions.goneStatuses)).map((row) => ({
          id: row.id,
          // As a request would see it now (a due transition shown settled); nothing is written.
          status: Lifecycle.settle(BackendSessions.stateOf(row), now).status,
          owner: row.owner.slice(0, 8), // a prefix of the key's hash
          imageId: row.imageId,
          createdAt: new Date(row.createdAt).toISOString(),
          labels: row.labels
        }))
        if (o.json) return yield* Console.log(JSON.stringify(rows))
        if (rows.length === 0) return yield* Console.log("no sessions")
        const line = table([31, 10, 10, 15, 26])
        yield* Console.log(line(["ID", "STATUS", "OWNER", "IMAGE", "CREATED", "LABELS"]))
        for (const r of rows) {
          yield* Console.log(line([r.id, r.status, r.owner, r.imageId, r.createdAt, JSON.stringify(r.labels)]))
        }
      }))
  })).pipe(Command.withDescription(
    "List the sessions: those of the API key through the running server, else every owner's from the data dir"
  ))

const del = Command.make(
  "delete",
  { dataDir, id: Args.text({ name: "id" }), isolation, apiKey },
  (o) =>
    Effect.gen(function*() {
      const server = yield* remote(o.dataDir, o.apiKey)
      if (Option.isSome(server)) {
        const { endpoint } = server.value
        return yield* withServer(
          server.value,
          Effect.gen(function*() {
            const bay = yield* AgentBay.AgentBay
            // GetSession first: delete alone treats an unknown id as already gone.
            const found = yield* bay.get(o.id).pipe(
              Effect.catchTag("NotFound", () =>
                Effect.fail(
                  new Error(
                    `session ${o.id} not found (asked the server at ${endpoint}, which shows this API key's sessions only)`
                  )
                ))
            )
            if (Lifecycle.isGone(found.status)) return yield* Console.log(`${o.id} is already ${found.status}`)
            yield* bay.delete(o.id).pipe(CliOutput.track({ label: `deleting ${o.id}`, initial: found.status }))
            yield* Console.log(`deleted ${o.id}`)
          })
        )
      }
      yield* withStore(o.dataDir, (store) =>
        Effect.gen(function*() {
          const found = yield* store.findSession(o.id)
          if (Option.isNone(found)) return yield* Effect.fail(new Error(`session ${o.id} not found`))
          const now = yield* Clock.currentTimeMillis
          const state = Lifecycle.settle(BackendSessions.stateOf(found.value), now)
          const decision = Lifecycle.decide("delete", state.status)
          if (decision === "noop") return yield* Console.log(`${o.id} is already ${state.status}`)
          if (decision === "reject") {
            return yield* Effect.fail(new Error(`session ${o.id} is ${state.status}: cannot delete`))
          }
          // No server runs: the delete completes at once.
          yield* Effect.flatMap(Sandbox.Sandbox, (box) => box.destroy(o.id)).pipe(
            Effect.provide(Sandbox.layer({ dataDir: o.dataDir, isolation: o.isolation }))
          )
          const deleted = Lifecycle.settleNow(Lifecycle.begin("delete", now, 0))
          yield* store.setState(o.id, BackendSessions.stateOf(found.value), deleted, now)
          yield* Console.log(`deleted ${o.id}`)
        }))
    })
).pipe(Command.withDescription(
  "Delete a session: through the running server (with an API key), else in the data dir (kills and removes its tree)"
))

export const sessions = Command.make("sessions").pipe(
  Command.withDescription("Inspect or edit the sessions of a data dir"),
  Command.withSubcommands([list, del])
)
