// The sync policy: the official defaults byte for byte, the client-side checks
// (each names the field), the tolerant server decoder, effective defaults, and
// create refusing a bad policy before anything is sent.
import * as SyncPolicy from "@effect-agentbay/core/SyncPolicy"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

import * as Fixtures from "./fixtures.js"
import { golden, left, withBay } from "./golden.js"

// The Policy text the official client sends for `newSyncPolicy()`.
const officialText: string = JSON.parse(
  new Map(Fixtures.load("create-with-context-sync").exchanges[0]!.request.form).get("PersistenceDataList")!
)[0].Policy

const rejected = (policy: unknown) => Effect.flip(SyncPolicy.validate(policy))

describe("SyncPolicy: encoding", () => {
  it("defaults encode to the official newSyncPolicy() text, byte for byte", () => {
    assert.strictEqual(SyncPolicy.encode(SyncPolicy.defaults), officialText)
  })

  it("keys go out in the official order whatever order they were given in; null stays null, absent stays out", () => {
    const policy: SyncPolicy.SyncPolicy = {
      bwList: null,
      deletePolicy: { syncLocalFile: false },
      uploadPolicy: { uploadMode: "Archive", autoUpload: true }
    }
    assert.strictEqual(
      SyncPolicy.encode(policy),
      "{\"uploadPolicy\":{\"autoUpload\":true,\"uploadMode\":\"Archive\"},\"deletePolicy\":{\"syncLocalFile\":false},\"bwList\":null}"
    )
  })

  it.effect("validate then encode round-trips the official text", () =>
    Effect.gen(function*() {
      const policy = yield* SyncPolicy.validate(JSON.parse(officialText))
      assert.strictEqual(SyncPolicy.encode(policy), officialText)
    }))
})

describe("SyncPolicy: client-side checks name the field", () => {
  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ["unknown top-level key", { uploadPolicyy: {} }, "policy.uploadPolicyy"],
    ["unknown key inside a sub-policy", { uploadPolicy: { autoUplaod: true } }, "policy.uploadPolicy.autoUplaod"],
    ["uploadMode outside its enum", { uploadPolicy: { uploadMode: "Zip" } }, "policy.uploadPolicy.uploadMode"],
    [
      "lifecycle outside its enum",
      { recyclePolicy: { lifecycle: "Lifecycle_2Days" } },
      "policy.recyclePolicy.lifecycle"
    ],
    ["* in a whitelist path", { bwList: { whiteLists: [{ path: "src/*" }] } }, "policy.bwList.whiteLists.0.path"],
    [
      "? in an exclude path",
      { bwList: { whiteLists: [{ path: "", excludePaths: ["a", "b?"] }] } },
      "policy.bwList.whiteLists.0.excludePaths.1"
    ],
    ["[ in a recycle path", { recyclePolicy: { paths: ["logs[0]"] } }, "policy.recyclePolicy.paths.0"],
    ["] in a whitelist path", { bwList: { whiteLists: [{}, { path: "x]" }] } }, "policy.bwList.whiteLists.1.path"],
    ["a sub-policy of the wrong type", { deletePolicy: true }, "policy.deletePolicy"]
  ]
  for (const [name, policy, field] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const e = yield* rejected(policy)
        assert.strictEqual(e._tag, "ValidationError")
        assert.strictEqual(e.field, field)
      }))
  }

  it.effect("the reasons say what is allowed", () =>
    Effect.gen(function*() {
      const mode = yield* rejected({ uploadPolicy: { uploadMode: "Zip" } })
      assert.strictEqual(mode.reason, "must be one of \"File\", \"Archive\"")
      const wildcard = yield* rejected({ recyclePolicy: { paths: ["*"] } })
      assert.include(wildcard.reason, "wildcards")
      const key = yield* rejected({ extra: 1 })
      assert.include(key.reason, "unexpected")
    }))

  it.effect("null sub-policies and partial sub-policies are accepted (the official browser context's policy)", () =>
    Effect.gen(function*() {
      const browser = {
        uploadPolicy: { autoUpload: false },
        downloadPolicy: null,
        deletePolicy: null,
        bwList: null,
        recyclePolicy: null
      }
      const policy = yield* SyncPolicy.validate(browser)
      assert.deepStrictEqual(policy, browser)
      assert.deepStrictEqual(yield* SyncPolicy.validate({}), {})
    }))
})

describe("SyncPolicy: the server side", () => {
  it("decode tolerates any subset of keys, null sub-policies and unknown keys", () => {
    const decoded = SyncPolicy.decodeText(
      "{\"uploadPolicy\":{\"autoUpload\":true,\"future\":1},\"downloadPolicy\":null,\"somethingNew\":{}}"
    )
    assert.deepStrictEqual(decoded, Either.right({ uploadPolicy: { autoUpload: true }, downloadPolicy: null }))
  })

  it("decode still refuses values outside the enums and wildcards, with the path", () => {
    assert.deepStrictEqual(
      SyncPolicy.decode({ recyclePolicy: { lifecycle: "Lifecycle_7Days" } }),
      Either.left(
        "recyclePolicy.lifecycle: must be one of " +
          Object.keys(SyncPolicy.lifecycleDays).map((l) => `"${l}"`).join(", ")
      )
    )
    assert.isTrue(Either.isLeft(SyncPolicy.decode({ bwList: { whiteLists: [{ path: "*.log" }] } })))
    assert.deepStrictEqual(SyncPolicy.decodeText("{not json"), Either.left("is not JSON text"))
  })

  it("effective: no policy, empty policy and null sub-policies are all defaults", () => {
    const { mappingPolicy: _, ...defaults } = SyncPolicy.defaults
    for (const p of [undefined, null, {}, { uploadPolicy: null, bwList: null }]) {
      assert.deepStrictEqual(SyncPolicy.effective(p as SyncPolicy.SyncPolicy | null | undefined), defaults)
    }
  })

  it("effective fills each missing field of a partial policy, keeps what was given", () => {
    const e = SyncPolicy.effective({
      uploadPolicy: { uploadMode: "Archive" },
      recyclePolicy: { lifecycle: "Lifecycle_3Days" },
      bwList: { whiteLists: [{ path: "src" }] },
      mappingPolicy: { path: "C:\\data" }
    })
    assert.deepStrictEqual(e.uploadPolicy, {
      autoUpload: true,
      uploadStrategy: "UploadBeforeResourceRelease",
      uploadMode: "Archive"
    })
    assert.deepStrictEqual(e.recyclePolicy, { lifecycle: "Lifecycle_3Days", paths: [""] })
    assert.deepStrictEqual(e.bwList, { whiteLists: [{ path: "src", excludePaths: [] }] })
    assert.deepStrictEqual(e.downloadPolicy, SyncPolicy.defaults.downloadPolicy)
    assert.deepStrictEqual(e.mappingPolicy, { path: "C:\\data" })
    assert.strictEqual(SyncPolicy.lifecycleDays[e.recyclePolicy.lifecycle], 3)
    assert.isUndefined(SyncPolicy.lifecycleDays.Lifecycle_Forever)
  })
})

describe("create checks every policy before sending", () => {
  it.effect("a bad policy of the second context is a ValidationError naming it; no request is sent", () =>
    Effect.gen(function*() {
      // No canned response: any request would be a defect.
      const { requests, result } = yield* golden(
        [],
        withBay((bay) =>
          bay.create({
            contextSync: [
              { contextId: "ctx-1", path: "/home/wuying/a", policy: SyncPolicy.defaults },
              {
                contextId: "ctx-2",
                path: "/home/wuying/b",
                policy: { bwList: { whiteLists: [{ path: "", excludePaths: ["*.tmp"] }] } }
              }
            ]
          })
        )
      )
      assert.strictEqual(requests.length, 0)
      const e = left(result)
      assert.deepInclude(e, {
        _tag: "ValidationError",
        operation: "create",
        field: "contextSync.1.policy.bwList.whiteLists.0.excludePaths.0"
      })
    }))
})
