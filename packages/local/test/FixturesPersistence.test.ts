// Fixture replay of the persistence fixtures: contexts, context files, volumes,
// networks, a session's syncs and file transfer (the machinery is in
// fixtureReplay.ts). Each fixture first gets what the recording had (contexts,
// files in them, volumes, networks, sessions), made through the wire client; ids,
// list tokens and pre-signed URL paths the recording introduces are learned from
// our answers. The pre-signed URLs' PUT and GET are replayed too: the PUT's bytes
// must land in the session (upload-file) and the GET must return the session's
// file byte for byte (download-file).
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as AgentBayLocal from "../src/AgentBayLocal.js"
import * as Sandbox from "../src/Sandbox.js"
import {
  exactly,
  makeContext,
  makeNetwork,
  makeVolume,
  persistenceFixtures,
  place,
  type Placed,
  replay,
  Values
} from "./fixtureReplay.js"
import { portOf, raw } from "./utils.js"

interface Env {
  readonly bay: AgentBay.AgentBay.Service
  readonly client: AgentBayClient.AgentBayClient.Service
  readonly port: number
}

type Setup = (env: Env) => Effect.Effect<Placed, unknown>

/** What must hold after the replay, given the session `<SESSION_ID_1>` stands for. */
type Check = (env: Env, sessionId: string) => Effect.Effect<void, unknown>

// upload-file: the PUT's bytes, synced down, are the session's file now.
const uploaded: Check = ({ bay }, id) =>
  Effect.gen(function*() {
    const session = yield* bay.get(id)
    const text = yield* session.filesystem.readFile("/home/wuying/file_transfer/report.txt")
    assert.strictEqual(text, "quarterly report\n")
  })

const none: Setup = () => Effect.succeed([])

/** Contexts by name, in order: `<CONTEXT_ID_1>`, `<CONTEXT_ID_2>`, ... (or the placeholders given). */
const contexts = (...names: ReadonlyArray<string>): Setup => ({ client }) =>
  Effect.map(
    Effect.forEach(names, (name) => makeContext(client, name)),
    (ids) => Object.fromEntries(ids.map((id, n) => [`<CONTEXT_ID_${n + 1}>`, id]))
  )

const volumes = (...names: ReadonlyArray<string>): Setup => ({ client }) =>
  Effect.map(
    Effect.forEach(names, (name) => makeVolume(client, name)),
    (ids) => Object.fromEntries(ids.map((id, n) => [`<VOLUME_ID_${n + 1}>`, id]))
  )

const network: Setup = ({ client }) => Effect.map(makeNetwork(client), (id) => ({ "<NETWORK_ID_1>": id }))

/** Stores `files` (sandbox path -> text) in the context through an upload URL, as a user would. */
const store = (env: Env, contextId: string, files: Readonly<Record<string, string>>) =>
  Effect.forEach(Object.entries(files), ([path, text]) =>
    Effect.gen(function*() {
      const url = yield* env.client.call(WireContext.GetContextFileUploadUrl, { ContextId: contextId, FilePath: path })
      const res = yield* raw(env.port, { method: "PUT", path: new URL(url.data.Url).pathname, body: text })
      assert.strictEqual(res.status, 200, `PUT ${path}: ${res.text}`)
    }), { discard: true })

/** `fixture-data` holding `files`. */
const dataWith = (files: Readonly<Record<string, string>>): Setup => (env) =>
  Effect.gen(function*() {
    const id = yield* makeContext(env.client, "fixture-data")
    yield* store(env, id, files)
    return { "<CONTEXT_ID_1>": id }
  })

/** Learns our NextToken for the recording's `b2ZmOjE` (the first page of size 1). */
const withSecondPage =
  (setup: Setup, firstPage: (env: Env) => Effect.Effect<string | undefined, unknown>): Setup => (env) =>
    Effect.gen(function*() {
      const placed = yield* setup(env)
      const token = yield* firstPage(env)
      assert.isString(token, "a first page of size 1 has a next token")
      return { ...placed, "<TOKEN b2ZmOjE>": token! }
    })

/** A session syncing fixture-data at /home/wuying/data and fixture-cache at /home/wuying/cache. */
const syncing: Setup = (env) =>
  Effect.gen(function*() {
    const placed = (yield* contexts("fixture-data", "fixture-cache")(env)) as Record<string, string>
    const session = yield* env.bay.create({
      contextSync: [
        { contextId: placed["<CONTEXT_ID_1>"]!, path: "/home/wuying/data" },
        { contextId: placed["<CONTEXT_ID_2>"]!, path: "/home/wuying/cache" }
      ]
    })
    return { ...placed, "<SESSION_ID_1>": session.id }
  })

const csv = "id,value\n1,42\n"

const checks: Readonly<Record<string, Check>> = { "upload-file": uploaded }

const cases: ReadonlyArray<readonly [string, Setup]> = [
  ["context-get", contexts("fixture-data", "fixture-cache")],
  ["context-get-create", none],
  // The recording lists fixture-data (made before) as <CONTEXT_ID_2>; the GetContext answer introduces <CONTEXT_ID_1>.
  [
    "context-create",
    ({ client }) => Effect.map(makeContext(client, "fixture-data"), (id) => ({ "<CONTEXT_ID_2>": id }))
  ],
  ["context-list", contexts("fixture-data", "fixture-cache")],
  ["context-list-max-results", contexts("fixture-data", "fixture-cache")],
  [
    "context-list-next-page",
    withSecondPage(
      contexts("fixture-data", "fixture-cache"),
      ({ client }) => Effect.map(client.call(WireContext.ListContexts, { MaxResults: 1 }), (r) => r.envelope.NextToken)
    )
  ],
  ["context-update", contexts("fixture-cache")],
  ["context-delete", contexts("fixture-cache-renamed")],
  ["context-clear", dataWith({ "/home/wuying/data/notes.txt": "hello world" })],
  ["context-delete-file", dataWith({ "/home/wuying/data/logs/run.log": "started\n" })],
  ["context-file-download-url", dataWith({ "/home/wuying/data/notes.txt": "hello world" })],
  ["context-file-upload-url", contexts("fixture-data")],
  [
    "context-list-files",
    dataWith({ "/home/wuying/data/notes.txt": "hello world", "/home/wuying/data/logs/run.log": "x" })
  ],
  ["error-context-not-found", none],
  ["volume-create", none],
  ["volume-delete", volumes("fixture-volume")],
  ["volume-get-by-id", volumes("fixture-volume")],
  ["volume-get-by-name", volumes("fixture-volume")],
  ["volume-list", volumes("fixture-volume")],
  ["volume-list-by-ids", volumes("fixture-volume", "fixture-volume-2")],
  ["volume-list-max-results", volumes("fixture-volume", "fixture-volume-2")],
  [
    "volume-list-next-page",
    withSecondPage(volumes("fixture-volume", "fixture-volume-2"), ({ client }) =>
      Effect.map(
        client.call(WireVolume.ListVolumes, { ImageId: "linux_latest", MaxResults: 1 }),
        (r) => r.envelope.NextToken
      ))
  ],
  ["network-bind-token", none],
  ["network-bind-token-existing", network],
  ["network-describe", network],
  ["error-network-describe-unknown", none],
  ["upload-file", ({ bay }) => Effect.map(bay.create(), (s) => [s.id])],
  ["download-file", ({ bay }) =>
    Effect.gen(function*() {
      const session = yield* bay.create()
      yield* session.filesystem.writeFile("/home/wuying/file_transfer/result.csv", csv)
      return [session.id]
    })],
  ["session-context-info", syncing],
  ["session-context-sync", syncing]
]

const keys = cases.map((_, i) => `akl-persist-${i}`)
const Server = AgentBayLocal.layerServerWith(
  { apiKeys: keys.map((k) => Redacted.make(k)) },
  (dataDir) => Sandbox.layer({ dataDir, isolation: "process" })
)

layer(Server, { excludeTestServices: true, timeout: "30 seconds" })("persistence fixture replay", (it) => {
  cases.forEach(([name, setup], i) =>
    it.effect(name, () =>
      Effect.gen(function*() {
        const info = yield* AgentBayLocal.Info
        const port = portOf(info.endpoint)
        const withSdk = <A>(f: (env: Env) => Effect.Effect<A, unknown>) =>
          Effect.flatMap(
            Effect.all([AgentBay.AgentBay, AgentBayClient.AgentBayClient]),
            ([bay, client]) => f({ bay, client, port })
          ).pipe(
            Effect.provide(AgentBay.layer({ apiKey: Redacted.make(keys[i]!), endpoint: info.endpoint })),
            Effect.provide(NodeHttpClient.layerUndici)
          )
        const placed = yield* withSdk(setup)
        const values = new Values(keys[i]!, info.hostPort)
        const { "<TOKEN b2ZmOjE>": token, ...ids } = Array.isArray(placed)
          ? { "<TOKEN b2ZmOjE>": undefined }
          : placed as Record<string, string>
        place(values, Array.isArray(placed) ? placed : ids)
        if (token !== undefined) values.tokens.set("b2ZmOjE", token)
        yield* replay(name, values, port, { text: exactly, home: () => "" })
        const check = checks[name]
        if (check !== undefined) yield* withSdk((env) => check(env, values.ids.get("<SESSION_ID_1>")!))
      }))
  )

  it.effect("replays every persistence fixture", () =>
    Effect.sync(() => assert.sameMembers(cases.map(([name]) => name), [...persistenceFixtures])))
})
