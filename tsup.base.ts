import { readdirSync } from "node:fs"
import { defineConfig, type Options } from "tsup"

// One entry per public module (src/*.ts), so deep imports like
// `@effect-agentbay/core/AgentBay` work; internal/* is bundled into them.
export const config = (dir: string, extra: Partial<Options> = {}) =>
  defineConfig({
    entry: readdirSync(`${dir}/src`).filter((f) => f.endsWith(".ts")).map((f) => `src/${f}`),
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "node20",
    splitting: true,
    external: [/^@effect-agentbay\//, /^effect/, /^@effect\//],
    tsconfig: "tsconfig.build.json",
    ...extra
  })
