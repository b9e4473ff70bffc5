// The seam between the in-memory token cache and an optional shared store
// (docs/redis.md). The memory layer always sits in front; a shared store (Redis)
// plugs in behind it through this interface alone; what a store hands back is
// checked here (asStoredToken) before any cache or store uses it.

/** A token as it is shared between processes: plain data, JSON-serialisable. */
export interface StoredToken {
  accessToken: string
  tokenType: string
  /** Granted scopes. */
  scopes: string[]
  /** Epoch ms after which the token must not be handed out (skew already applied). */
  usableUntil: number
  /** Epoch ms of the server's expiry as best known (for `AppToken.expiresAt`). */
  expiresAt: number
  /** Epoch ms at which a background refresh should start. */
  refreshAt: number
  /** Set by the cache: HMAC of the other fields, keyed from the credential; a value without a valid one is never served. */
  mac?: string
}

/** Where replicas share tokens and the refresh lock (docs/redis.md): `redisStore()` or `memoryStore()`. */
export interface SharedTokenStore {
  /** The stored token, or undefined on a miss. Never rejects for a miss. */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores the token; it expires from the store after ttlMs. */
  set(key: string, value: StoredToken, ttlMs: number): Promise<void>
  /**
   * Tries to take the refresh lock for key; true when `owner` now holds it. The lock expires
   * after ttlMs. A lapsed lock (lockLapsed) is taken over, in one atomic step.
   */
  lock(key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Releases the lock only if `owner` holds it. */
  unlock(key: string, owner: string): Promise<void>
  /**
   * Waits until another holder stores a token for key (or its lock goes away),
   * at most timeoutMs; resolves with the stored token or undefined. With `accept`,
   * any stored token it takes ends the wait at once, even while the lock is still
   * held (a holder whose unlock was lost must not keep its waiters until the lock expires).
   */
  waitFor(key: string, timeoutMs: number, accept?: (value: StoredToken) => boolean): Promise<StoredToken | undefined>
  /** Releases connections and timers the store opened. */
  close(): Promise<void>

  // The lease (docs/redis.md): optional. Without `renew`, a lock lasts the holder's whole
  // retry budget, as before; without `deleteIfHolds`, invalidate() leaves the stored value.
  /** Sets the lock's expiry to ttlMs from now, only if `owner` still holds it; false when it does not. */
  renew?(key: string, owner: string, ttlMs: number): Promise<boolean>
  /** The lock's remaining time in ms, as Redis PTTL: -2 when there is no lock, -1 when it has no expiry. */
  lockRemaining?(key: string): Promise<number>
  /** Deletes the stored token only if it still holds this access token. */
  deleteIfHolds?(key: string, accessToken: string): Promise<void>

  // Optional: a fleet-wide hold-off of one entry's token requests (a provider's token quota ran out,
  // docs/providers.md). A store without them still works: each replica then holds off on its own.
  /** Records that no replica should ask for key's token before now + ttlMs; it expires from the store then. */
  holdOff?(key: string, ttlMs: number): Promise<void>
  /** Epoch ms until which key's token requests are held off, or undefined when they are not. */
  heldOffUntil?(key: string): Promise<number | undefined>
}

/**
 * A lock with no expiry, or one further off than this (ms), is one no cache of ours wrote (the
 * longest it writes is an old replica's whole retry budget, 35.5 s by default): it counts as
 * lapsed, and `lock()` takes it over.
 */
export const LOCK_CEILING = 60_000

/** True for a lock that `lock()` may take: none (-2), no expiry (-1), or beyond LOCK_CEILING. */
export function lockLapsed (remaining: number): boolean {
  return remaining < 0 || remaining > LOCK_CEILING
}

/** Latest epoch ms a Date can hold. */
const MAX_DATE = 8.64e15

/** One home for "is this a stored token": anything else read from a store is a miss. A plain copy. */
export function asStoredToken (value: unknown): StoredToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const fields = value as Record<string, unknown>
  if (typeof fields.accessToken !== 'string' || fields.accessToken === '' || typeof fields.tokenType !== 'string' || fields.tokenType === '') return undefined
  if (!Array.isArray(fields.scopes) || !fields.scopes.every((s) => typeof s === 'string')) return undefined
  const { usableUntil, expiresAt, refreshAt } = fields
  if (!isTime(usableUntil) || !isTime(expiresAt) || !isTime(refreshAt)) return undefined
  const token: StoredToken = { accessToken: fields.accessToken, tokenType: fields.tokenType, scopes: [...fields.scopes as string[]], usableUntil, expiresAt, refreshAt }
  if (typeof fields.mac === 'string') token.mac = fields.mac
  return token
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_DATE
}
