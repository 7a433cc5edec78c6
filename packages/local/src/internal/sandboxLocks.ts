// Per-session locks for the sandboxes: one session's operations stay in order while different sessions start,
// exec, pause and destroy at the same time. Internal: not exported from the package.
import * as Effect from "effect/Effect"

interface Held {
  readonly semaphore: Effect.Semaphore
  users: number
}

/**
 * A lock per key, made on first use and dropped when its last user is done (the map holds only keys in use).
 * `lock(key)(self)` runs `self` with that key's lock held.
 */
export const keyed = () => {
  const held = new Map<string, Held>()
  return (key: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        let lock = held.get(key)
        if (lock === undefined) {
          lock = { semaphore: Effect.unsafeMakeSemaphore(1), users: 0 }
          held.set(key, lock)
        }
        lock.users++
        return lock
      }),
      (lock) => lock.semaphore.withPermits(1)(self),
      (lock) =>
        Effect.sync(() => {
          if (--lock.users === 0) held.delete(key)
        })
    )
}
