/**
 * @since 0.1.0
 */
export * as AgentBayTest from "./AgentBayTest.js"
