// What stats() reports: counters and the cached entries, nothing secret.
import type { Entry } from './entry.js'
import type { Quota } from './quota.js'

/** The last failed token request, as stats() shows it: the error's code and message, never a secret. */
export interface LastError { code: string; message: string; at: Date }

/** One cache entry as `stats()` shows it. */
export interface TokenEntryStats {
  /** The entry's key: a sha256, no secret; the shared store's key name adds the credential fingerprint (docs/redis.md). */
  key: string
  scopes: string[]
  resource: string | null
  /** The `audience` form parameter of the entry (docs/providers.md). */
  audience: string | null
  expiresAt: Date | null
  usableUntil: Date | null
  refreshAt: Date | null
  /** The provider's token quota as the last answer reported it (Auth0's quota headers); null when none did. */
  quota: Quota | null
}

/** What `stats()` returns: counts of fetches, failures, hits, misses and waits, the last error and every entry. */
export interface TokenStats {
  /** Token requests sent (retries included). */
  fetches: number
  /** Token requests that failed. */
  failures: number
  /** get() calls answered with a cached token. */
  hits: number
  /** get() calls that found no usable token: they waited for a request, or got the failure it left. */
  misses: number
  /** get() calls that found no usable token and waited for a request. */
  waits: number
  lastError: LastError | null
  entries: TokenEntryStats[]
}

export function entryStats (entry: Entry): TokenEntryStats {
  const { token } = entry
  return {
    key: entry.storeKey,
    scopes: [...entry.scopes],
    resource: entry.resource ?? null,
    audience: entry.audience ?? null,
    expiresAt: token === undefined ? null : new Date(token.expiresAt),
    usableUntil: token === undefined ? null : new Date(entry.usableUntil),
    refreshAt: token === undefined || entry.timer === undefined ? null : new Date(entry.refreshAt),
    quota: entry.quota === undefined ? null : { ...entry.quota }
  }
}
