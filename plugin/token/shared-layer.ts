// The cache's side of the shared store (docs/redis.md): every call bounded in time,
// and any failure read as a miss so the cache fetches for itself — slower,
// never down. One warning per outage, one info line on recovery.
import type { SharedTokenStore, StoredToken } from './store.js'
import type { TokenLogger } from './logger.js'

/** Outage state per store object, so caches sharing one store log an outage once. */
const outages = new WeakMap<SharedTokenStore, { down: boolean }>()

export class SharedLayer {
  readonly #store: SharedTokenStore
  readonly #log: TokenLogger
  readonly #timeout: number
  readonly #state: { down: boolean }

  constructor (store: SharedTokenStore, log: TokenLogger, timeout: number) {
    this.#store = store
    this.#log = log
    this.#timeout = timeout
    let state = outages.get(store)
    if (state === undefined) outages.set(store, state = { down: false })
    this.#state = state
  }

  async get (key: string): Promise<StoredToken | undefined> {
    const value = await this.#call('get', () => this.#store.get(key), this.#timeout)
    return isStoredToken(value) ? value : undefined
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
    const value = await this.#call('waitFor', () => this.#store.waitFor(key, timeoutMs), timeoutMs + this.#timeout)
    return isStoredToken(value) ? value : undefined
  }

  async #call<T> (op: string, fn: () => Promise<T>, timeout: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined
    try {
      const value = await Promise.race([
        fn(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`shared store ${op} took longer than ${timeout} ms`)), timeout)
          timer.unref()
        })
      ])
      if (this.#state.down) {
        this.#state.down = false
        this.#log.info('shared token store answers again; tokens are shared again')
      }
      return value
    } catch (err) {
      if (!this.#state.down) {
        this.#state.down = true
        this.#log.warn({ op, reason: err instanceof Error ? err.message : String(err) },
          'shared token store failed; fetching tokens locally until it recovers')
      }
      return undefined
    } finally {
      clearTimeout(timer)
    }
  }
}

function isStoredToken (value: unknown): value is StoredToken {
  if (value === null || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  return typeof v.accessToken === 'string' && v.accessToken !== '' && typeof v.tokenType === 'string' &&
    Array.isArray(v.scopes) && v.scopes.every((s) => typeof s === 'string') &&
    typeof v.usableUntil === 'number' && typeof v.expiresAt === 'number' && typeof v.refreshAt === 'number'
}
