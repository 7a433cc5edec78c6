/**
 * The AgentBay fake for tests: `AgentBayTest.layer` runs the real client against the
 * service semantics in memory. Also importable as `@effect-agentbay/testing/AgentBayTest`.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AgentBayTest from "./AgentBayTest.js"
