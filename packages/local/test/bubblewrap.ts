// Tests that need bubblewrap: they run where `bwrap` works, are skipped with a
// printed reason elsewhere, and are required under CI=true (.ci/run installs
// bubblewrap), where a missing or broken bwrap fails the run instead.
import { describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"

const probe = (): string | undefined => {
  const trial = spawnSync("bwrap", ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"], {
    timeout: 10_000,
    encoding: "utf8"
  })
  if (trial.error !== undefined) {
    return (trial.error as NodeJS.ErrnoException).code === "ENOENT"
      ? "bubblewrap not installed: apt-get install bubblewrap"
      : `bubblewrap could not be run: ${trial.error.message}`
  }
  if (trial.status !== 0) {
    return `bubblewrap does not work here: ${(trial.stderr || "").trim().split("\n")[0] || `exit ${trial.status}`}`
  }
  return undefined
}

/** Why bubblewrap cannot be used here, or undefined when it works. */
export const bubblewrapMissing: string | undefined = probe()

/**
 * `describe`, for tests that need a working bubblewrap: skipped (the reason is
 * printed) where it is missing, and a failure under CI=true.
 */
export const describeWithBubblewrap = (name: string, body: () => void): void => {
  if (bubblewrapMissing === undefined) {
    describe(name, body)
    return
  }
  if (process.env.CI === "true") {
    describe(name, () => {
      it("has bubblewrap (required under CI=true)", () => {
        throw new Error(`${name}: ${bubblewrapMissing}`)
      })
    })
    return
  }
  console.warn(`skipped "${name}": ${bubblewrapMissing}`)
  describe.skipIf(true)(name, body)
}
