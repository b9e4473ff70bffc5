// The token cache: one entry per (endpoint, client, auth method, scope set,
// resource); one request in flight per entry; a background refresh at 75–85 %
// of the usable lifetime; transient failures retried with backoff, permanent
// ones remembered for a growing while; an optional shared store behind it.
import { createHash, randomUUID } from 'node:crypto'
import { Agent, type Dispatcher } from 'undici'
import type { AuthMethod } from '../../service/policy/types.js'
import { AppToken } from './app-token.js'
import { AppTokenError, ClosedError, InvalidOptionError, NetworkError, ScopeNarrowedError, TimeoutError } from './errors.js'
import { parseTokenEndpoint } from './endpoint.js'
import { refreshPoint } from './expiry.js'
import { silentLogger, type TokenLogger } from './logger.js'
import { DEFAULTS, fetchToken, type FetchedToken, type SecretSource } from './request.js'
import { backoffDelay } from './retry.js'
import { checkResource, toScopeSet } from './scopes.js'
import { SharedLayer } from './shared-layer.js'
import type { SharedTokenStore, StoredToken } from './store.js'

export interface TokenCacheOptions {
  tokenEndpoint: string | URL
  clientId: string
  /** The secret, or a function called before each token request (rotation). */
  clientSecret: SecretSource
  /** Default 'client_secret_basic'. */
  authMethod?: AuthMethod
  /** Default: a dedicated keep-alive Agent, closed by close(). */
  dispatcher?: Dispatcher
  store?: SharedTokenStore
  /** Default: silent. */
  logger?: TokenLogger
  /** Seconds assumed when the response has no expires_in. Default 300. */
  defaultLifetime?: number
  /** Seconds kept in reserve before expiry, capped at 10 % of the lifetime. Default 5. */
  clockSkew?: number
  /** Seconds no token is cached for longer than (a longer lifetime is cut, with one warning). Default 86400, at most 2147483 (24.8 days). */
  maxLifetime?: number
  /** Default 'error': ScopeNarrowedError when fewer scopes are granted than requested. */
  onScopeNarrowed?: 'error' | 'warn'
  /** ms bound on one attempt (resolving the secret, connect, headers, body). Default 10000. */
  timeout?: number
  /** ms one get() waits at most, retries included; then a transient TimeoutError while the request goes on. Default 10000. */
  maxWait?: number
  /** Default 65536. */
  maxResponseBytes?: number
  /** Transient failures: retries (default 2), backoff from minDelay (100 ms) up to maxDelay (2000 ms). */
  retry?: { retries?: number; minDelay?: number; maxDelay?: number }
  /** Policy text for the invalid_scope hint. */
  scopeHint?: (scopes: readonly string[]) => string | undefined
  /** Called on invalid_client (e.g. to re-read a rotated secret file). */
  onInvalidClient?: () => void
  /** ms bound on each shared-store call. Default 1000. */
  storeTimeout?: number
  /** Entries (scope set, resource) kept at most; the least recently fetched goes first. Default 1000. */
  maxEntries?: number
}

export interface GetTokenOptions {
  /** Replaces the default (empty) scope set. */
  scopes?: readonly string[]
  /** RFC 8707 resource indicator. */
  resource?: string
}

export interface TokenEntryStats {
  /** The entry's key as the shared store sees it: a sha256, no secret. */
  key: string
  scopes: string[]
  resource: string | null
  expiresAt: Date | null
  usableUntil: Date | null
  refreshAt: Date | null
}

export interface TokenStats {
  /** Token requests sent (retries included). */
  fetches: number
  /** Token requests that failed. */
  failures: number
  /** get() calls that found no usable token and waited for a request. */
  waits: number
  lastError: { code: string; message: string; at: Date } | null
  entries: TokenEntryStats[]
}

interface Entry {
  /** The scope key and resource ('' for none) it is filed under. */
  readonly key: string
  readonly resourceKey: string
  readonly scopes: string[]
  readonly resource: string | undefined
  readonly storeKey: string
  token: AppToken | undefined
  /** Settled promise of `token`: what the hot path hands out. */
  promise: Promise<AppToken> | undefined
  usableUntil: number
  /** Far from usableUntil: a hit reads no clock (Date.now() costs as much as the rest of a hit). */
  fresh: boolean
  freshTimer: NodeJS.Timeout | undefined
  refreshAt: number
  /** Usable seconds and token of the last fetch, to notice a server reusing its token. */
  lifetime: number | undefined
  lastAccessToken: string | undefined
  /** A get() arrived since the last install: worth refreshing. */
  used: boolean
  inflight: Promise<AppToken> | undefined
  timer: NodeJS.Timeout | undefined
  /** A failure get() answers with, without a request, until `until`. */
  failure: { error: AppTokenError; until: number } | undefined
  /** Last permanent-failure memory in ms (grows 1 s → 30 s). */
  penalty: number
  refreshFailures: number
  shrinkWarned: boolean
  /** An invalidated token: never taken back from the shared store. */
  rejected: string | undefined
  /** When the last token too short-lived to cache arrived (0: the last one was cached): the next request waits out the floor. */
  uncachedAt: number
  /** Dropped to keep maxEntries: finishes its request for its callers, never cached again. */
  evicted: boolean
}

/** No background refresh sooner than this after a fetch: no fetch storm, whatever the server says. */
const MIN_REFRESH_INTERVAL = 500
const PENALTY_FIRST = 1000
const PENALTY_MAX = 30_000
/** One "cache full" warning per this many ms at most. */
const EVICTION_WARN_INTERVAL = 60_000
/** setTimeout's limit (ms): a refresh timer must fit, so maxLifetime does too. */
const MAX_TIMER = 2 ** 31 - 1
const EMPTY: readonly string[] = []
/** Key of no entry: the slow path reports what is wrong with the scopes. */
const INVALID = '\0invalid'

export class TokenCache {
  readonly #endpoint: URL
  readonly #clientId: string
  readonly #secret: SecretSource
  readonly #authMethod: AuthMethod
  readonly #dispatcher: Dispatcher
  readonly #ownAgent: Agent | undefined
  readonly #log: TokenLogger
  readonly #shared: SharedLayer | undefined
  readonly #owner = randomUUID()
  readonly #opt: {
    defaultLifetime: number
    clockSkew: number
    maxLifetime: number
    onScopeNarrowed: 'error' | 'warn'
    timeout: number
    maxWait: number
    maxResponseBytes: number
    retries: number
    minDelay: number
    maxDelay: number
    lockTtl: number
    maxEntries: number
    scopeHint: ((scopes: readonly string[]) => string | undefined) | undefined
    onInvalidClient: (() => void) | undefined
  }

  /** resource ('' for none) → scope key → entry. */
  readonly #entries = new Map<string, Map<string, Entry>>()
  /** Scope arrays already seen → their key, so the hot path neither sorts nor joins. */
  /** Every entry, least recently inserted or refreshed first; a cache hit leaves it alone. */
  readonly #order = new Set<Entry>()
  #evictionWarnedAt = -Infinity
  readonly #scopeKeys = new WeakMap<readonly string[], { copy: string[] | undefined; key: string }>()
  readonly #abort = new AbortController()
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()
  #closed = false
  #fetches = 0
  #failures = 0
  #waits = 0
  #lastError: TokenStats['lastError'] = null
  /** Lifetime warnings already given (once per cache: a misbehaving server would repeat them every fetch). */
  readonly #warned = new Set<string>()

  constructor (options: TokenCacheOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('TokenCache needs an options object')
    this.#endpoint = parseTokenEndpoint(options.tokenEndpoint)
    if (typeof options.clientId !== 'string' || options.clientId === '') throw new InvalidOptionError('clientId must be a non-empty string')
    const secret = options.clientSecret
    if (!((typeof secret === 'string' && secret !== '') || typeof secret === 'function')) {
      throw new InvalidOptionError('clientSecret must be a non-empty string or a function returning one')
    }
    this.#clientId = options.clientId
    this.#secret = secret
    this.#authMethod = options.authMethod ?? DEFAULTS.authMethod
    if (this.#authMethod !== 'client_secret_basic' && this.#authMethod !== 'client_secret_post') {
      throw new InvalidOptionError(`authMethod must be client_secret_basic or client_secret_post (got ${String(options.authMethod)})`)
    }
    const onScopeNarrowed = options.onScopeNarrowed ?? 'error'
    if (onScopeNarrowed !== 'error' && onScopeNarrowed !== 'warn') throw new InvalidOptionError('onScopeNarrowed must be \'error\' or \'warn\'')
    const timeout = positive('timeout', options.timeout, DEFAULTS.timeout)
    const retries = nonNegative('retry.retries', options.retry?.retries, 2)
    const minDelay = positive('retry.minDelay', options.retry?.minDelay, 100)
    const maxDelay = positive('retry.maxDelay', options.retry?.maxDelay, 2000)
    this.#opt = {
      defaultLifetime: positive('defaultLifetime', options.defaultLifetime, DEFAULTS.defaultLifetime),
      clockSkew: nonNegative('clockSkew', options.clockSkew, DEFAULTS.clockSkew),
      maxLifetime: positive('maxLifetime', options.maxLifetime, DEFAULTS.maxLifetime, MAX_TIMER / 1000),
      onScopeNarrowed,
      timeout,
      maxWait: positive('maxWait', options.maxWait, DEFAULTS.maxWait),
      maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes),
      retries,
      minDelay,
      maxDelay: Math.max(minDelay, maxDelay),
      // Long enough for the holder's request; a holder that dies blocks the others no longer.
      lockTtl: timeout + 1000,
      maxEntries: positiveInteger('maxEntries', options.maxEntries, DEFAULTS.maxEntries),
      scopeHint: options.scopeHint,
      onInvalidClient: options.onInvalidClient
    }
    this.#log = options.logger ?? silentLogger
    if (options.dispatcher !== undefined) {
      this.#dispatcher = options.dispatcher
    } else {
      this.#ownAgent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout } })
      this.#dispatcher = this.#ownAgent
    }
    if (options.store !== undefined) {
      this.#shared = new SharedLayer(options.store, this.#log, positive('storeTimeout', options.storeTimeout, 1000))
    }
  }

  /** A usable token for these scopes and resource: cached, or fetched once for all concurrent callers. */
  get (opts?: GetTokenOptions): Promise<AppToken> {
    const scopes = opts?.scopes ?? EMPTY
    const key = scopes.length === 0 ? '' : scopes.length === 1 ? (joinable(scopes[0]) ? scopes[0] : INVALID) : this.#scopeKey(scopes)
    const entry = this.#entries.get(opts?.resource ?? '')?.get(key)
    const promise = entry?.promise
    if (promise !== undefined && (entry!.fresh || Date.now() < entry!.usableUntil)) {
      entry!.used = true
      return promise
    }
    return this.#getSlow(opts, key, entry)
  }

  /**
   * Drops the cached token for these scopes and resource (no argument: every token); the next get() fetches once.
   * With `token` (the one the upstream API refused), only that token is dropped, wherever it is cached: the
   * late 401s of the other requests that held it leave its successor alone.
   */
  invalidate (opts?: GetTokenOptions & { token?: AppToken }): void {
    const refused = opts?.token?.accessToken
    if (opts === undefined || refused !== undefined) {
      for (const byKey of this.#entries.values()) {
        for (const entry of byKey.values()) if (refused === undefined || entry.token?.accessToken === refused) this.#drop(entry, true)
      }
      return
    }
    let key: string
    try { key = toScopeSet(opts.scopes).join(' ') } catch { return }
    const entry = this.#entries.get(opts.resource ?? '')?.get(key)
    if (entry !== undefined) this.#drop(entry, true)
  }

  stats (): TokenStats {
    const entries: TokenEntryStats[] = []
    const date = (ms: number | undefined): Date | null => (ms === undefined ? null : new Date(ms))
    for (const byKey of this.#entries.values()) {
      for (const e of byKey.values()) {
        const held = e.token !== undefined
        entries.push({
          key: e.storeKey,
          scopes: [...e.scopes],
          resource: e.resource ?? null,
          expiresAt: held ? new Date(e.token!.expiresAt) : null,
          usableUntil: date(held ? e.usableUntil : undefined),
          refreshAt: date(held && e.timer !== undefined ? e.refreshAt : undefined)
        })
      }
    }
    return { fetches: this.#fetches, failures: this.#failures, waits: this.#waits, lastError: this.#lastError, entries }
  }

  /** Stops every timer and request; closes the Agent it created (not a given dispatcher or store). */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#abort.abort()
    for (const sleep of this.#sleeps) { clearTimeout(sleep.timer); sleep.resolve() }
    this.#sleeps.clear()
    for (const byKey of this.#entries.values()) for (const entry of byKey.values()) this.#drop(entry, false)
    await this.#ownAgent?.destroy()
  }

  #scopeKey (scopes: readonly string[]): string {
    const seen = this.#scopeKeys.get(scopes)
    // The copy guards against an array changed since it was seen (a frozen one cannot be).
    if (seen !== undefined && (seen.copy === undefined || sameElements(seen.copy, scopes))) return seen.key
    const frozen = Object.isFrozen(scopes)
    let key: string
    if (sortedUnique(scopes)) {
      key = scopes.join(' ')
      // Already normalised and maybe fresh on every call: no memo unless it is frozen (kept for good).
      if (!frozen) return key
    } else {
      try { key = toScopeSet(scopes).join(' ') } catch { return INVALID }
    }
    this.#scopeKeys.set(scopes, { copy: frozen ? undefined : [...scopes], key })
    return key
  }

  #getSlow (opts: GetTokenOptions | undefined, key: string, found: Entry | undefined): Promise<AppToken> {
    if (this.#closed) return Promise.reject(new ClosedError('the token cache is closed'))
    let entry = found
    if (entry === undefined) {
      try { entry = this.#createEntry(opts) } catch (err) { return Promise.reject(err) }
    }
    if (entry.token !== undefined && Date.now() >= entry.usableUntil) this.#drop(entry, false)
    if (entry.failure !== undefined && entry.inflight === undefined && Date.now() < entry.failure.until) return Promise.reject(entry.failure.error)
    this.#waits++
    return this.#bounded(entry.inflight ?? this.#start(entry, false))
  }

  /** The request, as one caller waits for it: at most maxWait, while the request goes on for later callers. */
  #bounded (request: Promise<AppToken>): Promise<AppToken> {
    return new Promise((resolve, reject) => {
      const { maxWait } = this.#opt
      const timer = setTimeout(() => {
        reject(new TimeoutError(`no app token within maxWait (${maxWait} ms); the token request goes on for later callers`, { transient: true }))
      }, maxWait)
      request.then((token) => { clearTimeout(timer); resolve(token) }, (err: unknown) => { clearTimeout(timer); reject(err) })
    })
  }

  #createEntry (opts: GetTokenOptions | undefined): Entry {
    const scopes = toScopeSet(opts?.scopes)
    const resource = opts?.resource
    checkResource(resource)
    const key = scopes.join(' ')
    let byKey = this.#entries.get(resource ?? '')
    if (byKey === undefined) this.#entries.set(resource ?? '', byKey = new Map())
    const existing = byKey.get(key)
    if (existing !== undefined) return existing
    // No secret in the key; the store adds its own prefix.
    const storeKey = createHash('sha256')
      .update(JSON.stringify([this.#endpoint.href, this.#clientId, this.#authMethod, key, resource ?? null]))
      .digest('hex')
    const entry: Entry = {
      key,
      resourceKey: resource ?? '',
      scopes,
      resource,
      storeKey,
      token: undefined,
      promise: undefined,
      usableUntil: 0,
      fresh: false,
      freshTimer: undefined,
      refreshAt: 0,
      lifetime: undefined,
      lastAccessToken: undefined,
      used: false,
      inflight: undefined,
      timer: undefined,
      failure: undefined,
      penalty: 0,
      refreshFailures: 0,
      shrinkWarned: false,
      rejected: undefined,
      uncachedAt: 0,
      evicted: false
    }
    byKey.set(key, entry)
    this.#order.add(entry)
    if (this.#order.size > this.#opt.maxEntries) this.#evictOldest()
    return entry
  }

  /** Keeps maxEntries: drops the entry fetched least recently (scope sets built from request data churn it). */
  #evictOldest (): void {
    const oldest = this.#order.values().next().value as Entry
    this.#order.delete(oldest)
    const byKey = this.#entries.get(oldest.resourceKey)
    byKey?.delete(oldest.key)
    if (byKey?.size === 0) this.#entries.delete(oldest.resourceKey)
    oldest.evicted = true
    this.#drop(oldest, false)
    const now = Date.now()
    if (now - this.#evictionWarnedAt >= EVICTION_WARN_INTERVAL) {
      this.#evictionWarnedAt = now
      this.#log.warn({ maxEntries: this.#opt.maxEntries, evicted: { scopes: oldest.scopes, resource: oldest.resource } },
        'the token cache is full: dropping the least recently fetched token (are scope sets built from request data?)')
    }
  }

  #start (entry: Entry, background: boolean): Promise<AppToken> {
    const promise = this.#acquire(entry, background).then(
      (token) => {
        entry.inflight = undefined
        entry.failure = undefined
        entry.penalty = 0
        entry.refreshFailures = 0
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

  async #acquire (entry: Entry, background: boolean): Promise<AppToken> {
    const shared = this.#shared
    if (shared === undefined) return await this.#fetchAndInstall(entry, background)
    const key = entry.storeKey
    let stored = await shared.get(key)
    let locked: boolean | undefined = false
    // A second round: when the holder died or failed, its waiters take the lock
    // once more rather than all fetching at once.
    for (let round = 0; round < 2 && locked === false; round++) {
      if (this.#worthAdopting(entry, stored, background)) return this.#adopt(entry, stored)
      locked = await shared.lock(key, this.#owner, this.#opt.lockTtl)
      if (locked === true) {
        // The last holder may have stored its token between our read and our lock.
        stored = await shared.get(key)
        if (this.#worthAdopting(entry, stored, background)) {
          void shared.unlock(key, this.#owner)
          return this.#adopt(entry, stored)
        }
      } else if (locked === false) {
        // Another holder is fetching: wait for its token. A refresh waits no longer
        // than the current token lasts, so callers never queue behind it.
        const patience = background ? Math.max(100, Math.min(this.#opt.lockTtl, entry.usableUntil - Date.now())) : this.#opt.lockTtl
        stored = await shared.waitFor(key, patience)
      }
    }
    if (locked === false && this.#worthAdopting(entry, stored, background)) return this.#adopt(entry, stored)
    let token: AppToken
    try {
      token = await this.#fetchAndInstall(entry, background)
    } catch (err) {
      if (locked === true) void shared.unlock(entry.storeKey, this.#owner)
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
      void shared.set(entry.storeKey, value, entry.usableUntil - Date.now())
        .then(() => (locked === true ? shared.unlock(entry.storeKey, this.#owner) : undefined))
    } else if (locked === true) {
      void shared.unlock(entry.storeKey, this.#owner)
    }
    return token
  }

  #worthAdopting (entry: Entry, stored: StoredToken | undefined, background: boolean): stored is StoredToken {
    if (stored === undefined || stored.accessToken === entry.rejected) return false
    const now = Date.now()
    if (stored.usableUntil <= now) return false
    // A refresh wants a newer token than the one it holds.
    return !background || (stored.accessToken !== entry.token?.accessToken && stored.refreshAt > now)
  }

  #adopt (entry: Entry, stored: StoredToken): AppToken {
    const token = new AppToken({ accessToken: stored.accessToken, tokenType: stored.tokenType, scopes: stored.scopes, expiresAt: stored.expiresAt })
    const now = Date.now()
    const usableUntil = Math.min(stored.usableUntil, now + this.#opt.maxLifetime * 1000)
    this.#install(entry, token, usableUntil, Math.min(usableUntil, Math.max(stored.refreshAt, now + MIN_REFRESH_INTERVAL)))
    this.#log.debug({ scopes: entry.scopes, resource: entry.resource, fingerprint: token.fingerprint, expiresAt: token.expiresAt },
      'app token taken from the shared store')
    return token
  }

  async #fetchAndInstall (entry: Entry, background: boolean): Promise<AppToken> {
    // Tokens that cannot be cached would otherwise be fetched back to back.
    const floor = entry.uncachedAt + MIN_REFRESH_INTERVAL - Date.now()
    if (floor > 0) await this.#sleep(floor)
    const fetched = await this.#fetchWithRetry(entry)
    const { token } = fetched
    if (fetched.missingScopes.length > 0) {
      if (this.#opt.onScopeNarrowed === 'error') throw new ScopeNarrowedError(fetched.requestedScopes, token.scopes)
      this.#log.warn({ requested: fetched.requestedScopes, granted: token.scopes, missing: fetched.missingScopes },
        'the token endpoint granted fewer scopes than requested')
    }
    const now = Date.now()
    const logFields = {
      scopes: token.scopes,
      resource: entry.resource,
      fingerprint: token.fingerprint,
      expiresAt: token.expiresAt,
      expiresIn: fetched.expiresIn,
      lifetimeFrom: fetched.lifetimeSource
    }
    this.#lifetimeWarnings(fetched, logFields)
    const lifetime = (fetched.usableUntil - fetched.sentAt) / 1000
    // Compared with the previous fetch (1.5 s of slack: JWT exp is rounded to the second).
    const shrank = entry.lifetime !== undefined && (token.accessToken === entry.lastAccessToken || lifetime < entry.lifetime - 1.5)
    if (shrank && !entry.shrinkWarned) {
      this.#log.warn({ ...logFields, previousLifetime: entry.lifetime, lifetime },
        'token lifetime shrinks from fetch to fetch (the server reuses tokens?); refreshing only when the token runs out')
    }
    entry.shrinkWarned = shrank
    entry.lifetime = lifetime
    entry.lastAccessToken = token.accessToken
    if (fetched.usableUntil <= now) {
      // expires_in 0 or negative (or too short to use): for the callers waiting now, never cached.
      if (entry.uncachedAt === 0) {
        this.#log.warn(logFields, 'the token endpoint issued a token that is already expired or too short-lived to cache; not caching it')
      }
      entry.uncachedAt = now
      return token
    }
    // A server reusing its token: refreshing early would only fetch it again.
    const refreshAt = shrank ? fetched.usableUntil : Math.max(refreshPoint(fetched.sentAt, fetched.usableUntil), now + MIN_REFRESH_INTERVAL)
    entry.uncachedAt = 0
    this.#install(entry, token, fetched.usableUntil, refreshAt)
    const message = background ? 'app token refreshed' : 'app token fetched'
    const fields = { ...logFields, usableUntil: new Date(entry.usableUntil), refreshAt: entry.timer !== undefined ? new Date(refreshAt) : null }
    if (background) this.#log.debug(fields, message)
    else this.#log.info(fields, message)
    return token
  }

  #lifetimeWarnings (fetched: FetchedToken, logFields: Record<string, unknown>): void {
    if (fetched.clamped && !this.#warned.has('clamped')) {
      this.#warned.add('clamped')
      this.#log.warn({ ...logFields, maxLifetime: this.#opt.maxLifetime },
        'the token lifetime is longer than maxLifetime; it is cached for maxLifetime only')
    }
    const ignored = fetched.expIgnored
    if (ignored !== undefined && !this.#warned.has(ignored.reason)) {
      this.#warned.add(ignored.reason)
      this.#log.warn({ ...logFields, exp: ignored.exp, maxLifetime: this.#opt.maxLifetime },
        `the access token's exp is ${ignored.reason} (in milliseconds?); it is ignored`)
    }
  }

  async #fetchWithRetry (entry: Entry): Promise<FetchedToken> {
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new ClosedError('the token cache is closed')
      this.#fetches++
      try {
        return await fetchToken({
          tokenEndpoint: this.#endpoint,
          clientId: this.#clientId,
          clientSecret: this.#secret,
          authMethod: this.#authMethod,
          scopes: entry.scopes,
          ...(entry.resource !== undefined ? { resource: entry.resource } : {}),
          dispatcher: this.#dispatcher,
          timeout: this.#opt.timeout,
          maxResponseBytes: this.#opt.maxResponseBytes,
          defaultLifetime: this.#opt.defaultLifetime,
          clockSkew: this.#opt.clockSkew,
          maxLifetime: this.#opt.maxLifetime,
          onScopeNarrowed: 'warn',
          ...(this.#opt.scopeHint !== undefined ? { scopeHint: this.#opt.scopeHint } : {}),
          signal: this.#abort.signal
        })
      } catch (caught) {
        this.#failures++
        if (this.#closed) throw new ClosedError('the token cache is closed')
        const err = caught instanceof AppTokenError ? caught : new NetworkError('token request failed', { transient: true, cause: caught })
        this.#lastError = { code: err.code, message: err.message, at: new Date() }
        if (err.error === 'invalid_client') this.#invalidClient()
        if (!err.transient || attempt >= this.#opt.retries) throw err
        let delay = backoffDelay(attempt, this.#opt.minDelay, this.#opt.maxDelay)
        if (err.retryAfter !== undefined) {
          if (err.retryAfter * 1000 > this.#opt.maxDelay) throw err // the caller learns retryAfter; get() holds off until then
          delay = Math.max(delay, err.retryAfter * 1000)
        }
        this.#log.warn({ ...errorFields(err), attempt: attempt + 1, retryIn: delay }, 'token request failed; retrying')
        await this.#sleep(delay)
      }
    }
  }

  #onFailure (entry: Entry, caught: unknown, background: boolean): unknown {
    if (!(caught instanceof AppTokenError) || caught instanceof ClosedError) return caught
    const err = caught
    this.#lastError = { code: err.code, message: err.message, at: new Date() }
    const now = Date.now()
    if (!err.transient) {
      // Permanent: answer get() with it for a growing while so a hot path cannot hammer the endpoint.
      entry.penalty = Math.min(PENALTY_MAX, entry.penalty === 0 ? PENALTY_FIRST : entry.penalty * 2)
      entry.failure = { error: err, until: now + entry.penalty }
    } else {
      // Transient, retries spent: a short pause (or the server's Retry-After) before the next round.
      entry.failure = { error: err, until: now + (err.retryAfter !== undefined ? err.retryAfter * 1000 : this.#opt.maxDelay) }
    }
    const stillValid = entry.token !== undefined && now < entry.usableUntil
    if (background && stillValid) {
      this.#log.warn({ ...errorFields(err), usableUntil: new Date(entry.usableUntil) },
        'background token refresh failed; serving the current token while it lasts')
      // Try again before the token runs out: sooner for short tokens, never in a tight loop.
      entry.refreshFailures++
      const remaining = entry.usableUntil - now
      const delay = Math.max(Math.min(remaining / 2, PENALTY_FIRST * 2 ** (entry.refreshFailures - 1), PENALTY_MAX), 100)
      const at = Math.max(now + delay, entry.failure?.until ?? 0)
      this.#schedule(entry, at)
    } else {
      this.#log.error(errorFields(err), 'could not get an app token')
    }
    return err
  }

  #install (entry: Entry, token: AppToken, usableUntil: number, refreshAt: number): void {
    if (entry.evicted) return
    // Refreshed: now the newest (a Set keeps insertion order).
    this.#order.delete(entry)
    this.#order.add(entry)
    entry.token = token
    entry.promise = Promise.resolve(token)
    entry.usableUntil = usableUntil
    // The last quarter of the usable time is checked against the clock on every hit; before it, only a
    // single event-loop turn longer than that quarter could hand the token out past usableUntil.
    clearTimeout(entry.freshTimer)
    entry.fresh = true
    entry.freshTimer = setTimeout(() => { entry.fresh = false }, Math.min(MAX_TIMER, 0.75 * (usableUntil - Date.now())))
    entry.freshTimer.unref()
    entry.used = false
    entry.rejected = undefined
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
    if (this.#closed || entry.inflight !== undefined || !entry.used) return
    void this.#start(entry, true)
  }

  #drop (entry: Entry, invalidated: boolean): void {
    clearTimeout(entry.timer)
    entry.timer = undefined
    if (invalidated && entry.token !== undefined) entry.rejected = entry.token.accessToken
    entry.token = undefined
    entry.promise = undefined
    entry.usableUntil = 0
    entry.fresh = false
    clearTimeout(entry.freshTimer)
  }

  #invalidClient (): void {
    try {
      this.#opt.onInvalidClient?.()
    } catch (err) {
      this.#log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'onInvalidClient threw')
    }
  }

  /** A pause between attempts; it keeps the process alive (a caller waits on it), close() ends it. */
  #sleep (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleep = { timer: setTimeout(() => { this.#sleeps.delete(sleep); resolve() }, ms), resolve }
      this.#sleeps.add(sleep)
    })
  }
}

function errorFields (err: AppTokenError): Record<string, unknown> {
  return {
    code: err.code,
    status: err.status,
    error: err.error,
    error_description: err.error_description,
    hint: err.hint,
    transient: err.transient,
    retryAfter: err.retryAfter,
    reason: err.message
  }
}

/** Sorted, unique and joinable: its join is the key of exactly this set. */
function sortedUnique (scopes: readonly string[]): boolean {
  if (!joinable(scopes[0])) return false
  for (let i = 1; i < scopes.length; i++) if (!joinable(scopes[i]) || !((scopes[i - 1] as string) < (scopes[i] as string))) return false
  return true
}

/** A scope that cannot make a key collide with another set's: ['a b'] must not find the entry of ['a', 'b']. */
function joinable (scope: unknown): scope is string {
  return typeof scope === 'string' && scope !== '' && !scope.includes(' ')
}

function sameElements (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function positive (name: string, value: number | undefined, fallback: number, max = Number.MAX_VALUE): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0) || !(value <= max)) {
    throw new InvalidOptionError(`${name} must be a positive number${max < Number.MAX_VALUE ? ` ≤ ${Math.floor(max)}` : ''}`)
  }
  return value
}

function positiveInteger (name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`${name} must be a whole number ≥ 1`)
  return value
}

function nonNegative (name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new InvalidOptionError(`${name} must be a number ≥ 0`)
  return value
}
