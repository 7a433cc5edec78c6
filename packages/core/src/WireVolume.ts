/**
 * Beta volume actions on the wire: GetVolume (get or create by name),
 * ListVolumes (filters, `VolumeIds.N` repeat list, `NextToken` in the query)
 * and DeleteVolume. Volumes belong to an image: `ImageId` travels with each
 * lookup (spec: wire-protocol.md §6.3, semantics.md §6).
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

import { NonBlank } from "./Session.js"
import { action, type AnyAction, Code, invalidState, notFound, PageSizeFromString } from "./Wire.js"

const Str = Schema.optional(Schema.String)

/**
 * A volume as the wire carries it (all strings). `Status` is never empty;
 * our backends say `Available` (the cloud's values are open).
 *
 * @since 0.1.0
 * @category schemas
 */
export const VolumeData = Schema.Struct({
  VolumeId: NonBlank,
  VolumeName: Schema.String,
  Status: Schema.String,
  BelongingImageId: Str,
  CreateTime: Str
})

/**
 * Get a volume by name, creating it with `AllowCreate`.
 *
 * @since 0.1.0
 * @category actions
 */
export const GetVolume = action("GetVolume", {
  params: Schema.Struct({ VolumeName: NonBlank, ImageId: NonBlank, AllowCreate: Schema.BooleanFromString }),
  data: VolumeData,
  idempotent: true,
  errors: { [Code.VolumeNotFound]: notFound("Volume", "VolumeName") }
})

const ListFields = Schema.Struct({
  ImageId: NonBlank,
  MaxResults: Schema.optional(PageSizeFromString),
  NextToken: Str,
  VolumeName: Str,
  VolumeIds: Schema.optional(Schema.Array(NonBlank))
})

const Flat = Schema.Record({ key: Schema.String, value: Schema.String })
const repeat = /^VolumeIds\.(\d{1,4})$/

// `VolumeIds.1`, `VolumeIds.2`, ... in a form <-> `VolumeIds` in code, in index order.
const ListForm = Schema.transformOrFail(Flat, Schema.encodedSchema(ListFields), {
  strict: true,
  decode: (form) => {
    const ids = Object.keys(form)
      .map((key) => [repeat.exec(key), key] as const)
      .filter(([m]) => m !== null)
      .sort(([a], [b]) => Number(a![1]) - Number(b![1]))
      .map(([, key]) => form[key]!)
    return ParseResult.succeed({
      ImageId: form.ImageId ?? "",
      ...(form.MaxResults === undefined ? {} : { MaxResults: form.MaxResults }),
      ...(form.NextToken === undefined ? {} : { NextToken: form.NextToken }),
      ...(form.VolumeName === undefined ? {} : { VolumeName: form.VolumeName }),
      ...(ids.length === 0 ? {} : { VolumeIds: ids })
    })
  },
  encode: ({ VolumeIds, ...rest }) => {
    const out: Record<string, string> = {}
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) out[key] = value
    VolumeIds?.forEach((id, i) => (out[`VolumeIds.${i + 1}`] = id))
    return ParseResult.succeed(out)
  }
})

/**
 * One page of an image's volumes, filtered by name or ids; `NextToken` and
 * `MaxResults` beside `Data` (no `TotalCount`).
 *
 * @since 0.1.0
 * @category actions
 */
export const ListVolumes = action("ListVolumes", {
  params: Schema.compose(ListForm, ListFields),
  data: Schema.Array(VolumeData),
  idempotent: true,
  query: ["NextToken"]
})

/**
 * Deletes a volume and its data. Refused while a live session mounts it.
 *
 * @since 0.1.0
 * @category actions
 */
export const DeleteVolume = action("DeleteVolume", {
  params: Schema.Struct({ VolumeId: NonBlank }),
  data: Schema.Unknown,
  idempotent: false,
  errors: {
    [Code.VolumeNotFound]: notFound("Volume", "VolumeId"),
    [Code.VolumeInUse]: invalidState("Volume", "VolumeId", "delete")
  }
})

/**
 * Every volume action, for registries and tests that cover them all.
 *
 * @since 0.1.0
 * @category registry
 */
export const actions: ReadonlyArray<AnyAction> = [GetVolume, ListVolumes, DeleteVolume]
