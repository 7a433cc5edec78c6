/**
 * @since 0.1.0
 */
export * as AgentBay from "./AgentBay.js"
/**
 * @since 0.1.0
 */
export * as AgentBayClient from "./AgentBayClient.js"
/**
 * @since 0.1.0
 */
export * as AgentBayCode from "./AgentBayCode.js"
/**
 * @since 0.1.0
 */
export * as AgentBayCommand from "./AgentBayCommand.js"
/**
 * @since 0.1.0
 */
export * as AgentBayConfig from "./AgentBayConfig.js"
/**
 * @since 0.1.0
 */
export * as AgentBayContext from "./AgentBayContext.js"
/**
 * @since 0.1.0
 */
export * as AgentBayError from "./AgentBayError.js"
/**
 * @since 0.1.0
 */
export * as AgentBayFileSystem from "./AgentBayFileSystem.js"
/**
 * @since 0.1.0
 */
export * as AgentBayMcp from "./AgentBayMcp.js"
/**
 * @since 0.1.0
 */
export * as AgentBayMetrics from "./AgentBayMetrics.js"
/**
 * @since 0.1.0
 */
export * as BetaNetwork from "./BetaNetwork.js"
/**
 * @since 0.1.0
 */
export * as BetaVolume from "./BetaVolume.js"
/**
 * @since 0.1.0
 */
export * as Lifecycle from "./Lifecycle.js"
/**
 * @since 0.1.0
 */
export * as McpTool from "./McpTool.js"
/**
 * @since 0.1.0
 */
export * as PageToken from "./PageToken.js"
/**
 * @since 0.1.0
 */
export * as Session from "./Session.js"
/**
 * @since 0.1.0
 */
export * as SessionStatus from "./SessionStatus.js"
/**
 * @since 0.1.0
 */
export * as WaitProgress from "./WaitProgress.js"
/**
 * @since 0.1.0
 */
export * as SyncPolicy from "./SyncPolicy.js"
/**
 * @since 0.1.0
 */
export * as Wire from "./Wire.js"
/**
 * @since 0.1.0
 */
export * as WireContext from "./WireContext.js"
/**
 * @since 0.1.0
 */
export * as WireSession from "./WireSession.js"

/**
 * @since 0.1.0
 */
export * as WireVolume from "./WireVolume.js"

/**
 * @since 0.1.0
 */
export * as WireNetwork from "./WireNetwork.js"
/**
 * The error classes, also at the root: `import { NotFound } from "@effect-agentbay/core"`.
 *
 * @since 0.1.0
 */
export {
  AgentBayError as AgentBayErrorSchema,
  ApiError,
  AuthError,
  CommandTimeout,
  type CommonError,
  ContextSyncError,
  DecodeError,
  InvalidState,
  isAgentBayError,
  isRetryable,
  NotFound,
  ToolError,
  TransportError,
  ValidationError,
  WaitTimeout
} from "./AgentBayError.js"
