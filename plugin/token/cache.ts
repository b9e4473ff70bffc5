// The token cache (docs/token-core.md): one entry per (scope set, resource, audience); one
// request in flight per entry; a background refresh at 75–85 % of the usable lifetime; at most
// maxEntries entries. Requests and retries are RetryingFetcher's, failure memory is
// failure-memory's, the cross-replica protocol SharedRefresh's (joined in store-link.ts), quota hold-offs HoldOff's.
import { Agent, type Dispatcher } from 'undici'
import type { AppToken } from './app-token.js'
import { tlsConnectOptions } from './client-auth.js'
import { withDeadline } from './deadline.js'
import { EntryTable, newEntry, type Entry } from './entry.js'
import { emptyEntry, holdToken } from './entry-token.js'
import { AppTokenError, ClosedError, TimeoutError } from './errors.js'
import { refreshPoint } from './expiry.js'
import { forgetFailures, nextRefreshAttempt, rememberFailure } from './failure-memory.js'
import type { HoldOff } from './hold-off.js'
import { LifetimeWatch } from './lifetime-watch.js'
import { errorFields, silentLogger, type TokenLogger } from './logger.js'
import { checkMetrics, NO_METRICS } from './metrics.js'
import { MAX_TIMER, resolveCacheOptions, type ResolvedCacheOptions, type TokenCacheOptions } from './options.js'
import { RetryingFetcher } from './retrying-fetcher.js'
import { ScopeKeys } from './scope-keys.js'
import { checkGranted } from './scope-narrowed.js'
import { checkAudience, checkResource, toScopeSet } from './scopes.js'
import type { SharedRefresh } from './shared-refresh.js'
import { entryStats, type TokenEntryStats, type TokenStats } from './stats.js'
import { storeIdentity } from './store-key.js'
import { joinStore } from './store-link.js'

export type { TokenCacheOptions } from './options.js'
export type { TokenEntryStats, TokenStats } from './stats.js'

/** The arguments of `TokenCache.get()`: scopes (RFC 6749 §3.3), resource (RFC 8707) and audience. */
export interface GetTokenOptions {
  /** Replaces the default (empty) scope set. */
  scopes?: readonly string[]
  /** RFC 8707 resource indicator. */
  resource?: string
  /** The `audience` form parameter (docs/providers.md). */
  audience?: string
}

/** No background refresh sooner than this after a fetch: no fetch storm, whatever the server says. */
const MIN_REFRESH_INTERVAL = 500
/** One "cache full" warning per this many ms at most. */
const EVICTION_WARN_INTERVAL = 60_000

/**
 * Client credentials tokens (RFC 6749 §4.4) cached per scope set, resource (RFC 8707) and
 * audience: one token request for all concurrent callers of a key, refreshed in the background
 * before expiry, retried with backoff on transient failures, optionally shared across replicas
 * through a {@link SharedTokenStore} (docs/token-core.md).
 *
 * @example
 * ```ts
 * import { TokenCache } from 'fastify-app-token/token'
 *
 * const cache = new TokenCache({
 *   tokenEndpoint: 'https://login.example.com/oauth/token',
 *   clientId: 'svc-billing',
 *   clientSecret: () => readFile('/run/secrets/app', 'utf8'), // read before each request
 * })
 * const token = await cache.get({ scopes: ['read:invoices'] })
 * // after the API answered 401 to this token:
 * cache.invalidate({ token })
 * await cache.close()
 * ```
 */
export class TokenCache {
  readonly #opt: ResolvedCacheOptions
  readonly #ownAgent: Agent | undefined
  readonly #log: TokenLogger
  readonly #fetcher: RetryingFetcher
  readonly #shared: SharedRefresh | undefined
  readonly #entries: EntryTable
  readonly #scopeKeys = new ScopeKeys()
  #closed = false
  #misses = 0
  #waits = 0
  /** Hits of the entries evicted (the others count their own). */
  #evictedHits = 0
  #evictionWarnedAt = -Infinity
  readonly #lifetimes: LifetimeWatch
  readonly #holdOff: HoldOff
  readonly #stopMetrics: () => void

  constructor (options: TokenCacheOptions) {
    this.#opt = resolveCacheOptions(options)
    const metrics = checkMetrics(options.metrics) ?? NO_METRICS
    this.#log = options.logger ?? silentLogger
    let dispatcher: Dispatcher | undefined = options.dispatcher
    if (dispatcher === undefined) dispatcher = this.#ownAgent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: this.#opt.timeout, ...tlsConnectOptions(this.#opt.clientAuth) } })
    this.#fetcher = new RetryingFetcher(this.#opt, dispatcher, this.#log, metrics)
    this.#entries = new EntryTable(this.#opt.maxEntries)
    this.#lifetimes = new LifetimeWatch(this.#log, this.#opt.maxLifetime)
    const link = joinStore(options.store, this.#opt, this.#log, metrics, MIN_REFRESH_INTERVAL, {
      fetchAndInstall: (entry, background) => this.#fetchAndInstall(entry, background),
      install: (entry, token, usableUntil, refreshAt) => this.#install(entry, token, usableUntil, refreshAt)
    })
    this.#holdOff = link.holdOff
    this.#shared = link.shared
    this.#stopMetrics = metrics.observe(() => this.stats())
  }

  /** A usable token for these scopes and resource: cached, or fetched once for all concurrent callers. */
  get (opts?: GetTokenOptions): Promise<AppToken> {
    const key = this.#scopeKeys.keyOf(opts?.scopes)
    const entry = this.#entries.find(opts?.resource, opts?.audience, key)
    const promise = entry?.promise
    if (promise !== undefined && (entry!.fresh || Date.now() < entry!.usableUntil)) {
      entry!.hits++
      return promise
    }
    return this.#getSlow(opts, entry)
  }

  /**
   * Drops the cached token for these scopes and resource (no argument: every token); the next get() fetches once.
   * With `token` (the one the upstream API refused), only that token is dropped, wherever it is cached: the
   * late 401s of the other requests that held it leave its successor alone.
   */
  invalidate (opts?: GetTokenOptions & { token?: AppToken }): void {
    const refused = opts?.token?.accessToken
    if (opts === undefined || refused !== undefined) {
      for (const entry of this.#entries.values()) {
        if (refused === undefined || entry.token?.accessToken === refused) this.#drop(entry, true, refused)
      }
      return
    }
    let key: string
    try { key = toScopeSet(opts.scopes).join(' ') } catch { return }
    const entry = this.#entries.find(opts.resource, opts.audience, key)
    if (entry !== undefined) this.#drop(entry, true)
  }

  /** Counters and the cached entries (no secret, no token). */
  stats (): TokenStats {
    let hits = this.#evictedHits
    const entries: TokenEntryStats[] = []
    for (const entry of this.#entries.values()) {
      hits += entry.hits
      entries.push(entryStats(entry))
    }
    const { fetches, failures, lastError } = this.#fetcher
    return { fetches, failures, hits, misses: this.#misses, waits: this.#waits, lastError, entries }
  }

  /** Stops every timer and request; releases its store locks after pending writes; closes its own Agent (not a given dispatcher or store). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopMetrics()
    this.#fetcher.close()
    for (const entry of this.#entries.values()) this.#drop(entry, false)
    await Promise.all([this.#shared?.close(), this.#ownAgent?.destroy()])
  }

  #getSlow (opts: GetTokenOptions | undefined, found: Entry | undefined): Promise<AppToken> {
    if (this.#closed) return Promise.reject(new ClosedError('the token cache is closed'))
    let entry = found
    if (entry === undefined) {
      try { entry = this.#createEntry(opts) } catch (err) { return Promise.reject(err) }
    }
    if (entry.token !== undefined && Date.now() >= entry.usableUntil) this.#drop(entry, false)
    this.#misses++
    if (entry.failure !== undefined && entry.inflight === undefined && Date.now() < entry.failure.until) return Promise.reject(entry.failure.error)
    this.#waits++
    // One caller waits at most maxWait; the request goes on for later callers.
    const { maxWait } = this.#opt
    return withDeadline(entry.inflight ?? this.#start(entry, false), maxWait,
      () => new TimeoutError(`no app token within maxWait (${maxWait} ms); the token request goes on for later callers`, { transient: true }))
  }

  #createEntry (opts: GetTokenOptions | undefined): Entry {
    const scopes = toScopeSet(opts?.scopes)
    const { resource, audience } = opts ?? {}
    checkResource(resource)
    checkAudience(audience)
    const key = scopes.join(' ')
    const existing = this.#entries.find(resource, audience, key)
    if (existing !== undefined) return existing
    const { tokenEndpoint, clientId, authMethod, dpop } = this.#opt
    // The shared store's key adds the credential fingerprint to this (SharedRefresh).
    const storeKey = storeIdentity({ endpoint: tokenEndpoint.href, clientId, authMethod, scopes: key, resource, audience, dpopJkt: dpop?.key.thumbprint })
    const entry = newEntry(key, scopes, resource, audience, storeKey)
    const evicted = this.#entries.add(entry)
    if (evicted !== undefined) this.#evicted(evicted)
    return entry
  }

  #evicted (entry: Entry): void {
    this.#evictedHits += entry.hits
    this.#drop(entry, false)
    const now = Date.now()
    if (now - this.#evictionWarnedAt < EVICTION_WARN_INTERVAL) return
    this.#evictionWarnedAt = now
    this.#log.warn({ maxEntries: this.#opt.maxEntries, evicted: { scopes: entry.scopes, resource: entry.resource } },
      'the token cache is full: dropping the least recently fetched token (are scope sets built from request data?)')
  }

  #start (entry: Entry, background: boolean): Promise<AppToken> {
    const acquired = this.#shared?.acquire(entry, background) ?? this.#fetchAndInstall(entry, background)
    const promise = acquired.then(
      (token) => {
        entry.inflight = undefined
        forgetFailures(entry)
        return token
      },
      (err: unknown) => {
        entry.inflight = undefined
        throw this.#onFailure(entry, err, background)
      }
    )
    entry.inflight = promise
    if (background) promise.catch(() => {}) // logged in #onFailure; joiners still see the rejection
    return promise
  }

  async #fetchAndInstall (entry: Entry, background: boolean): Promise<AppToken> {
    // Tokens that cannot be cached would otherwise be fetched back to back.
    const floor = entry.uncachedAt + MIN_REFRESH_INTERVAL - Date.now()
    if (floor > 0) await this.#fetcher.sleep(floor)
    await this.#holdOff.check(entry)
    const fetched = await this.#holdOff.watch(entry, this.#fetcher.fetch(entry.scopes, entry.resource, entry.audience))
    checkGranted(fetched, this.#opt, this.#log)
    const { token } = fetched
    const now = Date.now()
    const logFields = {
      scopes: token.scopes,
      resource: entry.resource,
      fingerprint: token.fingerprint,
      expiresAt: token.expiresAt,
      expiresIn: fetched.expiresIn,
      lifetimeFrom: fetched.lifetimeSource
    }
    const shrank = this.#lifetimes.observe(entry, fetched, logFields)
    if (fetched.usableUntil <= now) {
      // expires_in 0 or negative (or too short to use): for the callers waiting now, never cached.
      if (entry.uncachedAt === 0) {
        this.#log.warn(logFields, 'the token endpoint issued a token that is already expired or too short-lived to cache; not caching it')
      }
      entry.uncachedAt = now
      return token
    }
    // A server reusing its token: refreshing early would only fetch it again.
    const refreshAt = shrank ? fetched.usableUntil : Math.max(refreshPoint(fetched.sentAt, fetched.usableUntil, Math.random, fetched.refreshIn), now + MIN_REFRESH_INTERVAL)
    entry.uncachedAt = 0
    this.#install(entry, token, fetched.usableUntil, refreshAt)
    const fields = { ...logFields, usableUntil: new Date(entry.usableUntil), refreshAt: entry.timer !== undefined ? new Date(refreshAt) : null }
    if (background) this.#log.debug(fields, 'app token refreshed')
    else this.#log.info(fields, 'app token fetched')
    return token
  }

  #onFailure (entry: Entry, caught: unknown, background: boolean): unknown {
    if (!(caught instanceof AppTokenError) || caught instanceof ClosedError) return caught
    const err = caught
    this.#fetcher.noteError(err)
    const now = Date.now()
    // Transient with the retries spent: a pause of maxDelay (or the server's Retry-After) before the next round.
    rememberFailure(entry, err, now, this.#opt.maxDelay)
    if (background && entry.token !== undefined && now < entry.usableUntil) {
      this.#log.warn({ ...errorFields(err), usableUntil: new Date(entry.usableUntil) },
        'background token refresh failed; serving the current token while it lasts')
      this.#schedule(entry, nextRefreshAttempt(entry, now))
    } else {
      this.#log.error(errorFields(err), 'could not get an app token')
    }
    return err
  }

  #install (entry: Entry, token: AppToken, usableUntil: number, refreshAt: number): void {
    if (entry.evicted) return
    this.#entries.refreshed(entry)
    holdToken(entry, token, usableUntil)
    this.#schedule(entry, refreshAt)
  }

  #schedule (entry: Entry, at: number): void {
    clearTimeout(entry.timer)
    entry.timer = undefined
    entry.refreshAt = at
    // A refresh at or past the end of the token's use is no refresh: the next get() fetches.
    if (this.#closed || at >= entry.usableUntil) return
    entry.timer = setTimeout(() => this.#refresh(entry), Math.min(MAX_TIMER, Math.max(0, at - Date.now())))
    entry.timer.unref()
  }

  #refresh (entry: Entry): void {
    entry.timer = undefined
    // An entry nobody asked for since its last token is left to expire.
    if (this.#closed || entry.inflight !== undefined || entry.hits === entry.hitsAtInstall) return
    void this.#start(entry, true)
  }

  /** `refused`: the token the upstream API refused, deleted from the shared store too while it holds it. */
  #drop (entry: Entry, invalidated: boolean, refused?: string): void {
    if (refused !== undefined) this.#shared?.discard(entry, refused)
    emptyEntry(entry, invalidated)
  }
}
