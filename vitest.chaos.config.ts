// `pnpm test:chaos`: the chaos suite (packages/local/chaos), bounded to a few
// minutes. Kept out of `pnpm test`: only this config includes it. Same aliases
// as vitest.config.ts, so workspace packages resolve to their sources.
import { defineConfig } from "vitest/config"
import base from "./vitest.config.js"

export default defineConfig({
  resolve: base.resolve ?? {},
  test: {
    include: ["packages/local/chaos/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
