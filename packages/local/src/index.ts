/**
 * The embedded local AgentBay runtime: a wire-compatible server over SQLite and
 * local sandboxes, its CLI and dashboard; every public module as a namespace.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AgentBayLocal from "./AgentBayLocal.js"
/**
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"
/**
 * @since 0.1.0
 */
export * as Dashboard from "./Dashboard.js"
/**
 * @since 0.1.0
 */
export * as LocalAuth from "./LocalAuth.js"
/**
 * @since 0.1.0
 */
export * as LocalDataDir from "./LocalDataDir.js"
/**
 * @since 0.1.0
 */
export * as LocalFiles from "./LocalFiles.js"
/**
 * @since 0.1.0
 */
export * as LocalMetrics from "./LocalMetrics.js"
/**
 * @since 0.1.0
 */
export * as LocalServer from "./LocalServer.js"
/**
 * @since 0.1.0
 */
export * as LocalStore from "./LocalStore.js"
/**
 * @since 0.1.0
 */
export * as LocalVault from "./LocalVault.js"
/**
 * @since 0.1.0
 */
export * as Sandbox from "./Sandbox.js"
