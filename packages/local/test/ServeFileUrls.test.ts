// `agentbay-local serve --url-lifetime / --recycle-interval / --max-upload-size` (a child process): the flags
// reach the backend (the URLs' ExpireTime, the upload cap), and a lifetime that never ends is refused.
import * as AgentBay from "@effect-agentbay/core/AgentBay"
import * as AgentBayClient from "@effect-agentbay/core/AgentBayClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { has } from "./capabilities.js"
import { client, serve, tempDataDir } from "./serveChild.js"

const file = "/home/wuying/data/a.bin"

describe("agentbay-local serve: context-file URL flags", () => {
  it.live(
    "--url-lifetime sets the URLs' ExpireTime; --max-upload-size caps a PUT (413, nothing stored)",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const dataDir = yield* tempDataDir("agentbay-serve-urls-")
        const server = yield* serve(
          dataDir,
          "--url-lifetime",
          "90s",
          "--recycle-interval",
          "1m",
          "--max-upload-size",
          "10"
        )
        const key = fs.readFileSync(path.join(dataDir, "api-key"), "utf8").trim()
        yield* client(server, key)(Effect.gen(function*() {
          const bay = yield* AgentBay.AgentBay
          const raw = yield* AgentBayClient.AgentBayClient
          const context = yield* bay.context.create("flags")
          const before = Math.floor(Date.now() / 1000)
          const up = yield* bay.context.getFileUploadUrl(context.id, file)
          assert.isAtLeast(up.expireTime!, before + 90)
          assert.isAtMost(up.expireTime!, Math.floor(Date.now() / 1000) + 90)

          const tooBig = yield* Effect.flip(raw.putUrl(up.url, new Uint8Array(11)))
          has(tooBig, { _tag: "TransportError", status: 413 })
          has(yield* Effect.flip(bay.context.getFileDownloadUrl(context.id, file)), { _tag: "NotFound" })
          yield* raw.putUrl((yield* bay.context.getFileUploadUrl(context.id, file)).url, new Uint8Array(10))
          const page = yield* bay.context.listFiles(context.id, "/home/wuying/data")
          assert.deepStrictEqual(page.files.map((f) => [f.name, f.size]), [["a.bin", 10]])
        }))
      })),
    { timeout: 60_000 }
  )

  it.live("--url-lifetime off is a usage error: the server does not start", () =>
    Effect.scoped(Effect.gen(function*() {
      const dataDir = yield* tempDataDir("agentbay-serve-urls-")
      const refused = yield* Effect.flip(serve(dataDir, "--url-lifetime", "off"))
      assert.include(refused.message, "must be a finite duration: off")
    })), { timeout: 60_000 })
})
