/**
 * The MCP tools a session runs through `CallMcpTool`, each declared once: its
 * name, the schema of its `Args`, and the codec of its result text (`content[0].text`
 * of the MCP result). The client encodes `Args` and decodes the text with them;
 * the backend decodes `Args` and encodes the text with the same declarations, so
 * both sides speak the formats the official client parses (spec: semantics.md §3).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/**
 * One tool: `args` encode to the JSON object sent as `Args`; `result` decodes
 * the tool's text into a value (and encodes a value into that text).
 *
 * @since 0.1.0
 * @category models
 */
export interface McpTool<Name extends string, A, AI, R> {
  readonly name: Name
  readonly description: string
  readonly args: Schema.Schema<A, AI>
  readonly result: Schema.Schema<R, string>
}

/**
 * Any tool, for registries keyed by name.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyTool = McpTool<string, any, any, any>

/**
 * @since 0.1.0
 * @category constructors
 */
export const tool = <const Name extends string, A, AI, R>(
  name: Name,
  options: {
    readonly description: string
    readonly args: Schema.Schema<A, AI>
    readonly result: Schema.Schema<R, string>
  }
): McpTool<Name, A, AI, R> => ({ name, ...options })

/**
 * A result whose text is informational only (the official client ignores it).
 *
 * @since 0.1.0
 * @category schemas
 */
export const AnyText = Schema.String

const Path = Schema.String

/**
 * A codec between text made of lines and an array of values, one per kept
 * line: `parse` returns undefined for a line to skip.
 */
const lines = <A>(options: {
  readonly item: Schema.Schema<A>
  readonly parse: (line: string) => A | undefined
  readonly format: (a: A) => string
}): Schema.Schema<ReadonlyArray<A>, string> =>
  Schema.transform(Schema.String, Schema.Array(options.item), {
    strict: true,
    decode: (text) =>
      text.split("\n").map((l) => l.trim()).filter((l) => l !== "").flatMap((l) => {
        const a = options.parse(l)
        return a === undefined ? [] : [a]
      }),
    encode: (items) => items.map(options.format).join("\n")
  })

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category tools
 */
export const CreateDirectory = tool("create_directory", {
  description: "Create a directory and its missing parents",
  args: Schema.Struct({ path: Path }),
  result: AnyText
})

/**
 * @since 0.1.0
 * @category tools
 */
export const DeleteFile = tool("delete_file", {
  description: "Delete a file or a directory with its contents",
  args: Schema.Struct({ path: Path }),
  result: AnyText
})

/**
 * @since 0.1.0
 * @category tools
 */
export const MoveFile = tool("move_file", {
  description: "Move or rename a file or directory",
  args: Schema.Struct({ source: Path, destination: Path }),
  result: AnyText
})

/**
 * One find/replace of `edit_file`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileEdit = Schema.Struct({ oldText: Schema.String, newText: Schema.String })

/**
 * `edit_file`: every `oldText` must occur; its first occurrence is replaced
 * (edits apply in order). With `dryRun` nothing is written. The result text is
 * the edited content's summary (the official client ignores it).
 *
 * @since 0.1.0
 * @category tools
 */
export const EditFile = tool("edit_file", {
  description: "Replace text in a file (each oldText must occur); dryRun only checks",
  args: Schema.Struct({ path: Path, edits: Schema.Array(FileEdit), dryRun: Schema.optional(Schema.Boolean) }),
  result: AnyText
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const WriteMode = Schema.Literal("overwrite", "append", "create_new")

/**
 * `write_file`: `content` is text (UTF-8 on disk).
 *
 * @since 0.1.0
 * @category tools
 */
export const WriteFile = tool("write_file", {
  description: "Write text to a file: overwrite, append, or create_new (fails if it exists)",
  args: Schema.Struct({ path: Path, content: Schema.String, mode: Schema.optional(WriteMode) }),
  result: AnyText
})

/**
 * `read_file`: a byte window (`offset`, `length`) of the file. As text, every
 * character whose first byte lies in the window (so that concatenated windows
 * are lossless); with `format: "binary"`, base64 of exactly the window's bytes.
 *
 * @since 0.1.0
 * @category tools
 */
export const ReadFile = tool("read_file", {
  description: "Read a byte window of a file, as text or (format: binary) base64",
  args: Schema.Struct({
    path: Path,
    offset: Schema.optional(Schema.NonNegativeInt),
    length: Schema.optional(Schema.NonNegativeInt),
    format: Schema.optional(Schema.Literal("text", "binary"))
  }),
  result: Schema.String
})

/**
 * What `get_file_info` reports.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileInfo = Schema.Struct({
  name: Schema.String,
  path: Schema.String,
  size: Schema.NonNegativeInt,
  isDirectory: Schema.Boolean,
  modTime: Schema.String,
  mode: Schema.String,
  owner: Schema.optional(Schema.String),
  group: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type FileInfo = typeof FileInfo.Type

/**
 * `get_file_info`'s text: lines `key: value`, split at the first `:` only (the
 * official parser keeps the text between the first and second `:`, so a
 * `modTime` with colons is cut there; we do not).
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileInfoText: Schema.Schema<FileInfo, string> = Schema.transformOrFail(Schema.String, FileInfo, {
  strict: true,
  decode: (text, _, ast) => {
    const fields: Record<string, string> = {}
    for (const line of text.split("\n")) {
      const at = line.indexOf(":")
      if (at > 0) fields[line.slice(0, at).trim()] = line.slice(at + 1).trim()
    }
    const size = Number(fields.size)
    if (fields.name === undefined || fields.path === undefined || !Number.isInteger(size)) {
      return ParseResult.fail(new ParseResult.Type(ast, text, "get_file_info: name, path and size are required"))
    }
    return ParseResult.succeed({
      name: fields.name,
      path: fields.path,
      size,
      isDirectory: fields.isDirectory === "true",
      modTime: fields.modTime ?? "",
      mode: fields.mode ?? "",
      ...(fields.owner === undefined ? {} : { owner: fields.owner }),
      ...(fields.group === undefined ? {} : { group: fields.group })
    })
  },
  encode: (info) =>
    ParseResult.succeed(
      [
        `name: ${info.name}`,
        `path: ${info.path}`,
        `size: ${info.size}`,
        `isDirectory: ${info.isDirectory}`,
        `modTime: ${info.modTime}`,
        `mode: ${info.mode}`,
        ...(info.owner === undefined ? [] : [`owner: ${info.owner}`]),
        ...(info.group === undefined ? [] : [`group: ${info.group}`])
      ].join("\n")
    )
})

/**
 * @since 0.1.0
 * @category tools
 */
export const GetFileInfo = tool("get_file_info", {
  description: "Size, type, mode and modification time of a file or directory",
  args: Schema.Struct({ path: Path }),
  result: FileInfoText
})

/**
 * One entry of `list_directory`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DirectoryEntry = Schema.Struct({ name: Schema.String, isDirectory: Schema.Boolean })

/**
 * `list_directory`: one `[DIR] <name>` or `[FILE] <name>` line per entry; other lines are ignored.
 *
 * @since 0.1.0
 * @category tools
 */
export const ListDirectory = tool("list_directory", {
  description: "The entries of a directory",
  args: Schema.Struct({ path: Path }),
  result: lines({
    item: DirectoryEntry,
    parse: (line) =>
      line.startsWith("[DIR] ")
        ? { name: line.slice(6), isDirectory: true }
        : line.startsWith("[FILE] ")
        ? { name: line.slice(7), isDirectory: false }
        : undefined,
    format: (e) => `${e.isDirectory ? "[DIR]" : "[FILE]"} ${e.name}`
  })
})

/**
 * `read_multiple_files`'s text: per file, `<path>: <first line>`, its further
 * lines, then a line `---`. A file's content that itself holds a line `---`
 * cannot be told apart (a limit of the format).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MultipleFilesText: Schema.Schema<
  ReadonlyArray<{ readonly path: string; readonly content: string }>,
  string
> = Schema.transform(
  Schema.String,
  Schema.Array(Schema.Struct({ path: Schema.String, content: Schema.String })),
  {
    strict: true,
    decode: (text) => {
      const out: Array<{ path: string; content: string }> = []
      let current: { path: string; lines: Array<string> } | undefined
      for (const line of text.split("\n")) {
        if (current === undefined) {
          const at = line.indexOf(": ")
          const head = at < 0 ? line.replace(/:$/, "") : line.slice(0, at)
          if (head === "" || /\s/.test(head)) continue
          current = { path: head, lines: at < 0 ? [] : [line.slice(at + 2)] }
        } else if (line === "---") {
          out.push({ path: current.path, content: current.lines.join("\n").replace(/\n+$/, "") })
          current = undefined
        } else {
          current.lines.push(line)
        }
      }
      if (current !== undefined) out.push({ path: current.path, content: current.lines.join("\n").replace(/\n+$/, "") })
      return out
    },
    encode: (files) => files.map((f) => `${f.path}: ${f.content}\n---\n`).join("")
  }
)

/**
 * @since 0.1.0
 * @category tools
 */
export const ReadMultipleFiles = tool("read_multiple_files", {
  description: "Read several text files at once",
  args: Schema.Struct({ paths: Schema.Array(Path) }),
  result: MultipleFilesText
})

/**
 * `search_files`: files and directories below `path` whose name matches the
 * glob `pattern` (`*`, `?`; a pattern without wildcards matches names that
 * contain it), minus those matching an `excludePatterns` glob; one absolute
 * path per line.
 *
 * @since 0.1.0
 * @category tools
 */
export const SearchFiles = tool("search_files", {
  description: "Find files below a directory by name pattern, with exclusions",
  args: Schema.Struct({
    path: Path,
    pattern: Schema.String,
    excludePatterns: Schema.optional(Schema.Array(Schema.String))
  }),
  result: lines({ item: Schema.String, parse: (line) => line, format: (line) => line })
})

/**
 * One change reported by `get_file_change`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FileChange = Schema.Struct({
  eventType: Schema.Literal("create", "modify", "delete"),
  path: Schema.String,
  pathType: Schema.Literal("file", "directory")
})

/**
 * `get_file_change`: the changes below `path` since the previous call for the
 * same path (the first call reports nothing and starts the watch).
 *
 * @since 0.1.0
 * @category tools
 */
export const GetFileChange = tool("get_file_change", {
  description: "Changes below a directory since the previous call",
  args: Schema.Struct({ path: Path }),
  result: Schema.parseJson(Schema.Array(FileChange))
})

// ---------------------------------------------------------------------------
// Commands and code
// ---------------------------------------------------------------------------

/**
 * `shell`'s result text.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ShellResult = Schema.Struct({
  stdout: Schema.String,
  stderr: Schema.String,
  exit_code: Schema.Int,
  traceId: Schema.optional(Schema.String)
})

/**
 * `shell`: runs `command` with `sh -c` in the session, cwd its home unless
 * given. A non-zero exit is reported in `exit_code` (not as an error).
 *
 * @since 0.1.0
 * @category tools
 */
export const Shell = tool("shell", {
  description: "Run a shell command",
  args: Schema.Struct({
    command: Schema.String,
    timeout_ms: Schema.Int.pipe(Schema.positive()),
    cwd: Schema.optional(Schema.String),
    envs: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
  }),
  result: Schema.parseJson(ShellResult)
})

/**
 * The languages `run_code` runs (after the official client's aliasing).
 *
 * @since 0.1.0
 * @category schemas
 */
export const CodeLanguage = Schema.Literal("python", "javascript", "r", "java")

/**
 * One `result` item of `run_code`: a MIME map, JSON text on the wire (objects are
 * accepted too).
 *
 * @since 0.1.0
 * @category schemas
 */
export const MimeBundle = Schema.Record({ key: Schema.String, value: Schema.Unknown })

const MimeItem = Schema.Union(Schema.parseJson(MimeBundle), MimeBundle)

/**
 * `run_code`'s execution record.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CodeExecution = Schema.Struct({
  result: Schema.optionalWith(Schema.Array(MimeItem), { default: () => [] }),
  stdout: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  stderr: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  executionError: Schema.optional(Schema.String),
  executionTime: Schema.optional(Schema.Number),
  executionCount: Schema.optional(Schema.Number)
})

/**
 * @since 0.1.0
 * @category tools
 */
export const RunCode = tool("run_code", {
  description: "Run Python or JavaScript code and return its rich results",
  args: Schema.Struct({ code: Schema.String, language: CodeLanguage, timeout_s: Schema.Int.pipe(Schema.positive()) }),
  result: Schema.parseJson(CodeExecution)
})

/**
 * `get_metrics`'s record (units as the spec leaves them: open).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Metrics = Schema.Struct({
  cpu_count: Schema.Number,
  cpu_used_pct: Schema.Number,
  disk_total: Schema.Number,
  disk_used: Schema.Number,
  mem_total: Schema.Number,
  mem_used: Schema.Number,
  rx_rate_kbyte_per_s: Schema.optional(Schema.Number),
  tx_rate_kbyte_per_s: Schema.optional(Schema.Number),
  rx_used_kbyte: Schema.optional(Schema.Number),
  tx_used_kbyte: Schema.optional(Schema.Number),
  timestamp: Schema.String
})

/**
 * @since 0.1.0
 * @category tools
 */
export const GetMetrics = tool("get_metrics", {
  description: "CPU, memory, disk and network use of the session",
  args: Schema.Struct({}),
  result: Schema.parseJson(Metrics)
})

/**
 * Every tool above, by name.
 *
 * @since 0.1.0
 * @category registry
 */
export const all: ReadonlyArray<AnyTool> = [
  CreateDirectory,
  DeleteFile,
  MoveFile,
  EditFile,
  WriteFile,
  ReadFile,
  GetFileInfo,
  ListDirectory,
  ReadMultipleFiles,
  SearchFiles,
  GetFileChange,
  Shell,
  RunCode,
  GetMetrics
]

/**
 * The MCP result object (`Data` of CallMcpTool).
 *
 * @since 0.1.0
 * @category schemas
 */
export const McpResult = Schema.Struct({
  content: Schema.Array(
    Schema.Struct({
      type: Schema.String,
      text: Schema.optional(Schema.String),
      blob: Schema.optional(Schema.String),
      data: Schema.optional(Schema.String)
    })
  ),
  isError: Schema.optionalWith(Schema.Boolean, { default: () => false })
})

/**
 * @since 0.1.0
 * @category models
 */
export type McpResult = typeof McpResult.Type

/**
 * The text of a result: every `content[].text` joined with `"; "` when it is
 * an error (the official client's rule), else `content[0]`'s text (or blob, or data).
 *
 * @since 0.1.0
 * @category utils
 */
export const textOf = (result: McpResult): string => {
  if (result.isError) return result.content.map((c) => c.text ?? "").filter((t) => t !== "").join("; ")
  const first = result.content[0]
  return first?.text ?? first?.blob ?? first?.data ?? ""
}

/**
 * A successful text result.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ok = (text: string): McpResult => ({ content: [{ type: "text", text }], isError: false })

/**
 * A failed text result.
 *
 * @since 0.1.0
 * @category constructors
 */
export const error = (text: string): McpResult => ({ content: [{ type: "text", text }], isError: true })

/**
 * Decodes a tool's result text with its declaration.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeResult = <R>(tool: { readonly result: Schema.Schema<R, string> }, text: string) =>
  Either.mapLeft(Schema.decodeEither(tool.result)(text), (e) => e.message)

// ---------------------------------------------------------------------------
// Helpers shared by the client and the backend
// ---------------------------------------------------------------------------

/**
 * The size of one `read_file` window and the bound on one `write_file` piece,
 * in bytes: 60 KiB, as the official client uses (spec: semantics.md §3.3).
 *
 * @since 0.1.0
 * @category constants
 */
export const chunkSize = 61_440

/**
 * The last line of `stderr` (shell, with exit code 124) or of `executionError`
 * (run_code) when a run was stopped at its timeout: the local runtime's
 * convention, which the client turns into `CommandTimeout`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const timeoutLine = (millis: number, what: "command" | "execution" = "command"): string =>
  `${what} timed out after ${millis} ms`

const timeoutPattern = /\btimed out after \d+ ms\s*$/

/**
 * True when the last non-empty line of `text` is a `timeoutLine`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const endsWithTimeoutLine = (text: string): boolean => {
  const lines = text.split("\n").filter((l) => l.trim() !== "")
  const last = lines[lines.length - 1]
  return last !== undefined && timeoutPattern.test(last)
}
