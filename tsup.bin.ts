// The repo-local executables (`agentbay-local`, `agentbay`): one esbuild bundle of a
// package's src/bin.ts with the workspace sources (@effect-agentbay/* from src/,
// through the root tsconfig's paths) and the npm dependencies in it, so a fresh clone
// needs no `pnpm build` and a CLI starts without loading hundreds of modules. Built by
// the root `postinstall` and by each package's `build:bin`; its bin/<name>.js loads
// it. Output: <package>/bin/build/ (git-ignored), with sources.json, the workspace
// files in the bundle, so the launcher can tell when the bundle is older than one.
import type { Plugin } from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { defineConfig } from "tsup"

const listSources = (outDir: string): Plugin => ({
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
})

// Native addons cannot be bundled: they stay imports, pinned to the file esbuild would
// have bundled (better-sqlite3 is a dependency of @effect/sql-sqlite-node, reachable only
// from inside pnpm's store), written relative to the bundle.
const keepNative = (outDir: string, native: ReadonlyArray<string>): Plugin => ({
  name: "keep-native",
  setup(build) {
    const filter = new RegExp(`^(${native.join("|")})$`)
    build.onResolve({ filter }, async (args) => {
      if (args.pluginData === "keep-native") return undefined
      const found = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: "keep-native"
      })
      if (found.errors.length > 0) return { errors: found.errors }
      const relative = Path.relative(outDir, found.path).split(Path.sep).join("/")
      return { path: relative.startsWith(".") ? relative : `./${relative}`, external: true }
    })
  }
})

/** The bundle config of the executable `name` of the package whose bin/ folder is `binDir`. */
export const binConfig = (binDir: string, name: string, native: ReadonlyArray<string> = []) => {
  const outDir = Path.join(binDir, "build")
  // <root>/packages/<package>/bin (this file is bundled into each config, so its own location is not known).
  const root = Path.resolve(binDir, "../../..")
  return defineConfig({
    entry: { [name]: Path.join(binDir, "../src/bin.ts") },
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
    // Everything goes in, native addons aside (their plugin keeps those out).
    noExternal: native.length === 0 ? [/.*/] : [new RegExp(`^(?!(${native.join("|")})$)`)],
    esbuildPlugins: native.length === 0 ? [listSources(outDir)] : [keepNative(outDir, native), listSources(outDir)],
    // Bundled CommonJS dependencies call require() for Node's modules.
    banner: {
      js:
        "import { createRequire as __agentbayCreateRequire } from \"node:module\";\nconst require = __agentbayCreateRequire(import.meta.url);"
    }
  })
}
