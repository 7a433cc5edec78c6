import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src`, import.meta.url))

// Workspace packages resolve to their sources, so tests never need a build first.
export default defineConfig({
  resolve: {
    alias: [
      ...["core", "platform-node", "backend", "testing", "local"].flatMap((pkg) => [
        { find: new RegExp(`^@effect-agentbay/${pkg}$`), replacement: `${src(pkg)}/index.ts` },
        { find: new RegExp(`^@effect-agentbay/${pkg}/(.*)$`), replacement: `${src(pkg)}/$1.ts` }
      ])
    ]
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } }
  }
})
