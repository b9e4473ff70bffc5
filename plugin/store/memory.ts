// An in-process SharedTokenStore (docs/redis.md), the LocalStore beside the Redis
// store: lets several TokenCache instances in one process share tokens and
// refresh once, and is the reference the Redis store must behave like.
import { lockLapsed, type SharedTokenStore, type StoredToken } from '../token/shared-store.js'

interface Slot<T> { value: T; expiresAt: number }

/** The in-process {@link SharedTokenStore}: for tests and single-process apps (docs/token-core.md). */
export function memoryStore (): SharedTokenStore {
  const tokens = new Map<string, Slot<StoredToken>>()
  const locks = new Map<string, Slot<string>>()
  const waiters = new Map<string, Set<() => void>>()
  const holdOffs = new Map<string, Slot<number>>()

  const live = <T>(map: Map<string, Slot<T>>, key: string): T | undefined => {
    const slot = map.get(key)
    if (slot === undefined) return undefined
    if (Date.now() < slot.expiresAt) return slot.value
    map.delete(key)
    return undefined
  }
  /** ms left on key's lock, as Redis PTTL (-2: none). */
  const remaining = (key: string): number => {
    const slot = locks.get(key)
    return slot === undefined || live(locks, key) === undefined ? -2 : slot.expiresAt - Date.now()
  }
  const wake = (key: string): void => {
    for (const wakeUp of waiters.get(key) ?? []) wakeUp()
  }

  return {
    async get (key) {
      const value = live(tokens, key)
      // A copy: the store hands out data, as a remote store would.
      return value === undefined ? undefined : structuredClone(value)
    },
    async set (key, value, ttlMs) {
      if (ttlMs <= 0) return
      tokens.set(key, { value: structuredClone(value), expiresAt: Date.now() + ttlMs })
      wake(key)
    },
    async lock (key, owner, ttlMs) {
      if (!lockLapsed(remaining(key))) return false
      locks.set(key, { value: owner, expiresAt: Date.now() + ttlMs })
      return true
    },
    async unlock (key, owner) {
      if (live(locks, key) === owner) {
        locks.delete(key)
        wake(key)
      }
    },
    async renew (key, owner, ttlMs) {
      if (live(locks, key) !== owner) return false
      locks.set(key, { value: owner, expiresAt: Date.now() + ttlMs })
      return true
    },
    async lockRemaining (key) {
      return remaining(key)
    },
    async deleteIfHolds (key, accessToken) {
      if (live(tokens, key)?.accessToken === accessToken) tokens.delete(key)
    },
    waitFor (key, timeoutMs, accept = () => false) {
      return new Promise((resolve) => {
        let set = waiters.get(key)
        if (set === undefined) waiters.set(key, set = new Set())
        const done = (): void => {
          clearTimeout(timer)
          clearInterval(lockWatch)
          set.delete(done)
          if (set.size === 0) waiters.delete(key)
          const value = live(tokens, key)
          resolve(value === undefined ? undefined : structuredClone(value))
        }
        const timer = setTimeout(done, timeoutMs)
        // A holder that dies leaves its lock to expire: stop waiting then, or as soon as a token the caller takes is there.
        const accepted = (): boolean => {
          const value = live(tokens, key)
          return value !== undefined && accept(structuredClone(value))
        }
        const lockWatch = setInterval(() => { if (lockLapsed(remaining(key)) || accepted()) done() }, 50)
        set.add(done)
        if (accepted()) done()
      })
    },
    async close () {
      for (const key of [...waiters.keys()]) wake(key)
      tokens.clear()
      locks.clear()
      holdOffs.clear()
    },

    // The optional hold-off group (shared-store.ts).
    async holdOff (key, ttlMs) {
      if (ttlMs <= 0) return
      const until = Date.now() + ttlMs
      holdOffs.set(key, { value: until, expiresAt: until })
    },
    async heldOffUntil (key) {
      return live(holdOffs, key)
    }
  }
}
