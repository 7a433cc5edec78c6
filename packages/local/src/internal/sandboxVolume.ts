// Volumes of the sandboxes: where a volume's data is kept (`<dataDir>/volumes/<id>`) and how it appears in a
// session at `BackendSandbox.volumeMount`. Internal: not exported from the package.
//
// Under bubblewrap each command's sandbox binds the volume's directory over an empty directory `<home>/volume`
// (the mount point; the bind exists only in the sandbox's mount namespace, so the host never sees the volume
// through the session's tree). In process mode `<home>/volume` is a symlink to the volume's directory. Either
// way, removing the session's tree (`rm -r`, which unlinks symlinks and never follows them) leaves the volume's
// data alone.
import { home as sandboxHome, volumeMount } from "@effect-agentbay/backend/BackendSandbox"
import * as FsP from "node:fs/promises"
import * as Path from "node:path"
import { directoryMode, volumeDirectory } from "../LocalDataDir.js"
import { codeOf } from "./localFiles.js"

/** The volume's name in the home (`volume`). */
const mountName = Path.posix.relative(sandboxHome, volumeMount)

/** `<dataDir>/volumes/<id>`; throws a reason for an invalid id. */
export const directory = (dataDir: string, volumeId: string): string => {
  const dir = volumeDirectory(dataDir, volumeId)
  if (dir === undefined) throw new Error(`invalid volume id (1-128 of A-Za-z0-9._-, not . or ..)`)
  return dir
}

/** Makes the volume's directory (0700) if missing; returns it. */
export const ensure = async (dataDir: string, volumeId: string): Promise<string> => {
  const dir = directory(dataDir, volumeId)
  await FsP.mkdir(dir, { recursive: true, mode: directoryMode })
  return dir
}

/** Removes the volume's data; a missing volume is fine. */
export const remove = async (dataDir: string, volumeId: string): Promise<void> => {
  await FsP.rm(directory(dataDir, volumeId), { recursive: true, force: true })
}

const lstatOrNone = (path: string) =>
  FsP.lstat(path).catch((error) => {
    if (codeOf(error) === "ENOENT") return undefined
    throw error
  })

/**
 * Puts the mount point in the session's home (`<home>/volume`): an empty directory for bubblewrap, a symlink
 * to `volumeDir` for plain processes. What a start in the other mode left there is replaced; anything else in
 * the way (a file, a non-empty directory in process mode) is an error.
 */
export const mountPoint = async (level: "bubblewrap" | "process", home: string, volumeDir: string) => {
  const point = Path.join(home, mountName)
  const stats = await lstatOrNone(point)
  if (level === "bubblewrap") {
    if (stats?.isDirectory()) return
    if (stats?.isSymbolicLink()) await FsP.unlink(point)
    else if (stats !== undefined) throw new Error(`${volumeMount} exists and is not a directory`)
    await FsP.mkdir(point)
    return
  }
  if (stats?.isSymbolicLink() && (await FsP.readlink(point)) === volumeDir) return
  if (stats?.isSymbolicLink()) await FsP.unlink(point)
  else if (stats?.isDirectory()) {
    await FsP.rmdir(point).catch(() => {
      throw new Error(`${volumeMount} exists in the session's home and is not empty`)
    })
  } else if (stats !== undefined) throw new Error(`${volumeMount} exists and is not a directory`)
  await FsP.symlink(volumeDir, point)
}

/**
 * Makes the session's tree (home and tmp) and, with a volume, the volume's directory and the mount point;
 * returns the volume's directory.
 */
export const prepareTree = async (
  level: "bubblewrap" | "process",
  dataDir: string,
  tree: { readonly home: string; readonly tmp: string },
  volumeId: string | undefined
): Promise<string | undefined> => {
  await FsP.mkdir(tree.home, { recursive: true })
  await FsP.mkdir(tree.tmp, { recursive: true })
  if (volumeId === undefined) return undefined
  const volume = await ensure(dataDir, volumeId)
  await mountPoint(level, tree.home, volume)
  return volume
}
