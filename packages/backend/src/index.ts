/**
 * @since 0.1.0
 */
export * as BackendAuth from "./BackendAuth.js"
/**
 * @since 0.1.0
 */
export * as BackendHttp from "./BackendHttp.js"
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
export * as BackendTools from "./BackendTools.js"
/**
 * @since 0.1.0
 */
export * as BackendVault from "./BackendVault.js"
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
