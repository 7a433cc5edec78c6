// End to end through the CLI server (AgentBayLocal's layer in a child process): a context's files (synced by a
// session and uploaded through a pre-signed URL) and a volume's data survive a SIGKILL of the server and a
// restart on the same data dir, and so do the context, the volume and a download URL handed out before the kill.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import * as WireContext from "@effect-agentbay/core/WireContext"
import * as WireVolume from "@effect-agentbay/core/WireVolume"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { describeWithBubblewrap } from "./bubblewrap.js"
import { client, serve, stop, tempDataDir } from "./serveChild.js"

const dataPath = "/home/wuying/data"
const volumeMount = "/home/wuying/volume"

/** The bytes behind a URL (GET), whole. */
const fetchUrl = (url: string) =>
  Effect.flatMap(AgentBayClient.AgentBayClient, (raw) => raw.getUrl(Redacted.make(url))).pipe(
    Effect.flatMap(Stream.runCollect),
    Effect.map((chunks) => Buffer.concat(Chunk.toArray(chunks)))
  )

const describeFiles = (contextId: string, folder: string) =>
  Effect.flatMap(
    AgentBayClient.AgentBayClient,
    (raw) => raw.call(WireContext.DescribeContextFiles, { ContextId: contextId, ParentFolderPath: folder })
  ).pipe(
    Effect.map((reply) => reply.data.map((f) => [f.FileName, f.FileType, f.Size]))
  )

const survives = (isolation: "process" | "bubblewrap") =>
  it.live("a context's files and a volume's data survive a SIGKILL and a restart", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir("agentbay-persistence-")
      const uploaded = randomBytes(12 * 1024 * 1024 + 5) // past the 8 MiB cap of API bodies: the route has its own
      const first = yield* serve(dataDir, "--isolation", isolation)
      const key = fs.readFileSync(path.join(dataDir, "api-key"), "utf8").trim()

      const before = yield* client(first, key)(Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const raw = yield* AgentBayClient.AgentBayClient
        const ctx = (yield* raw.call(WireContext.GetContext, { Name: "e2e", AllowCreate: true })).data
        const vol = (yield* raw.call(WireVolume.GetVolume, {
          VolumeName: "e2e-vol",
          ImageId: "linux_latest",
          AllowCreate: true
        })).data
        // A file put in the context through a pre-signed URL, streamed.
        const put = yield* raw.call(WireContext.GetContextFileUploadUrl, {
          ContextId: ctx.Id,
          FilePath: `${dataPath}/uploaded.bin`
        })
        yield* raw.putUrl(Redacted.make(put.data.Url), Stream.fromIterable(chunked(uploaded, 256 * 1024)))

        // Session 1 gets it (download at create), adds a file, writes to the volume; its delete uploads.
        const s1 = yield* bay.create({
          contextSync: [{ contextId: ctx.Id, path: dataPath }],
          volumeId: vol.VolumeId
        })
        const got = yield* s1.filesystem.readFileBytes(`${dataPath}/uploaded.bin`)
        assert.isTrue(Buffer.from(got).equals(uploaded), "the URL's upload reached session 1")
        yield* s1.filesystem.writeFile(`${dataPath}/from-s1.txt`, "written by session 1")
        yield* s1.filesystem.writeFile(`${volumeMount}/v.txt`, "on the volume")
        yield* bay.delete(s1)
        assert.deepStrictEqual(yield* describeFiles(ctx.Id, dataPath), [
          ["from-s1.txt", "file", 20],
          ["uploaded.bin", "file", uploaded.length]
        ])
        const get = yield* raw.call(WireContext.GetContextFileDownloadUrl, {
          ContextId: ctx.Id,
          FilePath: `${dataPath}/from-s1.txt`
        })
        // An upload over the existing file, under way when the server is killed.
        const cut = yield* raw.call(WireContext.GetContextFileUploadUrl, {
          ContextId: ctx.Id,
          FilePath: `${dataPath}/from-s1.txt`
        })
        const endless = Stream.concat(Stream.make(new TextEncoder().encode("never finished")), Stream.never)
        yield* Effect.forkScoped(raw.putUrl(Redacted.make(cut.data.Url), endless))
        const staging = path.join(dataDir, "contexts", ctx.Id, "staging")
        for (let i = 0; i < 1000 && !(fs.existsSync(staging) && fs.readdirSync(staging).length > 0); i++) {
          yield* Effect.sleep("10 millis")
        }
        assert.lengthOf(fs.readdirSync(staging), 1, "the cut upload is being written")
        return { contextId: ctx.Id, volumeId: vol.VolumeId, downloadUrl: get.data.Url, staging }
      }))

      const killed = yield* stop(first.child, "SIGKILL")
      assert.strictEqual(killed.signal, "SIGKILL")

      const second = yield* serve(dataDir, "--isolation", isolation)
      yield* client(second, key)(Effect.gen(function*() {
        const bay = yield* AgentBay.AgentBay
        const raw = yield* AgentBayClient.AgentBayClient
        const ctx = (yield* raw.call(WireContext.GetContext, { Name: "e2e", AllowCreate: false })).data
        assert.strictEqual(ctx.Id, before.contextId)
        const vols = yield* raw.call(WireVolume.ListVolumes, { ImageId: "linux_latest" })
        assert.deepStrictEqual(vols.data.map((v) => v.VolumeId), [before.volumeId])
        assert.deepStrictEqual(yield* describeFiles(ctx.Id, dataPath), [
          ["from-s1.txt", "file", 20],
          ["uploaded.bin", "file", uploaded.length]
        ])
        // The upload cut by the kill left nothing: the old file, no temp file.
        assert.isFalse(fs.existsSync(before.staging) && fs.readdirSync(before.staging).length > 0)
        // A URL handed out before the kill still works (its token's hash is stored), on the new port.
        const oldUrl = new URL(before.downloadUrl)
        const moved = `${second.endpoint}${oldUrl.pathname}`
        assert.strictEqual((yield* fetchUrl(moved)).toString(), "written by session 1")
        const get = yield* raw.call(WireContext.GetContextFileDownloadUrl, {
          ContextId: ctx.Id,
          FilePath: `${dataPath}/uploaded.bin`
        })
        assert.isTrue((yield* fetchUrl(get.data.Url)).equals(uploaded), "byte-exact after the restart")

        // Session 2 with the same context and volume sees both.
        const s2 = yield* bay.create({
          contextSync: [{ contextId: ctx.Id, path: dataPath }],
          volumeId: before.volumeId
        })
        assert.strictEqual(yield* s2.filesystem.readFile(`${dataPath}/from-s1.txt`), "written by session 1")
        assert.strictEqual(yield* s2.filesystem.readFile(`${volumeMount}/v.txt`), "on the volume")
        const mounted = isolation === "bubblewrap" ? volumeMount : "$HOME/volume" // no isolation: the host's view
        const seen = yield* s2.command.executeCommand(`cat ${mounted}/v.txt`)
        assert.strictEqual(seen.stdout, "on the volume")
        yield* bay.delete(s2)
      }))
      assert.strictEqual(
        fs.readFileSync(path.join(dataDir, "volumes", before.volumeId, "v.txt"), "utf8"),
        "on the volume"
      )
    }).pipe(Effect.scoped), { timeout: 90_000 })

describe("persistence across a SIGKILL (process)", () => survives("process"))
describeWithBubblewrap("persistence across a SIGKILL (bubblewrap)", () => survives("bubblewrap"))

function chunked(bytes: Uint8Array, size: number): Array<Uint8Array> {
  const out: Array<Uint8Array> = []
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size))
  return out
}
