// The cross-replica protocol (docs/redis.md): read the shared store, adopt a
// fresh token from it, else take its lock, fetch, store and unlock; a replica
// that finds the lock taken waits for the holder's token. Any store failure is a
// miss (SharedLayer), so a replica falls back to fetching for itself.
import { AppToken } from './app-token.js'
import type { Entry } from './entry.js'
import type { ClientAuth } from './client-auth.js'
import { credentialMaterial } from './credentials.js'
import { decodeJwtClaims } from './jwt.js'
import type { TokenLogger } from './logger.js'
import type { SharedLayer, StoreSlot } from './shared-layer.js'
import type { StoredToken } from './shared-store.js'
import { credentialKeys, storeKeyName, type CredentialKeys } from './store-key.js'

export interface SharedRefreshOptions {
  /** Identifies this cache as a lock holder. */
  owner: string
  /** ms a lock lasts: the holder's whole retry budget (lockTtlFor); a holder that dies blocks the others no longer. */
  lockTtl: number
  /** The credential the store key and the value MACs are derived from; a function is called once per acquire. */
  clientAuth: ClientAuth
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

  constructor (layer: SharedLayer, options: SharedRefreshOptions, log: TokenLogger, sink: TokenSink) {
    this.#layer = layer
    this.#opt = options
    this.#log = log
    this.#sink = sink
  }

  async acquire (entry: Entry, background: boolean): Promise<AppToken> {
    const shared = this.#layer
    const { owner, lockTtl } = this.#opt
    const key = await this.#slot(entry)
    // No secret at hand: the token request reports why; nothing is shared without one.
    if (key === undefined) return this.#sink.fetchAndInstall(entry, background)
    let stored = await shared.get(key)
    let locked: boolean | undefined = false
    // A second round: when the holder died or failed, its waiters take the lock
    // once more rather than all fetching at once.
    for (let round = 0; round < 2 && locked === false; round++) {
      if (worthAdopting(entry, stored, background)) return this.#adopt(entry, stored)
      locked = await shared.lock(key.name, owner, lockTtl)
      if (locked === true) {
        // The last holder may have stored its token between our read and our lock.
        stored = await shared.get(key)
        if (worthAdopting(entry, stored, background)) {
          void shared.unlock(key.name, owner)
          return this.#adopt(entry, stored)
        }
      } else if (locked === false) {
        // Another holder is fetching: wait for its token. A refresh waits no longer
        // than the current token lasts, so callers never queue behind it.
        const patience = background ? Math.max(100, Math.min(lockTtl, entry.usableUntil - Date.now())) : lockTtl
        stored = await shared.waitFor(key, patience, (value) => worthAdopting(entry, value, background))
      }
    }
    if (locked === false && worthAdopting(entry, stored, background)) return this.#adopt(entry, stored)
    let token: AppToken
    try {
      token = await this.#sink.fetchAndInstall(entry, background)
    } catch (err) {
      if (locked === true) void shared.unlock(key.name, owner)
      throw err
    }
    if (entry.token === token) {
      const value: StoredToken = {
        accessToken: token.accessToken,
        tokenType: token.tokenType,
        scopes: [...token.scopes],
        usableUntil: entry.usableUntil,
        expiresAt: token.expiresAt.getTime(),
        refreshAt: entry.refreshAt
      }
      void shared.set(key, value, entry.usableUntil - Date.now())
        .then(() => (locked === true ? shared.unlock(key.name, owner) : undefined))
    } else if (locked === true) {
      void shared.unlock(key.name, owner)
    }
    return token
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
    const token = new AppToken({ accessToken: stored.accessToken, tokenType: stored.tokenType, scopes: stored.scopes, roles, expiresAt: stored.expiresAt })
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
