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
