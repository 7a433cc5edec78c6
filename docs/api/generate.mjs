// `pnpm run docs`: the API reference of every published package, from the JSDoc of its public
// modules (every src/*.ts but src/bin.ts; src/internal/ is private), into docs/api/<package>/.
//
// 1. A check of every export first, all packages at once so one run lists every gap: each
//    needs `@since` and `@category` (module re-exports `export * as X` need no category), and
//    each module a comment with a description and `@since`. @effect/docgen enforces `@since`
//    but stops at a module's first gap, and does not ask for a category.
// 2. @effect/docgen in each package (its docgen.json; it also type-checks and runs the
//    `@example`s), whose output (packages/<name>/docs) is moved to docs/api/<name>/.
//
// Usage: node docs/api/generate.mjs [package ...] (default: all five). Exits non-zero on a gap
// or a docgen failure.
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const all = ["core", "platform-node", "testing", "backend", "local"]
const packages = process.argv.length > 2 ? process.argv.slice(2) : all

const publicModules = (pkg) => {
  const src = path.join(root, "packages", pkg, "src")
  return fs.readdirSync(src)
    .filter((file) => file.endsWith(".ts") && file !== "bin.ts")
    .sort()
    .map((file) => path.join(src, file))
}

// A JSDoc block written before `node`: the last one (an export's, as docgen reads it) or the
// first (at the top of a file, the module's).
const jsDocOf = (text, node, which = "last") => {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? []
  const docs = ranges.filter((r) => text.startsWith("/**", r.pos))
  if (docs.length === 0) return undefined
  const block = which === "first" ? docs[0] : docs[docs.length - 1]
  const body = text.slice(block.pos + 3, block.end - 2).split("\n").map((line) => line.replace(/^\s*\* ?/, ""))
  const firstTag = body.findIndex((line) => /^\s*@\w+/.test(line))
  const description = (firstTag === -1 ? body : body.slice(0, firstTag)).join("\n").trim()
  const tags = new Set([...body.join("\n").matchAll(/(?:^|\s)@(\w+)/g)].map((m) => m[1]))
  return { description, tags }
}

const isExported = (node) => (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0

const nameOf = (node) => {
  if (ts.isVariableStatement(node)) return node.declarationList.declarations.map((d) => d.name.getText()).join(", ")
  return node.name?.getText() ?? "default"
}

// [name, node whose JSDoc documents it, whether it needs a category] for every export of a
// statement list (a module, or the body of an exported namespace).
const exportsOf = (statements, prefix) =>
  statements.flatMap((node) => {
    if (ts.isExportDeclaration(node)) {
      if (node.exportClause === undefined) {
        return [[`${prefix}export * from ${node.moduleSpecifier.getText()}`, node, true]]
      }
      if (ts.isNamespaceExport(node.exportClause)) {
        return [[prefix + node.exportClause.name.text, node, false]]
      }
      return node.exportClause.elements.map((spec) => [prefix + spec.name.text, spec, true])
    }
    if (ts.isExportAssignment(node)) return [[`${prefix}default`, node, true]]
    if (!isExported(node) || ts.isImportEqualsDeclaration(node)) return []
    const own = [[prefix + nameOf(node), node, true]]
    if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body)) {
      return [...own, ...exportsOf(node.body.statements, `${prefix}${nameOf(node)}.`)]
    }
    return own
  })

const checkModule = (file) => {
  const text = fs.readFileSync(file, "utf8")
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const rel = path.relative(root, file)
  const gaps = []
  const first = source.statements[0]
  const moduleDoc = first && jsDocOf(text, first, "first")
  if (!moduleDoc?.tags.has("since") || moduleDoc.description === "") {
    gaps.push(`${rel}: the module comment needs a description and @since`)
  }
  for (const [name, node, needsCategory] of exportsOf(source.statements, "")) {
    const doc = jsDocOf(text, node)
    const missing = [
      doc?.tags.has("since") ? undefined : "@since",
      !needsCategory || doc?.tags.has("category") ? undefined : "@category"
    ].filter((m) => m !== undefined)
    if (missing.length > 0) gaps.push(`${rel}: ${name} needs ${missing.join(", ")}`)
  }
  return gaps
}

const checkAll = () => {
  const gaps = packages.flatMap((pkg) => publicModules(pkg).flatMap(checkModule))
  for (const gap of gaps) console.error(gap)
  if (gaps.length > 0) console.error(`${gaps.length} export(s) not documented`)
  return gaps.length === 0
}

const bin = path.join(root, "node_modules", ".bin")
const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}` }

const docgen = (pkg) => {
  const dir = path.join(root, "packages", pkg)
  const built = path.join(dir, "docs")
  const target = path.join(root, "docs", "api", pkg)
  fs.rmSync(built, { recursive: true, force: true })
  console.log(`docgen: @effect-agentbay/${pkg}`)
  const run = spawnSync(path.join(bin, "docgen"), [], { cwd: dir, env, stdio: "inherit" })
  try {
    if (run.status !== 0) return false
    fs.rmSync(target, { recursive: true, force: true })
    fs.renameSync(built, target)
    return true
  } finally {
    fs.rmSync(built, { recursive: true, force: true })
  }
}

if (!checkAll()) process.exit(1)
const failed = packages.filter((pkg) => !docgen(pkg))
if (failed.length > 0) {
  console.error(`docgen failed for: ${failed.join(", ")}`)
  process.exit(1)
}
console.log(`API docs written to docs/api/{${packages.join(",")}}`)
