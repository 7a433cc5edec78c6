/**
 * Beta volumes (GetVolume, ListVolumes, DeleteVolume): block storage that
 * belongs to an image and is mounted into a session at create
 * (`create({ volumeId })`, at `/home/wuying/volume` on our backends). Every
 * lookup names the image (spec: semantics.md §6).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"

import * as AgentBayClient from "./AgentBayClient.js"
import type { CommonError, InvalidState, NotFound, ValidationError } from "./AgentBayError.js"
import * as Internal from "./internal/betaVolume.js"

/**
 * @since 0.1.0
 * @category tags
 */
export class BetaVolume extends Context.Tag("@effect-agentbay/core/BetaVolume")<BetaVolume, BetaVolume.Service>() {}

/**
 * A volume. `status` is never empty (`Available` on our backends; the cloud's
 * values are open). `createdAt` is read from ISO-8601 text, absent otherwise.
 *
 * @since 0.1.0
 * @category models
 */
export interface Volume {
  readonly id: string
  readonly name: string
  readonly status: string
  /** The image the volume belongs to. */
  readonly imageId?: string | undefined
  readonly createdAt?: Date | undefined
}

/**
 * Anything that names a volume: a `Volume` or its id.
 *
 * @since 0.1.0
 * @category models
 */
export type VolumeRef = string | { readonly id: string }

/**
 * One page of volumes. ListVolumes has no total count.
 *
 * @since 0.1.0
 * @category models
 */
export interface VolumePage {
  readonly volumes: ReadonlyArray<Volume>
  readonly nextToken: string | undefined
  readonly maxResults: number | undefined
  readonly requestId: string | undefined
}

/**
 * Get a volume by name (creating it with `create`), or by id (a ListVolumes
 * filtered by that id).
 *
 * @since 0.1.0
 * @category options
 */
export type GetOptions =
  | { readonly name: string; readonly imageId: string; readonly create?: boolean | undefined }
  | { readonly volumeId: string; readonly imageId: string }

/**
 * Filters of `list` and `listPage`: the image's volumes, by name or ids.
 *
 * @since 0.1.0
 * @category options
 */
export interface ListOptions {
  readonly imageId: string
  readonly volumeName?: string | undefined
  readonly volumeIds?: ReadonlyArray<string> | undefined
  /** Page size, 1..100. Default 10 (sent, as the official client does). */
  readonly maxResults?: number | undefined
}

/**
 * @since 0.1.0
 * @category options
 */
export interface ListPageOptions extends ListOptions {
  readonly nextToken?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace BetaVolume {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The image's volume named `name`, made when missing (GetVolume with AllowCreate). */
    readonly create: (name: string, imageId: string) => Effect.Effect<Volume, CommonError | NotFound | ValidationError>
    /** By name (GetVolume) or by id (ListVolumes with `VolumeIds.1`); none is `NotFound` of resource `Volume`. */
    readonly get: (options: GetOptions) => Effect.Effect<Volume, CommonError | NotFound | ValidationError>
    /** Every matching volume, pulling pages lazily by `NextToken`. */
    readonly list: (options: ListOptions) => Stream.Stream<Volume, CommonError | ValidationError>
    /** One page (ListVolumes). */
    readonly listPage: (options: ListPageOptions) => Effect.Effect<VolumePage, CommonError | ValidationError>
    /** Deletes the volume and its data. `InvalidState` while a live session mounts it. */
    readonly delete: (volume: VolumeRef) => Effect.Effect<void, CommonError | NotFound | InvalidState | ValidationError>
  }
}

/**
 * The operations over a client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromClient = (client: AgentBayClient.AgentBayClient.Service): BetaVolume.Service => Internal.make(client)

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<BetaVolume.Service, never, AgentBayClient.AgentBayClient> = Effect.map(
  AgentBayClient.AgentBayClient,
  fromClient
)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<BetaVolume, never, AgentBayClient.AgentBayClient> = Layer.effect(BetaVolume, make)
