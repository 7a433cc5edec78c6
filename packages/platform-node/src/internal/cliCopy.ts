// `agentbay cp SRC DST`: one side a session's file (`ID:/absolute/path`), the
// other a local path. Through the SDK's file transfer (`uploadFileFrom`,
// `downloadFileTo`): any bytes, streamed both ways, never whole in memory.
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

import * as CliOutput from "../CliOutput.js"
import { common, withBay } from "./cli.js"

/** A command line the parser accepted but that makes no sense: exit code 2, like a parse error. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", { message: Schema.String }) {}

/** A side of a copy: a session's file, or a local path. */
type Side =
  | { readonly _tag: "Remote"; readonly id: string; readonly path: string }
  | { readonly _tag: "Local"; readonly path: string }

// `ID:/path`: an id (two characters or more, no `/`, `:` or space), then an absolute
// path. Anything else is a local path: `./a:b`, and `C:/x` (a drive letter is no id).
const sideOf = (text: string): Side => {
  const m = /^([^/:\s]{2,}):(\/.*)$/.exec(text)
  return m === null ? { _tag: "Local", path: text } : { _tag: "Remote", id: m[1]!, path: m[2]! }
}

const baseName = (path: string) => path.replace(/\/+$/, "").split("/").at(-1) ?? ""

// A remote destination ending in `/` names a directory: the file keeps its name there.
const remoteTarget = (remote: string, local: string) => remote.endsWith("/") ? remote + baseName(local) : remote

// A local destination that is a directory: the file keeps its name in it.
const localTarget = (local: string, remote: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const info = yield* fs.stat(local).pipe(Effect.option)
    return info._tag === "Some" && info.value.type === "Directory" ? path.join(local, baseName(remote)) : local
  })

export const cp = Command.make("cp", {
  ...common,
  source: Args.text({ name: "source" }).pipe(Args.withDescription("ID:/path in a session, or a local file")),
  destination: Args.text({ name: "destination" }).pipe(Args.withDescription("A local path, or ID:/path in a session"))
}, (o) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const from = sideOf(o.source)
    const to = sideOf(o.destination)
    if ((from._tag === "Remote") === (to._tag === "Remote")) {
      return yield* new UsageError({ message: "cp: exactly one of SOURCE and DESTINATION must be ID:/path" })
    }
    const copied = yield* withBay(o, (bay) =>
      from._tag === "Local" && to._tag === "Remote"
        ? Effect.gen(function*() {
          const target = remoteTarget(to.path, from.path)
          const s = yield* bay.get(to.id)
          const size = (yield* fs.stat(from.path)).size
          yield* s.filesystem.uploadFileFrom(from.path, target).pipe(
            CliOutput.track({ label: `uploading to ${to.id}:${target}` })
          )
          return { source: from.path, destination: `${to.id}:${target}`, bytes: Number(size) }
        })
        : Effect.gen(function*() {
          const remote = from as Extract<Side, { _tag: "Remote" }>
          const target = yield* localTarget(to.path, remote.path)
          const s = yield* bay.get(remote.id)
          yield* s.filesystem.downloadFileTo(remote.path, target).pipe(
            CliOutput.track({ label: `downloading ${remote.id}:${remote.path}` })
          )
          const size = (yield* fs.stat(target)).size
          return { source: `${remote.id}:${remote.path}`, destination: target, bytes: Number(size) }
        }))
    yield* o.json
      ? CliOutput.json(copied)
      : CliOutput.line(`${copied.source} -> ${copied.destination} (${copied.bytes} bytes)`)
  })).pipe(Command.withDescription(
    "Copy a file into or out of a session: cp LOCAL ID:/path, or cp ID:/path LOCAL (any bytes, streamed)"
  ))
