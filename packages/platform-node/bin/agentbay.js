#!/usr/bin/env node
// The `agentbay` executable (the package's `bin`). It loads, first found:
//
// - bin/build/agentbay.js: one bundle of src/bin.ts, built at install time in this
//   repository (root `postinstall`, or `pnpm --filter @effect-agentbay/platform-node
//   build:bin`), so a fresh clone runs the CLI without a `pnpm build`;
// - dist/bin.js: from `pnpm build` (what a published package has).
//
// Plain ESM, no dependencies: it must work before anything is built.
import { existsSync, readFileSync, statSync } from "node:fs"

const bundle = new URL("./build/agentbay.js", import.meta.url)
const built = new URL("../dist/bin.js", import.meta.url)
const rebuild = "npx -y pnpm@10 --filter @effect-agentbay/platform-node build:bin"

// The bundle is a snapshot of the workspace sources: say so when one of them changed since.
const warnIfStale = () => {
  try {
    const made = statSync(bundle).mtimeMs
    const sources = JSON.parse(readFileSync(new URL("./build/sources.json", import.meta.url), "utf8"))
    const changed = sources.find((file) => {
      try {
        return statSync(new URL(file, bundle)).mtimeMs > made
      } catch {
        return true // removed or renamed
      }
    })
    if (changed !== undefined) {
      console.error(`agentbay: warning: the sources changed since this CLI was built; rebuild it with \`${rebuild}\``)
    }
  } catch {
    // no list of sources: nothing to compare
  }
}

if (existsSync(bundle)) {
  warnIfStale()
  await import(bundle.href)
} else if (existsSync(built)) {
  await import(built.href)
} else {
  console.error(
    `agentbay: the CLI is not built yet: run \`npx -y pnpm@10 install\` at the repository root (or \`${rebuild}\`)`
  )
  process.exitCode = 1
}
