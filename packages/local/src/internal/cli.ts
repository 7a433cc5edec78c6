// The options and helpers the `agentbay-local` subcommands share (see Cli.ts).
import * as Options from "@effect/cli/Options"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as AgentBayLocal from "../AgentBayLocal.js"
import * as LocalDataDir from "../LocalDataDir.js"
import * as LocalStore from "../LocalStore.js"

export const dataDir = Options.directory("data-dir").pipe(
  Options.withDefault(AgentBayLocal.defaultDataDir),
  Options.withDescription("State directory (SQLite, generated key, session trees)")
)

export const isolation = Options.choice("isolation", ["auto", "bubblewrap", "process"]).pipe(
  Options.withDefault("auto" as const),
  Options.withDescription("auto: bubblewrap when it works here, else plain processes (no isolation)")
)

// Opens the data dir's database (which must exist), for `sessions` and `doctor`.
export const withStore = <A, E>(dir: string, use: (store: LocalStore.LocalStore.Service) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const file = path.join(dir, LocalDataDir.files.database)
    if (!(yield* fs.exists(file))) return yield* Effect.fail(new Error(`no database at ${file}`))
    return yield* Effect.flatMap(LocalStore.LocalStore, use).pipe(Effect.provide(LocalStore.layer({ filename: file })))
  })
