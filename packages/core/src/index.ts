/**
 * Effect-native SDK for AgentBay: every public module as a namespace, and the error
 * classes at the root. Each module can also be imported on its own, e.g.
 * `import * as AgentBay from "@effect-agentbay/core/AgentBay"`.
 *
 * @since 0.1.0
 */

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
export * as AgentBayOwnership from "./AgentBayOwnership.js"
/**
 * @since 0.1.0
 */
export * as AgentBayWaits from "./AgentBayWaits.js"
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
  /**
   * Every error class, as one schema: for encoding errors in fixtures and logs.
   *
   * @since 0.1.0
   * @category schemas
   */
  AgentBayError as AgentBayErrorSchema,
  /**
   * The server answered with an error code not mapped to a more specific error.
   *
   * @since 0.1.0
   * @category errors
   */
  ApiError,
  /**
   * The key was missing, wrong, or not allowed to do this.
   *
   * @since 0.1.0
   * @category errors
   */
  AuthError,
  /**
   * A command or code run did not finish within its timeout.
   *
   * @since 0.1.0
   * @category errors
   */
  CommandTimeout,
  /**
   * What any network call can fail with.
   *
   * @since 0.1.0
   * @category models
   */
  type CommonError,
  /**
   * A context sync ended with failed tasks.
   *
   * @since 0.1.0
   * @category errors
   */
  ContextSyncError,
  /**
   * The response was not what the action's schema expects.
   *
   * @since 0.1.0
   * @category errors
   */
  DecodeError,
  /**
   * The operation is not valid in the resource's current status.
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidState,
  /**
   * Whether a value is one of the errors above.
   *
   * @since 0.1.0
   * @category guards
   */
  isAgentBayError,
  /**
   * True when sending the same request again may succeed.
   *
   * @since 0.1.0
   * @category predicates
   */
  isRetryable,
  /**
   * An id-addressed call named something that does not exist.
   *
   * @since 0.1.0
   * @category errors
   */
  NotFound,
  /**
   * A tool run in the session reported an error.
   *
   * @since 0.1.0
   * @category errors
   */
  ToolError,
  /**
   * The request did not produce a usable answer.
   *
   * @since 0.1.0
   * @category errors
   */
  TransportError,
  /**
   * An input was rejected before anything was sent.
   *
   * @since 0.1.0
   * @category errors
   */
  ValidationError,
  /**
   * A wait did not reach its target in time.
   *
   * @since 0.1.0
   * @category errors
   */
  WaitTimeout
} from "./AgentBayError.js"
