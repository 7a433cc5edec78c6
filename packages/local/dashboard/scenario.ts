// What the browser test and `pnpm screenshots` share: Debian's chromium driven
// by playwright-core (never its own browser download), sessions, commands,
// files, a context and a volume seeded through the wire, and the dashboard's
// login.
import type { Browser, Page } from "playwright-core"
import { chromium } from "playwright-core"

/** Debian's chromium (`apt-get install chromium`). */
export const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

/**
 * Launches headless chromium (playwright gives it a fresh, temporary profile:
 * its own `--user-data-dir`, removed on close) with the flags this machine's
 * closed network wants.
 */
export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })

/** One wire action against `endpoint`; the envelope's Data, or an error with its code. */
export const wire = async (endpoint: string, key: string, action: string, fields: Record<string, string> = {}) => {
  const response = await fetch(`${endpoint}/?Action=${action}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...fields, Authorization: `Bearer ${key}` })
  })
  const body = await response.json() as { Success: boolean; Code: string; Message: string; Data: any }
  if (!body.Success) throw new Error(`${action}: ${body.Code}: ${body.Message}`)
  return body.Data
}

/** A tool call in a session; its text. */
export const tool = async (endpoint: string, key: string, sessionId: string, name: string, args: object) => {
  const data = await wire(endpoint, key, "CallMcpTool", {
    SessionId: sessionId,
    Name: name,
    Args: JSON.stringify(args),
    Server: "",
    AutoGenSession: "false"
  })
  return data.content[0]?.text as string
}

/** The bytes of the seeded binary file: 0..255 repeated 600 times (153,600 bytes: three read_file windows). */
export const blobBytes = (): Buffer => Buffer.from(Array.from({ length: 256 * 600 }, (_, i) => i % 256))

export interface Seeded {
  /** team=blue, stays RUNNING; has the files and commands. */
  readonly worker: string
  /** team=blue, PAUSED by the seed. */
  readonly paused: string
  /** team=red, with the context and the volume. */
  readonly persistent: string
  readonly contextId: string
  readonly volumeId: string
}

/** Three sessions, commands, files, a context (synced into `persistent`) and a volume. */
export const seed = async (endpoint: string, key: string): Promise<Seeded> => {
  const create = async (fields: Record<string, string>) =>
    (await wire(endpoint, key, "CreateMcpSession", fields)).SessionId as string
  const context = await wire(endpoint, key, "GetContext", { Name: "workspace", AllowCreate: "true" })
  const volume = await wire(endpoint, key, "GetVolume", {
    VolumeName: "datasets",
    ImageId: "linux_latest",
    AllowCreate: "true"
  })
  const worker = await create({ Labels: JSON.stringify({ team: "blue", role: "worker" }) })
  const paused = await create({ Labels: JSON.stringify({ team: "blue", role: "idle" }) })
  const persistent = await create({
    Labels: JSON.stringify({ team: "red" }),
    PersistenceDataList: JSON.stringify([{ ContextId: context.Id, Path: "/home/wuying/data" }]),
    VolumeId: volume.VolumeId
  })
  const shell = async (id: string, command: string, expected = 0) => {
    const result = JSON.parse(await tool(endpoint, key, id, "shell", { command, timeout_ms: 20_000 }))
    if (result.exit_code !== expected) throw new Error(`seed: ${command}: exit ${result.exit_code}: ${result.stderr}`)
  }
  await shell(worker, "mkdir -p reports && printf 'Hello from the dashboard\\n' > reports/hello.txt")
  await shell(worker, "python3 -c \"import sys; sys.stdout.buffer.write(bytes(range(256))*600)\" > reports/blob.bin")
  await shell(worker, "ls -l reports")
  await shell(worker, "echo checking; echo 'no such thing' >&2; exit 3", 3)
  await shell(persistent, "mkdir -p data/logs && echo notes > data/notes.txt && echo started > data/logs/run.log")
  await wire(endpoint, key, "SyncContext", {
    SessionId: persistent,
    ContextId: context.Id,
    Path: "/home/wuying/data",
    Mode: "upload"
  })
  await wire(endpoint, key, "PauseSessionAsync", { SessionId: paused })
  return { worker, paused, persistent, contextId: context.Id, volumeId: volume.VolumeId }
}

/** Opens the dashboard and signs in with `key`; resolves when the sessions table shows. */
export const signIn = async (page: Page, endpoint: string, key: string) => {
  await page.goto(`${endpoint}/ui`)
  await page.fill("#key", key)
  await page.click("form.login button[type=submit]")
  await page.waitForSelector("[data-testid=sessions] tbody tr[data-session]")
}
