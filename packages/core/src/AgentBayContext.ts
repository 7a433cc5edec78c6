/**
 * Persistent contexts (named `AgentBayContext`, not `Context`, which is
 * Effect's): named storage of the account that sessions mount and sync (spec:
 * semantics.md §4). Contexts themselves (get, create, list, rename, delete,
 * clear), their stored files (listing, pre-signed upload and download URLs,
 * delete), and a session's syncs (start one, read task status; also bound as
 * `session.context`). Every operation is one wire action over
 * `AgentBayClient.call`, except `clear`, which waits.
 *
 * @since 0.1.0
 */
import * as EffectContext from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Stream from "effect/Stream"

import type { WaitOptions } from "./AgentBay.js"
import * as AgentBayClient from "./AgentBayClient.js"
import type { CommonError, InvalidState, NotFound, ValidationError, WaitTimeout } from "./AgentBayError.js"
import * as Internal from "./internal/agentBayContext.js"
import type { SessionRef } from "./Session.js"
import type { ContextTask } from "./WireContext.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class AgentBayContext extends EffectContext.Tag("@effect-agentbay/core/AgentBayContext")<
  AgentBayContext,
  AgentBayContext.Service
>() {}

/**
 * A context. `state` is `available`, `in-use`, `pre-available` or `clearing`
 * (absent when the server did not say). Times are read from ISO-8601 text and
 * left out when absent or in another format (the cloud's format is open).
 *
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly id: string
  readonly name: string
  readonly state?: string | undefined
  readonly createdAt?: Date | undefined
  readonly lastUsedAt?: Date | undefined
  readonly osType?: string | undefined
}

/**
 * Anything that names a context: a `Context` or its id.
 *
 * @since 0.1.0
 * @category models
 */
export type ContextRef = string | { readonly id: string }

/**
 * One page of contexts. `nextToken` is absent on the last page; the other
 * fields are what the server said.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextPage {
  readonly contexts: ReadonlyArray<Context>
  readonly nextToken: string | undefined
  readonly maxResults: number | undefined
  readonly totalCount: number | undefined
  readonly requestId: string | undefined
}

/**
 * One entry of a context folder. `type` is `file` or `folder` on our backends.
 *
 * @since 0.1.0
 * @category models
 */
export interface ContextFile {
  readonly id?: string | undefined
  readonly name: string
  /** The sandbox absolute path the entry mirrors. */
  readonly path: string
  readonly type?: string | undefined
  readonly size?: number | undefined
  readonly status?: string | undefined
  readonly createdAt?: Date | undefined
  readonly modifiedAt?: Date | undefined
}

/**
 * One page of a folder's entries. `count` is the server's `Count` (the whole
 * folder on our backends; open on the cloud).
 *
 * @since 0.1.0
 * @category models
 */
export interface FilePage {
  readonly files: ReadonlyArray<ContextFile>
  readonly count: number | undefined
  readonly page: number
  readonly pageSize: number
  readonly requestId: string | undefined
}

/**
 * A pre-signed URL for one stored file. The URL is a bearer credential (whoever
 * holds it may write or read that file, no key needed), so it is `Redacted`:
 * `Redacted.value(url)` when you send the bytes; never log it.
 *
 * @since 0.1.0
 * @category models
 */
export interface FileUrl {
  readonly url: Redacted.Redacted<string>
  /** The server's `ExpireTime` (Unix seconds on our backends; the cloud's unit is open). */
  readonly expireTime: number | undefined
  readonly requestId: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListOptions {
  /** Page size of the underlying requests, 1..100. Default 10. */
  readonly pageSize?: number | undefined
  /** Only the contexts that session mounts. */
  readonly sessionId?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListPageOptions {
  /** 1..100. Default 10 (sent, as the official client does). */
  readonly maxResults?: number | undefined
  readonly nextToken?: string | undefined
  readonly sessionId?: string | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface GetOptions {
  /** Create the context when no context has that name. Default false. */
  readonly create?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListFilesOptions {
  /** Page number from 1. Default 1. */
  readonly page?: number | undefined
  /** 1..100. Default 50 (the official client's). */
  readonly pageSize?: number | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface SyncOptions {
  /** Both or neither of `contextId` and `path`; neither means every context of the session. */
  readonly contextId?: string | undefined
  readonly path?: string | undefined
  readonly mode?: "upload" | "download" | undefined
}

/**
 * Filters of `info`.
 *
 * @since 0.1.0
 * @category options
 */
export interface InfoOptions {
  readonly contextId?: string | undefined
  readonly path?: string | undefined
  readonly taskType?: "upload" | "download" | undefined
}

/**
 * Errors of a call that names no context (lists, create).
 *
 * @since 0.1.0
 * @category models
 */
export type ContextError = CommonError | ValidationError

/**
 * The cloud's clear wait, as the official client polls: every 2 s for at most
 * 60 s. `AgentBay.cloudWaits.contextClear` is this.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudClearWait: { readonly interval: Duration.Duration; readonly timeout: Duration.Duration } = {
  interval: Duration.seconds(2),
  timeout: Duration.seconds(60)
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace AgentBayContext {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Every context (or those `sessionId` mounts), pulling pages lazily by `NextToken`. */
    readonly list: (options?: ListOptions) => Stream.Stream<Context, ContextError>
    /** One page (ListContexts). */
    readonly listPage: (options?: ListPageOptions) => Effect.Effect<ContextPage, ContextError>
    /**
     * The context named `name` (GetContext by name); with `create`, made when
     * missing. One request: unlike the official client, no ListContexts
     * afterwards, since GetContext's answer already carries the times.
     */
    readonly get: (name: string, options?: GetOptions) => Effect.Effect<Context, ContextError | NotFound>
    /** The context with that id (GetContext by id). */
    readonly getById: (id: string) => Effect.Effect<Context, ContextError | NotFound>
    /** The context named `name`, made when missing (GetContext with AllowCreate). */
    readonly create: (name: string) => Effect.Effect<Context, ContextError | NotFound>
    /** Renames the context `id` to `name` (ModifyContext); pass a `Context` whose name you changed. */
    readonly update: (
      context: { readonly id: string; readonly name: string }
    ) => Effect.Effect<void, ContextError | NotFound>
    /** Deletes the context and its stored files. `InvalidState` while a live session syncs it. */
    readonly delete: (context: ContextRef) => Effect.Effect<void, ContextError | NotFound | InvalidState>
    /**
     * Wipes the stored files (ClearContext), then polls the context (at once,
     * then by the layer's `contextClear` wait: cloud every 2 s for at most
     * 60 s) until it is `available` again, and returns it. A missing `State`
     * counts as still clearing; past the timeout, `WaitTimeout`.
     */
    readonly clear: (
      context: ContextRef,
      options?: WaitOptions
    ) => Effect.Effect<Context, ContextError | NotFound | InvalidState | WaitTimeout>
    /** One page of the entries directly under `folder` (DescribeContextFiles). */
    readonly listFiles: (
      contextId: string,
      folder: string,
      options?: ListFilesOptions
    ) => Effect.Effect<FilePage, ContextError | NotFound>
    /**
     * Every entry directly under `folder`, page after page (`pageSize`,
     * default 50) until a short page: a folder whose size is a multiple of
     * the page size costs one request for an empty page.
     */
    readonly files: (
      contextId: string,
      folder: string,
      options?: { readonly pageSize?: number | undefined }
    ) => Stream.Stream<ContextFile, ContextError | NotFound>
    /** A URL to `PUT` the bytes of the file at `path` (a sandbox absolute path) into the context. */
    readonly getFileUploadUrl: (contextId: string, path: string) => Effect.Effect<FileUrl, ContextError | NotFound>
    /** A URL to `GET` a stored file's bytes. A missing file is `NotFound` of resource `ContextFile`. */
    readonly getFileDownloadUrl: (contextId: string, path: string) => Effect.Effect<FileUrl, ContextError | NotFound>
    /** Removes one stored file or folder. */
    readonly deleteFile: (contextId: string, path: string) => Effect.Effect<void, ContextError | NotFound>
    /** Starts a sync (SyncContext); does not wait (`info` reports its tasks). */
    readonly sync: (
      session: SessionRef,
      options?: SyncOptions
    ) => Effect.Effect<void, ContextError | NotFound | InvalidState>
    /** Sync task status of a session (GetContextInfo), filtered as asked. */
    readonly info: (
      session: SessionRef,
      options?: InfoOptions
    ) => Effect.Effect<ReadonlyArray<ContextTask>, ContextError | NotFound>
  }
}

/**
 * The operations `session.context` offers, bound to the session.
 *
 * @since 0.1.0
 * @category models
 */
export type SessionSyncs = Pick<AgentBayContext.Service, "sync" | "info">

/**
 * The operations over a client. `clearWait` is the default of `clear`'s wait
 * (`cloudClearWait` when not given); the `AgentBay` layers pass their
 * `WaitDefaults.contextClear`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (
  client: AgentBayClient.AgentBayClient.Service,
  clearWait: WaitOptions = cloudClearWait
): AgentBayContext.Service => Internal.make(client, clearWait)

/**
 * With the cloud's clear wait (`AgentBay.layer` builds it with the layer's wait defaults instead).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AgentBayContext.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  (client) => fromClient(client)
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AgentBayContext, never, AgentBayClient.AgentBayClient> = Layer.effect(
  AgentBayContext,
  make
)
