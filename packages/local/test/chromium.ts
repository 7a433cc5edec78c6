// Tests that need a browser: Debian's chromium (/usr/bin/chromium, or
// $CHROMIUM_PATH) driven by playwright-core. They run where it starts, are
// skipped with a printed reason elsewhere, and are required under CI=true
// (.ci/run installs chromium), where a missing or broken chromium fails the run.
import { describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { executablePath } from "../dashboard/scenario.js"

const probe = (): string | undefined => {
  const trial = spawnSync(executablePath, ["--headless", "--no-sandbox", "--version"], {
    timeout: 20_000,
    encoding: "utf8"
  })
  if (trial.error !== undefined) {
    return (trial.error as NodeJS.ErrnoException).code === "ENOENT"
      ? `chromium not installed at ${executablePath}: apt-get install chromium`
      : `chromium could not be run: ${trial.error.message}`
  }
  if (trial.status !== 0) {
    return `chromium does not work here: ${(trial.stderr || "").trim().split("\n")[0] || `exit ${trial.status}`}`
  }
  return undefined
}

/** Why chromium cannot be used here, or undefined when it works. */
export const chromiumMissing: string | undefined = probe()

/**
 * `describe`, for tests that need chromium: skipped (the reason is printed)
 * where it is missing, and a failure under CI=true.
 */
export const describeWithChromium = (name: string, body: () => void): void => {
  if (chromiumMissing === undefined) {
    describe(name, body)
    return
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has chromium (required under CI=true)", () => {
        throw new Error(`${name}: ${chromiumMissing}`)
      })
    })
    return
  }
  console.warn(`skipped "${name}": ${chromiumMissing}`)
  describe.skipIf(true)(name, body)
}
