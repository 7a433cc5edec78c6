// The `agentbay` executable for use inside this repository (see tsup.bin.ts at the root).
import { binConfig } from "../../../tsup.bin.js"

export default binConfig(import.meta.dirname, "agentbay")
