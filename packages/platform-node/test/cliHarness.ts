// Runs a CLI in this process with its output captured: what goes to
// `CliOutput` (stdout, stderr) and to the `Console` (@effect/cli's help and
// usage errors, agentbay-local's lines), ANSI colours removed.
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

import * as CliOutput from "../src/CliOutput.js"

// eslint-disable-next-line no-control-regex -- the ANSI escape (ESC) is what is matched
export const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "")

export interface Captured {
  readonly output: CliOutput.Output
  readonly console: Console.Console
  readonly stdout: () => string
  readonly stderr: () => string
}

/** An Output and a Console that record what they are given; `tty`: whether stderr is a terminal. */
export const capture = (tty = false): Captured => {
  const out: Array<string> = []
  const err: Array<string> = []
  const text = (args: ReadonlyArray<unknown>) => plain(args.map(String).join(" ")) + "\n"
  const unsafe: Console.UnsafeConsole = {
    ...globalThis.console,
    log: (...args: ReadonlyArray<unknown>) => void out.push(text(args)),
    error: (...args: ReadonlyArray<unknown>) => void err.push(text(args))
  }
  const none = () => Effect.void
  const console: Console.Console = {
    [Console.TypeId]: Console.TypeId,
    assert: none,
    clear: Effect.void,
    count: none,
    countReset: none,
    debug: none,
    dir: none,
    dirxml: none,
    error: (...args) => Effect.sync(() => unsafe.error(...args)),
    group: none,
    groupEnd: Effect.void,
    info: none,
    log: (...args) => Effect.sync(() => unsafe.log(...args)),
    table: none,
    time: none,
    timeEnd: none,
    timeLog: none,
    trace: none,
    warn: none,
    unsafe
  }
  const output: CliOutput.Output = {
    stdout: (t) => Effect.sync(() => void out.push(t)),
    stderr: (t) => Effect.sync(() => void err.push(t)),
    stderrIsTTY: tty
  }
  return { output, console, stdout: () => out.join(""), stderr: () => err.join("") }
}

export interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `run(["node", name, ...args])` with captured output and Node's services. */
export const runCaptured = <E, R>(
  run: (argv: ReadonlyArray<string>) => Effect.Effect<number, E, R>,
  name: string,
  args: ReadonlyArray<string>,
  options: { readonly tty?: boolean } = {}
) =>
  Effect.gen(function*() {
    const io = capture(options.tty)
    const code = yield* run(["node", name, ...args]).pipe(
      Effect.provideService(CliOutput.CliOutput, io.output),
      Effect.withConsole(io.console),
      Effect.provide(NodeContext.layer)
    )
    return { code, stdout: io.stdout(), stderr: io.stderr() } satisfies Ran
  })

/** The lines of a text, without the empty last one. */
export const lines = (text: string) => text.split("\n").filter((line, i, all) => line !== "" || i < all.length - 1)
