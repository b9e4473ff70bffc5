// The cache's side of the shared store (docs/redis.md): every call bounded in time,
// and any failure read as a miss so the cache fetches for itself — slower,
// never down. One warning per outage, one info line on recovery.
import { withDeadline } from './deadline.js'
import type { TokenLogger } from './logger.js'
import { asStoredToken, type SharedTokenStore, type StoredToken } from './shared-store.js'

/** Outage state per store object, so caches sharing one store log an outage once. */
const outages = new WeakMap<SharedTokenStore, { down: boolean }>()

export class SharedLayer {
  readonly #store: SharedTokenStore
  readonly #log: TokenLogger
  readonly #timeout: number
  readonly #state: { down: boolean }

  constructor (store: SharedTokenStore, log: TokenLogger, timeout: number, readonly onError = (): void => {}) {
    this.#store = store
    this.#log = log
    this.#timeout = timeout
    let state = outages.get(store)
    if (state === undefined) outages.set(store, state = { down: false })
    this.#state = state
  }

  async get (key: string): Promise<StoredToken | undefined> {
    return asStoredToken(await this.#call('get', () => this.#store.get(key), this.#timeout))
  }

  async set (key: string, value: StoredToken, ttlMs: number): Promise<void> {
    await this.#call('set', () => this.#store.set(key, value, ttlMs), this.#timeout)
  }

  /** True: we hold the lock; false: someone else does; undefined: the store failed. */
  async lock (key: string, owner: string, ttlMs: number): Promise<boolean | undefined> {
    const held = await this.#call('lock', () => this.#store.lock(key, owner, ttlMs), this.#timeout)
    return typeof held === 'boolean' ? held : undefined
  }

  async unlock (key: string, owner: string): Promise<void> {
    await this.#call('unlock', () => this.#store.unlock(key, owner), this.#timeout)
  }

  async waitFor (key: string, timeoutMs: number): Promise<StoredToken | undefined> {
    return asStoredToken(await this.#call('waitFor', () => this.#store.waitFor(key, timeoutMs), timeoutMs + this.#timeout))
  }

  async #call<T> (op: string, fn: () => Promise<T>, timeout: number): Promise<T | undefined> {
    try {
      const value = await withDeadline(Promise.resolve(fn()), timeout, () => new Error(`shared store ${op} took longer than ${timeout} ms`), true)
      if (this.#state.down) {
        this.#state.down = false
        this.#log.info('shared token store answers again; tokens are shared again')
      }
      return value
    } catch (err) {
      this.onError()
      if (!this.#state.down) {
        this.#state.down = true
        this.#log.warn({ op, reason: err instanceof Error ? err.message : String(err) },
          'shared token store failed; fetching tokens locally until it recovers')
      }
      return undefined
    }
  }
}
