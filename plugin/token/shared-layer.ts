// The cache's side of the shared store (docs/redis.md): every call bounded in time,
// and any failure read as a miss so the cache fetches for itself — slower,
// never down. One warning per outage, one info line on recovery. Values are
// authenticated here, whatever the store: a value without a valid MAC is a miss.
import { withDeadline } from './deadline.js'
import type { TokenLogger } from './logger.js'
import { asStoredToken, type SharedTokenStore, type StoredToken } from './shared-store.js'
import { macMatches, valueMac } from './store-key.js'

/** Where an entry lives in the store, and the key its values are authenticated with. */
export interface StoreSlot {
  name: string
  macKey: Buffer
}

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

  async get (slot: StoreSlot): Promise<StoredToken | undefined> {
    return this.#authentic(slot, await this.#call('get', () => this.#store.get(slot.name), this.#timeout))
  }

  async set (slot: StoreSlot, value: StoredToken, ttlMs: number): Promise<void> {
    const signed = { ...value, mac: valueMac(slot.macKey, slot.name, value) }
    await this.#call('set', () => this.#store.set(slot.name, signed, ttlMs), this.#timeout)
  }

  /** True: we hold the lock; false: someone else does; undefined: the store failed. */
  async lock (key: string, owner: string, ttlMs: number): Promise<boolean | undefined> {
    const held = await this.#call('lock', () => this.#store.lock(key, owner, ttlMs), this.#timeout)
    return typeof held === 'boolean' ? held : undefined
  }

  async unlock (key: string, owner: string): Promise<void> {
    await this.#call('unlock', () => this.#store.unlock(key, owner), this.#timeout)
  }

  // The lease (docs/redis.md): the store's optional methods, each a no-op without it.
  /** The store renews locks: they are short leases, else they last the holder's whole retry budget. */
  get leases (): boolean {
    return typeof this.#store.renew === 'function'
  }

  /** True: renewed; false: `owner` no longer holds the lock; undefined: the store failed. */
  async renew (key: string, owner: string, ttlMs: number): Promise<boolean | undefined> {
    const held = await this.#call('renew', async () => await this.#store.renew?.(key, owner, ttlMs), this.#timeout)
    return typeof held === 'boolean' ? held : undefined
  }

  /** The lock's remaining ms (Redis PTTL); undefined when the store cannot tell. */
  async lockRemaining (key: string): Promise<number | undefined> {
    if (this.#store.lockRemaining === undefined) return undefined
    const left = await this.#call('lockRemaining', async () => await this.#store.lockRemaining?.(key), this.#timeout)
    return typeof left === 'number' ? left : undefined
  }

  async deleteIfHolds (slot: StoreSlot, accessToken: string): Promise<void> {
    if (this.#store.deleteIfHolds === undefined) return
    await this.#call('deleteIfHolds', async () => await this.#store.deleteIfHolds?.(slot.name, accessToken), this.#timeout)
  }

  /** `accept` sees only authentic values (checked quietly: the result is checked, and warned about, once). */
  async waitFor (slot: StoreSlot, timeoutMs: number, accept: (value: StoredToken) => boolean): Promise<StoredToken | undefined> {
    const authenticAndAccepted = (value: StoredToken): boolean => macMatches(slot.macKey, slot.name, value) && accept(value)
    return this.#authentic(slot, await this.#call('waitFor', () => this.#store.waitFor(slot.name, timeoutMs, authenticAndAccepted), timeoutMs + this.#timeout))
  }

  /** Records a fleet-wide hold-off (the store's optional group; a store without it: nothing shared). */
  async holdOff (key: string, ttlMs: number): Promise<void> {
    const store = this.#store
    if (store.holdOff !== undefined) await this.#call('holdOff', () => store.holdOff!(key, ttlMs), this.#timeout)
  }

  /** The fleet-wide hold-off's end (epoch ms), or undefined: none, no such group, or the store failed. */
  async heldOffUntil (key: string): Promise<number | undefined> {
    const store = this.#store
    if (store.heldOffUntil === undefined) return undefined
    const until = await this.#call('heldOffUntil', () => store.heldOffUntil!(key), this.#timeout)
    return typeof until === 'number' && Number.isFinite(until) ? until : undefined
  }

  /** The value when its MAC verifies; otherwise a miss, and a warning that names no part of the value. */
  #authentic (slot: StoreSlot, raw: unknown): StoredToken | undefined {
    const value = asStoredToken(raw)
    if (value === undefined || macMatches(slot.macKey, slot.name, value)) return value
    this.#log.warn({ key: slot.name.slice(0, 12) },
      'a value in the shared token store failed its authentication check and was ignored (written by something without this client secret?); fetching a token instead')
    return undefined
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
