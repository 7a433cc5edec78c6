// The `agentbay` executable for use inside this repository: one esbuild bundle of
// src/bin.ts with the workspace sources (@effect-agentbay/* from src/, through the
// root tsconfig's paths) and the npm dependencies in it, so a fresh clone needs no
// `pnpm build` and the CLI starts without loading hundreds of modules (as
// packages/local/bin does for `agentbay-local`; this one has no native addon).
// Built by the root `postinstall` and by `pnpm --filter @effect-agentbay/platform-node build:bin`;
// bin/agentbay.js loads it. Output: bin/build/ (git-ignored).
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { Plugin } from "esbuild"
import { defineConfig } from "tsup"

const here = import.meta.dirname
const root = Path.resolve(here, "../../..")
const outDir = Path.join(here, "build")

// bin/build/sources.json: the workspace files in the bundle (relative to it), so the
// launcher can tell when the bundle is older than one of them.
const listSources: Plugin = {
  name: "list-sources",
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0 || result.metafile === undefined) return
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd()
      const sources = Object.keys(result.metafile.inputs)
        .map((input) => Path.resolve(cwd, input))
        .filter((file) => !file.split(Path.sep).includes("node_modules"))
        .map((file) => Path.relative(outDir, file).split(Path.sep).join("/"))
        .sort()
      Fs.mkdirSync(outDir, { recursive: true })
      Fs.writeFileSync(Path.join(outDir, "sources.json"), JSON.stringify(sources, null, 2) + "\n")
    })
  }
}

export default defineConfig({
  entry: { agentbay: Path.join(here, "../src/bin.ts") },
  outDir,
  format: ["esm"],
  platform: "node",
  target: "node20",
  dts: false,
  sourcemap: false,
  clean: true,
  splitting: false,
  silent: true,
  tsconfig: Path.join(root, "tsconfig.json"),
  noExternal: [/.*/],
  esbuildPlugins: [listSources],
  // Bundled CommonJS dependencies call require() for Node's modules.
  banner: { js: "import { createRequire as __agentbayCreateRequire } from \"node:module\";\nconst require = __agentbayCreateRequire(import.meta.url);" }
})
