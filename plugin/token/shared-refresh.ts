// The cross-replica protocol (docs/redis.md): read the shared store, adopt a
// fresh token from it, else take its lock, fetch, store and unlock; a replica
// that finds the lock taken waits for the holder's token. Any store failure is a
// miss (SharedLayer), so a replica falls back to fetching for itself.
import { AppToken } from './app-token.js'
import type { Entry } from './entry.js'
import { ClosedError } from './errors.js'
import type { ClientAuth } from './client-auth.js'
import type { DpopKey } from './dpop.js'
import { credentialMaterial } from './credentials.js'
import { decodeJwtClaims } from './jwt.js'
import type { TokenLogger } from './logger.js'
import type { SharedLayer, StoreSlot } from './shared-layer.js'
import type { StoredToken } from './shared-store.js'
import { credentialKeys, storeKeyName, type CredentialKeys } from './store-key.js'

export interface SharedRefreshOptions {
  /** Identifies this cache as a lock holder. */
  owner: string
  /** ms of the lease: a lock's expiry in a store that renews it (every lease / 3 while the fetch runs). */
  lease: number
  /** ms a lock lasts in a store that cannot renew: the holder's whole retry budget (lockTtlFor); also how long a waiter follows a renewing holder at most. */
  lockTtl: number
  /** The credential the store key and the value MACs are derived from; a function is called once per acquire. */
  clientAuth: ClientAuth
  /** The DPoP key a bound token adopted from the store is used with (RFC 9449). */
  dpop?: DpopKey | undefined
  /** ms bound on resolving a clientSecret or privateKey function. */
  secretTimeout: number
  /** Seconds: no adopted token is kept longer than this from now. */
  maxLifetime: number
  /** No background refresh sooner than this (ms) after an adoption. */
  minRefreshInterval: number
}

export interface TokenSink {
  /** Fetches a token and caches it in the entry (or hands it out uncached). */
  fetchAndInstall (entry: Entry, background: boolean): Promise<AppToken>
  install (entry: Entry, token: AppToken, usableUntil: number, refreshAt: number): void
}

/**
 * A holder's whole retry budget: every attempt (`timeout`), every pause between them
 * (at most `maxDelay`, Retry-After included), the cache's 500 ms floor and a second of
 * margin — so no other replica takes the lock while the holder is still retrying.
 */
export function lockTtlFor (o: { timeout: number, retries: number, maxDelay: number }): number {
  return (o.retries + 1) * o.timeout + o.retries * o.maxDelay + 1500
}

export class SharedRefresh {
  readonly #layer: SharedLayer
  readonly #opt: SharedRefreshOptions
  readonly #log: TokenLogger
  readonly #sink: TokenSink
  /** The keys of the last secret seen: derived (scrypt) again only when the secret changes (rotation). */
  #keys: { secret: string, keys: Promise<CredentialKeys> } | undefined
  /** The locks this cache holds, by key name, each with what stops its renewal. */
  readonly #held = new Map<string, () => void>()
  /** Writes, unlocks and deletes still running: close() waits for them. */
  readonly #pending = new Set<Promise<unknown>>()
  #closed = false

  constructor (layer: SharedLayer, options: SharedRefreshOptions, log: TokenLogger, sink: TokenSink) {
    this.#layer = layer
    this.#opt = options
    this.#log = log
    this.#sink = sink
  }

  async acquire (entry: Entry, background: boolean): Promise<AppToken> {
    const key = await this.#slot(entry)
    // No secret at hand: the token request reports why; nothing is shared without one.
    if (key === undefined) return this.#sink.fetchAndInstall(entry, background)
    const found = await this.#lockOrAdopt(entry, key, background)
    if (found instanceof AppToken) return found
    const locked = found === true
    let token: AppToken
    try {
      token = await this.#sink.fetchAndInstall(entry, background)
    } catch (err) {
      if (locked) this.#unlock(key.name)
      throw err
    } finally {
      this.#held.get(key.name)?.()
    }
    if (entry.token === token && !this.#closed) {
      const value: StoredToken = {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        scopes: [...token.scopes],
        usableUntil: entry.usableUntil,
        expiresAt: token.expiresAt.getTime(),
        refreshAt: entry.refreshAt
      }
      this.#track(this.#layer.set(key, value, entry.usableUntil - Date.now()).then(() => (locked ? this.#unlock(key.name) : undefined)))
    } else if (locked) {
      this.#unlock(key.name)
    }
    return token
  }

  /** invalidate({ token }): the stored value is deleted if it still holds that token, fire-and-forget. */
  discard (entry: Entry, accessToken: string): void {
    if (this.#closed) return
    this.#track(this.#slot(entry).then((key) => (key === undefined ? undefined : this.#layer.deleteIfHolds(key, accessToken))))
  }

  /** Stops renewing; waits for pending writes and unlocks, then releases every lock still held (each call bounded by the layer). */
  async close (): Promise<void> {
    this.#closed = true
    for (const stop of this.#held.values()) stop()
    await Promise.allSettled([...this.#pending])
    await Promise.allSettled([...this.#held.keys()].map((name) => this.#unlock(name)))
  }

  /**
   * A token adopted from the store, or the lock: true when held, false when the wait for another
   * holder ended without one, undefined when the store failed (the caller then fetches unlocked).
   * A holder that renews its lease is followed (up to the longest any holder fetches); a lapsed
   * lease is taken over by lock(); a refresh whose token runs out meanwhile goes on as a caller's wait.
   * Without leases, two rounds of waiting as before.
   */
  async #lockOrAdopt (entry: Entry, key: StoreSlot, background: boolean): Promise<AppToken | boolean | undefined> {
    const shared = this.#layer
    const { owner, lockTtl, lease } = this.#opt
    const leases = shared.leases
    const ttl = leases ? lease : lockTtl
    const followUntil = Date.now() + lockTtl + lease
    let stored = await shared.get(key)
    for (let round = 0; ; round++) {
      if (worthAdopting(entry, stored, background)) return this.#adopt(entry, stored)
      if (this.#closed) throw new ClosedError('the token cache is closed')
      const locked = await shared.lock(key.name, owner, ttl)
      if (locked === true) {
        this.#hold(key.name, leases)
        // The last holder may have stored its token between our read and our lock.
        stored = await shared.get(key)
        if (!worthAdopting(entry, stored, background)) return true
        this.#unlock(key.name)
        return this.#adopt(entry, stored)
      }
      if (locked === undefined) return undefined
      const now = Date.now()
      // A refresh waits no longer than the current token lasts, so callers never queue behind it. Once
      // that has run out the replica has nothing to serve: it follows the lease as a cold replica does,
      // rather than fetch beside a holder that may still be fetching for the fleet.
      if (leases && background && now >= entry.usableUntil) background = false
      if (leases ? now >= followUntil : round >= 2) return false
      const left = await shared.lockRemaining(key.name)
      let patience = left !== undefined && left > 0 ? Math.min(ttl, left + 50) : ttl
      if (background) patience = Math.max(100, Math.min(patience, entry.usableUntil - now))
      stored = await shared.waitFor(key, patience, (value) => worthAdopting(entry, value, background))
    }
  }

  /** Notes the lock as held and, with leases, renews it every lease / 3 until stopped. */
  #hold (name: string, leases: boolean): void {
    const { owner, lease } = this.#opt
    let timer: NodeJS.Timeout | undefined
    const stop = (): void => { clearInterval(timer); timer = undefined }
    this.#held.set(name, stop)
    if (!leases) return
    timer = setInterval(() => {
      void this.#layer.renew(name, owner, lease).then((held) => {
        if (held !== false || timer === undefined) return
        stop()
        this.#log.warn({ key: name.slice(0, 12) }, 'the refresh lock was taken by another owner while this replica fetched (a lease lapsed?); no longer renewing it')
      })
    }, lease / 3)
    timer.unref()
  }

  /** Releases a lock this cache holds (once: a lock close() already released is left alone). */
  #unlock (name: string): Promise<void> {
    const stop = this.#held.get(name)
    if (stop === undefined) return Promise.resolve()
    stop()
    this.#held.delete(name)
    return this.#track(this.#layer.unlock(name, this.#opt.owner))
  }

  #track<T> (promise: Promise<T>): Promise<T> {
    this.#pending.add(promise)
    void promise.finally(() => this.#pending.delete(promise)).catch(() => {})
    return promise
  }

  /** The entry's v3 key name and MAC key, from the current secret; undefined when the secret cannot be had. */
  async #slot (entry: Entry): Promise<StoreSlot | undefined> {
    let keys: CredentialKeys
    try {
      const secret = await credentialMaterial(this.#opt.clientAuth, AbortSignal.timeout(this.#opt.secretTimeout))
      // Concurrent acquires of one secret share one derivation.
      if (this.#keys?.secret !== secret) this.#keys = { secret, keys: credentialKeys(secret) }
      keys = await this.#keys.keys
    } catch {
      return undefined
    }
    return { name: storeKeyName(entry.storeKey, keys.fingerprint), macKey: keys.macKey }
  }

  #adopt (entry: Entry, stored: StoredToken): AppToken {
    // The stored value holds no roles: they are read from the token itself, as the fetching replica did.
    const roles = decodeJwtClaims(stored.accessToken)?.roles ?? []
    const token = new AppToken({ accessToken: stored.accessToken, tokenType: stored.tokenType, scopes: stored.scopes, roles, expiresAt: stored.expiresAt, dpop: this.#opt.dpop })
    const now = Date.now()
    const usableUntil = Math.min(stored.usableUntil, now + this.#opt.maxLifetime * 1000)
    this.#sink.install(entry, token, usableUntil, Math.min(usableUntil, Math.max(stored.refreshAt, now + this.#opt.minRefreshInterval)))
    this.#log.debug({ scopes: entry.scopes, resource: entry.resource, fingerprint: token.fingerprint, expiresAt: token.expiresAt },
      'app token taken from the shared store')
    return token
  }
}

function worthAdopting (entry: Entry, stored: StoredToken | undefined, background: boolean): stored is StoredToken {
  if (stored === undefined || stored.accessToken === entry.rejected) return false
  const now = Date.now()
  if (stored.usableUntil <= now) return false
  // A refresh wants a newer token than the one it holds.
  return !background || (stored.accessToken !== entry.token?.accessToken && stored.refreshAt > now)
}
