// The committed dashboard bundle (src/internal/dashboardAssets.ts) is what
// packages/local/dashboard/ builds to now: a change to the front-end sources
// without `pnpm dashboard:build` fails here.
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import { generate, target } from "../dashboard/build.js"

describe("the dashboard's generated assets", () => {
  it("are up to date with packages/local/dashboard/ (else run pnpm dashboard:build)", async () => {
    const committed = Fs.readFileSync(target, "utf8")
    const fresh = await generate()
    assert.isTrue(
      committed === fresh,
      "packages/local/src/internal/dashboardAssets.ts is stale: run pnpm dashboard:build"
    )
  })
})
