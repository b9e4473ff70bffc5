// The seam between the in-memory token cache and an optional shared store
// (docs/redis.md). The memory layer always sits in front; a shared store (Redis)
// plugs in behind it through this interface alone.

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
}

export interface SharedTokenStore {
  /** The stored token, or undefined on a miss. Never rejects for a miss. */
  get(key: string): Promise<StoredToken | undefined>
  /** Stores the token; it expires from the store after ttlMs. */
  set(key: string, value: StoredToken, ttlMs: number): Promise<void>
  /** Tries to take the refresh lock for key; true when `owner` now holds it. The lock expires after ttlMs. */
  lock(key: string, owner: string, ttlMs: number): Promise<boolean>
  /** Releases the lock only if `owner` holds it. */
  unlock(key: string, owner: string): Promise<void>
  /**
   * Waits until another holder stores a token for key (or its lock goes away),
   * at most timeoutMs; resolves with the stored token or undefined.
   */
  waitFor(key: string, timeoutMs: number): Promise<StoredToken | undefined>
  /** Releases connections and timers the store opened. */
  close(): Promise<void>
}
