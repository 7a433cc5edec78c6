/**
 * @since 0.1.0
 */
export * as NodeAgentBay from "./NodeAgentBay.js"
/**
 * @since 0.1.0
 */
export * as NodeHttpClientLite from "./NodeHttpClientLite.js"
