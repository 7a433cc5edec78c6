/**
 * A lock per key: operations on one key (a session id) run one at a time,
 * operations on different keys run at once. A key's lock is made on first use
 * and dropped when its last user is done, so the map holds only keys in use.
 * The backend's sessions and the local runtime's sandboxes both lock this way.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"

interface Held {
  readonly semaphore: Effect.Semaphore
  users: number
}

/**
 * `lock(key)(self)` runs `self` with that key's lock held.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = () => {
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
