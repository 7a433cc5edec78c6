// The shared lifecycle rules, and the small pure helpers of Wire, PageToken and AgentBayConfig.
import * as AgentBayConfig from "@effect-agentbay/core/AgentBayConfig"
import * as Lifecycle from "@effect-agentbay/core/Lifecycle"
import * as PageToken from "@effect-agentbay/core/PageToken"
import * as Wire from "@effect-agentbay/core/Wire"
import * as WireContext from "@effect-agentbay/core/WireContext"
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Option from "effect/Option"

describe("Lifecycle", () => {
  it("pause starts only from RUNNING; PAUSING/PAUSED are server no-ops; the rest is rejected", () => {
    assert.strictEqual(Lifecycle.decide("pause", "RUNNING"), "start")
    assert.strictEqual(Lifecycle.decide("pause", "PAUSING"), "noop")
    assert.strictEqual(Lifecycle.decide("pause", "PAUSED"), "noop")
    assert.strictEqual(Lifecycle.decide("pause", "RESUMING"), "reject")
    assert.strictEqual(Lifecycle.decide("pause", "DELETED"), "reject")
    assert.isTrue(Lifecycle.canStart("pause", "RUNNING"))
    assert.isFalse(Lifecycle.canStart("pause", "PAUSED"))
  })

  it("resume mirrors pause; delete is accepted from every live state", () => {
    assert.strictEqual(Lifecycle.decide("resume", "PAUSED"), "start")
    assert.strictEqual(Lifecycle.decide("resume", "RUNNING"), "noop")
    assert.strictEqual(Lifecycle.decide("resume", "DELETING"), "reject")
    for (const s of ["RUNNING", "PAUSED", "PAUSING", "RESUMING"] as const) {
      assert.strictEqual(Lifecycle.decide("delete", s), "start")
    }
    assert.strictEqual(Lifecycle.decide("delete", "DELETING"), "noop")
    assert.strictEqual(Lifecycle.decide("delete", "DELETED"), "noop")
    assert.strictEqual(Lifecycle.decide("delete", "UNKNOWN"), "reject")
  })

  it("a transition shows its intermediate state until its time, then settles", () => {
    const started = Lifecycle.begin("pause", 1_000, 300)
    assert.deepStrictEqual(started, { status: "PAUSING", pending: { status: "PAUSED", at: 1_300 } })
    assert.strictEqual(Lifecycle.settle(started, 1_299).status, "PAUSING")
    assert.deepStrictEqual(Lifecycle.settle(started, 1_300), { status: "PAUSED" })
    assert.deepStrictEqual(Lifecycle.settleNow(started), { status: "PAUSED" })
    assert.deepStrictEqual(Lifecycle.begin("delete", 0, 0), { status: "DELETED" })
  })

  it("deleted sessions read as FINISH in GetSessionDetail and count as gone", () => {
    assert.strictEqual(Lifecycle.detailStatus("DELETED"), "FINISH")
    assert.strictEqual(Lifecycle.detailStatus("RUNNING"), "RUNNING")
    assert.isTrue(Lifecycle.isGone("FINISH"))
    assert.isTrue(Lifecycle.isGone("DELETED"))
    assert.isFalse(Lifecycle.isGone("DELETING"))
  })
})

describe("Wire", () => {
  it("redact removes the key from query strings, form bodies and messages", () => {
    const key = "ak-secret-42"
    for (
      const text of [
        `POST https://h/?Action=SyncContext&Authorization=Bearer%20${key}&x=1 failed`,
        `Authorization=Bearer+${key}&SessionId=s-1`,
        `header Bearer ${key}`
      ]
    ) {
      const out = Wire.redact(text)
      assert.notInclude(out, key)
      assert.include(out, "<redacted>")
    }
    assert.strictEqual(Wire.redact("SessionId=s-1&Action=GetSession"), "SessionId=s-1&Action=GetSession")
  })

  it("compact drops undefined fields and sorts keys", () => {
    assert.deepStrictEqual(Object.entries(Wire.compact({ b: "2", a: "1", c: undefined, d: "" })), [
      ["a", "1"],
      ["b", "2"],
      ["d", ""]
    ])
  })

  it("ContextStatus round-trips through its double encoding", () => {
    const tasks = [{ contextId: "c-1", path: "/home/wuying/data", status: "Success", taskType: "upload" }]
    const text = WireContext.encodeTasks(tasks)
    assert.deepStrictEqual(WireContext.decodeTasks(text), Either.right(tasks))
    assert.deepStrictEqual(WireContext.decodeTasks(""), Either.right([]))
    assert.isTrue(Either.isLeft(WireContext.decodeTasks("{not json")))
  })
})

describe("AgentBayConfig.baseUrl", () => {
  it("accepts a bare host (https), a base URL, and refuses paths, credentials and other schemes", () => {
    assert.deepStrictEqual(AgentBayConfig.baseUrl(undefined), Either.right("https://wuyingai.cn-shanghai.aliyuncs.com"))
    assert.deepStrictEqual(AgentBayConfig.baseUrl("127.0.0.1:18080"), Either.right("https://127.0.0.1:18080"))
    assert.deepStrictEqual(AgentBayConfig.baseUrl("http://127.0.0.1:18080/"), Either.right("http://127.0.0.1:18080"))
    for (const bad of ["ftp://x", "http://h/path", "http://u:p@h", "http://h/?q=1", "http://"]) {
      assert.isTrue(Either.isLeft(AgentBayConfig.baseUrl(bad)), bad)
    }
  })
})

describe("PageToken", () => {
  it("round-trips sequence numbers and refuses tokens it did not issue", () => {
    for (const n of [0, 1, 42, 123_456_789]) {
      const token = PageToken.encode(n)
      assert.match(token, /^[A-Za-z0-9_-]+$/)
      assert.deepStrictEqual(PageToken.decode(token), Option.some(n))
    }
    for (const bad of ["", "b2ZmOjI", "not a token", "YWZ0ZXI6LTE", "%%%", "a".repeat(200)]) {
      assert.isTrue(Option.isNone(PageToken.decode(bad)), bad)
    }
  })
})
