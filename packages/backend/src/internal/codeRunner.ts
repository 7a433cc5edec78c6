// `run_code` (BackendTools): runs Python (python3) or JavaScript (node) in the session with a small wrapper that
// reports the value of the last expression as the main result. Internal: not exported from the package.
//
// The code goes to the interpreter on standard input (not through a file): no sandbox path has to mean the
// same thing to the files and to the command (it does not in process mode), and nothing is left behind.
// Tracebacks still show source lines (Python: the wrapper fills `linecache`; node: `vm.Script` has the text).
// The wrapper lets the code use the real stdout/stderr, then writes `<marker><record JSON>` to stdout; the
// record is what follows the marker's last occurrence. The marker is random per run.
import * as McpTool from "@effect-agentbay/core/McpTool"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import type { BackendSandbox, ExecResult, SandboxError } from "../BackendSandbox.js"

const aliases: Record<string, string> = {
  py: "python",
  python3: "python",
  js: "javascript",
  node: "javascript",
  nodejs: "javascript"
}

/** Lower-cases and resolves `args.language`'s aliases (the official client does it too) before decoding. */
export const normaliseLanguage = (args: unknown): unknown => {
  if (typeof args !== "object" || args === null || !("language" in args) || typeof args.language !== "string") {
    return args
  }
  const language = args.language.toLowerCase()
  return { ...args, language: aliases[language] ?? language }
}

const python = `import ast, base64, json, linecache, os, sys, time, traceback
marker, name = sys.argv[1], "<cell-" + sys.argv[2] + ">"
sys.argv = [""]
source = sys.stdin.read()
sys.stdin = open(os.devnull)
linecache.cache[name] = (len(source), None, source.splitlines(True), name)
space = {"__name__": "__main__", "__builtins__": __builtins__}
mimes = (("_repr_html_", "text/html"), ("_repr_markdown_", "text/markdown"), ("_repr_png_", "image/png"),
  ("_repr_jpeg_", "image/jpeg"), ("_repr_svg_", "image/svg+xml"), ("_repr_latex_", "text/latex"),
  ("_repr_json_", "application/json"))
def bundle(value):
  out = {"text/plain": repr(value)}
  for method, mime in mimes:
    f = getattr(value, method, None)
    if not callable(f): continue
    try: data = f()
    except Exception: continue
    if isinstance(data, tuple): data = data[0]
    if data is None: continue
    if isinstance(data, bytes): data = base64.b64encode(data).decode("ascii")
    out[mime] = data
  out["isMainResult"] = True
  return out
results, error = [], ""
start = time.perf_counter()
try:
  tree = ast.parse(source, name)
  last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
  exec(compile(tree, name, "exec"), space)
  if last is not None:
    value = eval(compile(ast.Expression(last.value), name, "eval"), space)
    if value is not None: results.append(bundle(value))
except BaseException as e:
  if not (isinstance(e, SystemExit) and e.code in (None, 0)):
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != name: tb = tb.tb_next
    error = "".join(traceback.format_exception(type(e), e, tb))
elapsed = time.perf_counter() - start
for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
  try: stream.flush()
  except Exception: pass
os.write(1, (marker + json.dumps({"result": results, "error": error, "time": round(elapsed, 6)}, default=str)).encode())
`

const javascript = `const vm = require("node:vm"), util = require("node:util"), fs = require("node:fs")
const [marker, count] = process.argv.slice(1)
process.argv = process.argv.slice(0, 1)
const filename = "<cell-" + count + ">"
const source = fs.readFileSync(0, "utf8")
const start = performance.now()
let result = [], error = "", reported = false
const report = () => {
  if (reported) return
  reported = true
  fs.writeSync(1, marker + JSON.stringify({ result, error, time: (performance.now() - start) / 1000 }))
}
const fail = (e) => {
  error = e instanceof Error && e.stack
    ? e.stack.split("\\n").filter((l) => !l.startsWith("    at ") || l.includes(filename)).join("\\n")
    : "Uncaught " + util.inspect(e)
  report()
  process.exit(1)
}
process.on("uncaughtException", fail)
process.on("unhandledRejection", fail)
process.on("beforeExit", report)
process.on("exit", report)
try {
  const value = vm.runInThisContext(source, { filename })
  Promise.resolve(value).then((v) => {
    if (v !== undefined) result = [{ "text/plain": util.inspect(v), isMainResult: true }]
  }, fail)
} catch (e) {
  fail(e)
}
`

/** Runs the interpreter `$0` with the rest as its arguments, or exits 127 with a note when it is missing. */
const launcher = `command -v "$0" >/dev/null 2>&1 || { echo "agentbay: $0 is not installed" >&2; exit 127; }; ` +
  `exec "$0" "$@"`

/** The wrapper's report. */
const Report = Schema.parseJson(Schema.Struct({
  result: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  error: Schema.String,
  time: Schema.Number
}))

/** What `run` found: the execution record, or a missing interpreter. */
export type Outcome =
  | { readonly _tag: "Record"; readonly record: typeof McpTool.CodeExecution.Type }
  | { readonly _tag: "Missing"; readonly interpreter: string }

const lines = (text: string): ReadonlyArray<string> => (text === "" ? [] : [text])

/** The argv of one run (exported for tests that script `exec`: the marker is `argv[6]`, the count `argv[7]`). */
export const argv = (language: "python" | "javascript", marker: string, count: number): ReadonlyArray<string> =>
  language === "python"
    ? ["sh", "-c", launcher, "python3", "-c", python, marker, String(count)]
    : ["sh", "-c", launcher, "node", "-e", javascript, marker, String(count)]

const interpret = (
  result: ExecResult,
  marker: string,
  interpreter: string,
  count: number,
  timeoutS: number
): typeof McpTool.CodeExecution.Type => {
  const at = result.stdout.lastIndexOf(marker)
  const stdout = lines(at < 0 ? result.stdout : result.stdout.slice(0, at))
  const stderr = lines(result.stderr)
  if (result.timedOut) {
    return {
      result: [],
      stdout,
      stderr,
      executionError: McpTool.timeoutLine(timeoutS * 1000, "execution"),
      executionTime: timeoutS,
      executionCount: count
    }
  }
  const report = at < 0 ? undefined : Either.getOrUndefined(
    Schema.decodeUnknownEither(Report)(result.stdout.slice(at + marker.length))
  )
  if (report === undefined) {
    return {
      result: [],
      stdout,
      stderr,
      executionError: `${interpreter} exited with code ${result.exitCode} without a result` +
        " (it crashed, was killed, or its output passed the sandbox's limit)",
      executionCount: count
    }
  }
  return {
    result: report.result,
    stdout,
    stderr,
    executionError: report.error,
    executionTime: report.time,
    executionCount: count
  }
}

const makeMarker = Effect.map(
  Effect.all(Array.from({ length: 4 }, () => Random.nextIntBetween(0, 0x7fffffff))),
  (parts) => `@@agentbay-result-${parts.map((n) => n.toString(16)).join("")}@@`
)

/** Runs the code once; `count` is the session's execution count for this run. */
export const run = (
  sandbox: BackendSandbox.Service,
  sessionId: string,
  args: { readonly code: string; readonly language: "python" | "javascript"; readonly timeout_s: number },
  count: number
): Effect.Effect<Outcome, SandboxError> =>
  Effect.gen(function*() {
    const marker = yield* makeMarker
    const interpreter = args.language === "python" ? "python3" : "node"
    const result = yield* sandbox.exec(sessionId, argv(args.language, marker, count), {
      timeout: Duration.seconds(args.timeout_s),
      stdin: args.code
    })
    if (result.exitCode === 127 && result.stderr.includes(`agentbay: ${interpreter} is not installed`)) {
      return { _tag: "Missing", interpreter } as const
    }
    return { _tag: "Record", record: interpret(result, marker, interpreter, count, args.timeout_s) } as const
  })
