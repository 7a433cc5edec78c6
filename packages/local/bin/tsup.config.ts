// The `agentbay-local` executable for use inside this repository (see tsup.bin.ts at
// the root). better-sqlite3 is a native addon: it stays an import.
import { binConfig } from "../../../tsup.bin.js"

export default binConfig(import.meta.dirname, "agentbay-local", ["better-sqlite3"])
