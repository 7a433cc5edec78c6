// A session's files with a volume mounted at `BackendSandbox.volumeMount`
// (/home/wuying/volume): paths there go to the volume's own tree (shared by the
// sessions that mount it, kept after they are gone), every other path to the
// session's. The volume's tree is a MemoryFiles whose home is the volume's
// root. Moves across the mount point are refused, as across devices.
// Internal: used by sandbox.ts.
import * as BackendSandbox from "@effect-agentbay/backend/BackendSandbox"
import * as Effect from "effect/Effect"

const { home, volumeMount } = BackendSandbox

const resolve = (path: string): string | undefined => {
  if (path === "" || path.includes("\0")) return undefined
  const normal = BackendSandbox.normalize(path)
  return normal === volumeMount || normal.startsWith(`${volumeMount}/`) ? normal : undefined
}

// A mounted path in the volume's tree, and back.
const inward = (path: string) => home + path.slice(volumeMount.length)
const outward = (stat: BackendSandbox.FileStat): BackendSandbox.FileStat => ({
  ...stat,
  path: volumeMount + stat.path.slice(home.length),
  name: stat.path === home ? "volume" : stat.name
})

const byPath = (
  a: BackendSandbox.FileStat,
  b: BackendSandbox.FileStat
) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)

const invalid = (path: string, detail: string) =>
  Effect.fail(new BackendSandbox.FileError({ reason: "Invalid", path, detail }))

/** `session` with `volume` mounted; the mount point must exist in `session` (an empty directory). */
export const mount = (
  session: BackendSandbox.SessionFiles,
  volume: BackendSandbox.SessionFiles
): BackendSandbox.SessionFiles => {
  // Errors name the path as the caller gave it.
  const given = <A>(path: string, self: Effect.Effect<A, BackendSandbox.FileError>) =>
    Effect.mapError(self, (e) => new BackendSandbox.FileError({ reason: e.reason, path, detail: e.detail }))
  const route = <A>(
    path: string,
    there: (inner: string) => Effect.Effect<A, BackendSandbox.FileError>,
    here: () => Effect.Effect<A, BackendSandbox.FileError>
  ) => {
    const mounted = resolve(path)
    return mounted === undefined ? here() : given(path, there(inward(mounted)))
  }
  return {
    stat: (path) => route(path, (p) => Effect.map(volume.stat(p), outward), () => session.stat(path)),
    read: (path, offset, length) =>
      route(path, (p) => volume.read(p, offset, length), () => session.read(path, offset, length)),
    write: (path, bytes, mode) =>
      route(path, (p) => volume.write(p, bytes, mode), () => session.write(path, bytes, mode)),
    makeDirectory: (path) => route(path, (p) => volume.makeDirectory(p), () => session.makeDirectory(path)),
    remove: (path) =>
      resolve(path) === volumeMount
        ? invalid(path, "cannot remove the volume's mount point")
        : route(path, (p) => volume.remove(p), () => session.remove(path)),
    move: (source, destination) => {
      const from = resolve(source)
      const to = resolve(destination)
      if (from === volumeMount || to === volumeMount) return invalid(source, "cannot move the volume's mount point")
      if ((from === undefined) !== (to === undefined)) {
        return invalid(destination, "cannot move across the volume's mount point")
      }
      return from === undefined || to === undefined
        ? session.move(source, destination)
        : given(source, volume.move(inward(from), inward(to)))
    },
    list: (path) => route(path, (p) => Effect.map(volume.list(p), (ss) => ss.map(outward)), () => session.list(path)),
    walk: (path) =>
      route(path, (p) => Effect.map(volume.walk(p), (ss) => ss.map(outward)), () =>
        Effect.gen(function*() {
          const own = yield* session.walk(path)
          // The mount point lies below `path`: the volume's entries come in too.
          if (!own.some((s) => s.path === volumeMount)) return own
          const inside = (yield* volume.walk(home)).map(outward)
          return [...own, ...inside].sort(byPath)
        }))
  }
}
