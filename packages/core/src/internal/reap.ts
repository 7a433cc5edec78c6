// Leak prevention for AgentBay: the owner stamps written on created sessions,
// the cap on the live sessions of one service (`maxSessions`), and `reap`,
// which deletes stamped sessions past their expiry. Internal: the public
// surface is AgentBay.ts (`reap`, `stampKeys`, `layerOwnership`).
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"

import type * as AgentBay from "../AgentBay.js"
import type { AgentBayClient } from "../AgentBayClient.js"
import { ValidationError } from "../AgentBayError.js"
import { labelLimits, type Labels, type Session } from "../Session.js"

/** Label keys starting with this (compared without case) are the SDK's. */
export const prefix = "agentbay.sdk/"

export const keys = {
  managedBy: `${prefix}managed-by`,
  client: `${prefix}client`,
  run: `${prefix}run`,
  created: `${prefix}created`,
  expires: `${prefix}expires`
} as const

/** The value of `managed-by`: constant, so that a list can filter on it. */
export const managedBy = "effect-agentbay"

/**
 * The label a scoped session's release puts on a session it could not delete
 * without losing data (its context sync failed), and why. Not a stamp: it
 * counts toward the label limit only when set.
 */
export const releaseFailed = { key: `${prefix}release-failed`, contextSync: "context-sync" } as const

/** Adds the `releaseFailed` label to a session's labels (GetLabel, then SetLabel: it replaces them all). */
export const markReleaseFailed = (client: AgentBayClient.Service, id: string) =>
  Effect.flatMap(
    client.getLabel(id),
    (labels) => client.setLabel(id, { ...labels, [releaseFailed.key]: releaseFailed.contextSync })
  )

const stampCount = Object.keys(keys).length

// Web Crypto (a global in Node 20 and browsers): core imports no Node module.
export const randomId = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("")

/** The run id of this process: drawn once, when the module loads. */
export const processRunId: string = randomId()

const fail = (operation: string, field: string, reason: string) =>
  Effect.fail(new ValidationError({ operation, field, reason }))

const isReserved = (key: string) => key.toLowerCase().startsWith(prefix)

// The last instant with a four-digit year: later ones print as `+010000-...`, which no stamp reader expects.
const maxDate = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** A duration that is positive and finite, decoded; else a ValidationError on `field`. */
export const positiveDuration = (operation: string, field: string, value: Duration.DurationInput) => {
  const d = Duration.decodeUnknown(value)
  return Option.isSome(d) && Duration.isFinite(d.value) && Duration.greaterThan(d.value, Duration.zero)
    ? Effect.succeed(d.value)
    : fail(operation, field, "must be a positive, finite duration")
}

/** A non-blank label value within the length limit (the run id). */
export const checkRunId = (operation: string, runId: string) =>
  runId.trim() === "" || runId.length > labelLimits.maxValueLength
    ? fail(operation, "runId", `must be non-blank and at most ${labelLimits.maxValueLength} characters`)
    : Effect.void

/** At least 1, an integer, or absent (no cap). */
export const checkMaxSessions = (operation: string, max: number | undefined) =>
  max === undefined || (Number.isSafeInteger(max) && max >= 1)
    ? Effect.void
    : fail(operation, "maxSessions", "must be an integer >= 1")

/** Who stamps: the service's settings and its client id (one per layer build). */
export interface Owner extends AgentBay.Ownership {
  readonly clientId: string
}

/**
 * The labels a create sends: the user's, plus the stamps unless the owner
 * opted out. A user label with the reserved prefix is a ValidationError, as is
 * a `ttl` without stamps, or more labels than the limit once stamped.
 */
export const labelsFor = (
  owner: Owner,
  labels: Labels | undefined,
  ttl: Duration.DurationInput | undefined
): Effect.Effect<Labels | undefined, ValidationError> =>
  Effect.gen(function*() {
    const own = labels ?? {}
    const reserved = Object.keys(own).find(isReserved)
    if (reserved !== undefined) {
      const reason = `key ${JSON.stringify(reserved)}: the prefix ${prefix} is reserved for the SDK's stamps`
      return yield* fail("create", "labels", reason)
    }
    if (!owner.stamp) {
      if (ttl !== undefined) {
        return yield* fail("create", "ttl", "needs the owner stamps, which this layer turns off (stamp: false)")
      }
      return labels
    }
    const lifetime = ttl === undefined ? owner.sessionTtl : yield* positiveDuration("create", "ttl", ttl)
    const count = Object.keys(own).length
    // The stamps count toward the label limit (their keys and values are well within theirs).
    if (count + stampCount > labelLimits.maxLabels) {
      return yield* fail(
        "create",
        "labels",
        `must be at most ${labelLimits.maxLabels - stampCount}: the SDK's ${stampCount} stamps count toward ` +
          `the limit of ${labelLimits.maxLabels} (got ${count})`
      )
    }
    const now = yield* Clock.currentTimeMillis
    const expires = now + Duration.toMillis(lifetime)
    if (expires > maxDate) return yield* fail("create", "ttl", "is too long: the expiry would be past the year 9999")
    return {
      ...own,
      [keys.managedBy]: managedBy,
      [keys.client]: owner.clientId,
      [keys.run]: owner.runId,
      [keys.created]: new Date(now).toISOString(),
      [keys.expires]: new Date(expires).toISOString()
    }
  })

const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

const instant = (text: string | undefined): number | undefined => {
  if (text === undefined || !isoInstant.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : undefined
}

/** The stamps a session's labels carry: all of them, well formed, or none. */
export const stampsOf = (labels: Readonly<Record<string, string>>): Option.Option<AgentBay.Stamps> => {
  const client = labels[keys.client]
  const run = labels[keys.run]
  const createdAt = instant(labels[keys.created])
  const expiresAt = instant(labels[keys.expires])
  return labels[keys.managedBy] === managedBy && client && run && createdAt !== undefined && expiresAt !== undefined
    ? Option.some({ client, run, createdAt, expiresAt })
    : Option.none()
}

/**
 * Permits for the live sessions of one service. `admit` runs a create holding
 * one (waiting, interruptibly, until one is free); a failed create gives it
 * back. `release` gives back the permit of a session seen gone, once.
 */
export interface Limit {
  readonly admit: <A extends { readonly id: string }, E, R>(create: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly release: (id: string) => Effect.Effect<void>
}

export const makeLimit = (max: number | undefined): Limit => {
  if (max === undefined) return { admit: (create) => create, release: () => Effect.void }
  const permits = Effect.unsafeMakeSemaphore(max)
  const held = new Set<string>()
  return {
    admit: (create) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          restore(permits.take(1)),
          restore(create).pipe(
            Effect.onExit((exit) =>
              Exit.isSuccess(exit) ? Effect.sync(() => void held.add(exit.value.id)) : permits.release(1)
            )
          )
        )
      ),
    release: (id) => Effect.suspend(() => held.delete(id) ? permits.release(1) : Effect.void)
  }
}

const check = (operation: string, options: AgentBay.ReapOptions) =>
  Effect.gen(function*() {
    const concurrency = options.concurrency ?? 5
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      return yield* fail(operation, "concurrency", "must be an integer >= 1")
    }
    let olderThan: number | undefined
    if (options.olderThan !== undefined) {
      const d = Duration.decodeUnknown(options.olderThan)
      if (Option.isNone(d) || !Duration.isFinite(d.value)) {
        return yield* fail(operation, "olderThan", "must be a finite duration")
      }
      olderThan = Duration.toMillis(d.value)
    }
    return { concurrency, olderThan }
  })

/**
 * Lists the live stamped sessions matching `labels` (collected first, so
 * deleting never shifts the pages being read), then reads each one's labels
 * and deletes, `concurrency` at a time, those a release left behind
 * (`releaseFailed`: only after a successful context sync, so their data is
 * saved) and those past their expiry or created more than `olderThan` ago. A
 * session that cannot be read, synced or deleted is logged and left for a later reap.
 */
export const reap = (
  bay: AgentBay.AgentBay.Service,
  options: AgentBay.ReapOptions = {}
): Stream.Stream<AgentBay.Reaped, AgentBay.ReapError> =>
  Stream.unwrap(Effect.gen(function*() {
    const { concurrency, olderThan } = yield* check("reap", options)
    const now = yield* Clock.currentTimeMillis
    const candidates = yield* Stream.runCollect(
      bay.list({ labels: { ...options.labels, [keys.managedBy]: managedBy }, pageSize: 100 })
    )
    const reason = (stamps: AgentBay.Stamps): AgentBay.Reaped["reason"] | undefined =>
      stamps.expiresAt <= now
        ? "expired"
        : olderThan !== undefined && stamps.createdAt < now - olderThan
        ? "olderThan"
        : undefined
    const one = (session: Session) =>
      Effect.gen(function*() {
        const labels = yield* session.getLabels()
        const stamps = stampsOf(labels)
        if (Option.isNone(stamps)) return Option.none<AgentBay.Reaped>()
        const failure = labels[releaseFailed.key]
        if (failure !== undefined) {
          // The release could not save its contexts: save them now, or leave it (the delete fails first).
          yield* bay.delete(session.id, { syncContext: true })
          return Option.some<AgentBay.Reaped>({
            id: session.id,
            reason: "releaseFailed",
            stamps: stamps.value,
            releaseFailure: failure
          })
        }
        const why = reason(stamps.value)
        if (why === undefined) return Option.none<AgentBay.Reaped>()
        yield* bay.delete(session.id)
        return Option.some<AgentBay.Reaped>({ id: session.id, reason: why, stamps: stamps.value })
      }).pipe(
        // Gone meanwhile: nothing to reap.
        Effect.catchTag("NotFound", () => Effect.succeed(Option.none<AgentBay.Reaped>())),
        Effect.catchAll((error) =>
          Effect.as(
            Effect.logWarning(`AgentBay.reap: could not reap session ${session.id}; a later reap retries`, error),
            Option.none<AgentBay.Reaped>()
          )
        )
      )
    return Stream.fromChunk(candidates).pipe(
      Stream.mapEffect(one, { concurrency, unordered: true }),
      Stream.filterMap((reaped) => reaped)
    )
  })).pipe(Stream.withSpan("AgentBay.reap"))

/** `current` with the fields `options` gives, checked. */
export const resolveOwnership = (
  operation: string,
  current: AgentBay.Ownership,
  options: AgentBay.OwnershipOptions
): Effect.Effect<AgentBay.Ownership, ValidationError> =>
  Effect.gen(function*() {
    const sessionTtl = options.sessionTtl === undefined
      ? current.sessionTtl
      : yield* positiveDuration(operation, "sessionTtl", options.sessionTtl)
    const runId = options.runId ?? current.runId
    yield* checkRunId(operation, runId)
    yield* checkMaxSessions(operation, options.maxSessions)
    return {
      stamp: options.stamp ?? current.stamp,
      sessionTtl,
      runId,
      maxSessions: options.maxSessions ?? current.maxSessions
    }
  })
