/**
 * Node.js layer for `@effect-agentbay/core`: `NodeAgentBay.layer` (settings from options,
 * the environment and `.env`, a keep-alive HTTP client), the lean client itself, and the
 * `agentbay` command line. Each module is also importable on its own, e.g.
 * `@effect-agentbay/platform-node/NodeAgentBay`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as NodeAgentBay from "./NodeAgentBay.js"
/**
 * @since 0.1.0
 */
export * as NodeHttpClientLite from "./NodeHttpClientLite.js"
/**
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
/**
 * @since 0.1.0
 */
export * as CliOutput from "./CliOutput.js"
