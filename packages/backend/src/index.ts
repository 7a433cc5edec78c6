/**
 * The service semantics behind the AgentBay wire protocol, written once and run
 * by both the local runtime (`@effect-agentbay/local`) and the fake
 * (`@effect-agentbay/testing`): every public module as a namespace.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as BackendActivity from "./BackendActivity.js"
/**
 * @since 0.1.0
 */
export * as BackendAuth from "./BackendAuth.js"
/**
 * @since 0.1.0
 */
export * as BackendContexts from "./BackendContexts.js"
/**
 * @since 0.1.0
 */
export * as BackendHttp from "./BackendHttp.js"
/**
 * @since 0.1.0
 */
export * as BackendMetrics from "./BackendMetrics.js"
/**
 * @since 0.1.0
 */
export * as BackendNetworks from "./BackendNetworks.js"
/**
 * @since 0.1.0
 */
export * as BackendRuntime from "./BackendRuntime.js"
/**
 * @since 0.1.0
 */
export * as BackendSandbox from "./BackendSandbox.js"
/**
 * @since 0.1.0
 */
export * as BackendSessions from "./BackendSessions.js"
/**
 * @since 0.1.0
 */
export * as BackendStore from "./BackendStore.js"
/**
 * @since 0.1.0
 */
export * as BackendSync from "./BackendSync.js"
/**
 * @since 0.1.0
 */
export * as BackendTools from "./BackendTools.js"
/**
 * @since 0.1.0
 */
export * as BackendVault from "./BackendVault.js"
/**
 * @since 0.1.0
 */
export * as BackendVolumes from "./BackendVolumes.js"
/**
 * @since 0.1.0
 */
export * as KeyedLock from "./KeyedLock.js"
/**
 * @since 0.1.0
 */
export * as MemoryFiles from "./MemoryFiles.js"
/**
 * @since 0.1.0
 */
export * as MemoryStore from "./MemoryStore.js"
/**
 * @since 0.1.0
 */
export * as MemoryVault from "./MemoryVault.js"
