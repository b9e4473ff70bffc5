// The token core's options, checked in one place for fetchToken and TokenCache
// (docs/token-core.md): defaults filled in, every failure an InvalidOptionError
// that names the option.
import type { Dispatcher } from 'undici'
import { authMethodProblem, DEFAULT_AUTH_METHOD } from '../../service/policy/rules/auth-method.js'
import { PROFILES, profileOf, type ProviderProfile } from '../../service/policy/providers/index.js'
import type { AuthMethod, ProviderName } from '../../service/policy/types.js'
import { checkTlsDispatcher, resolveClientAuth, type ClientAuth, type ClientAuthOptions } from './client-auth.js'
import { InvalidOptionError, invalidOption } from './errors.js'
import { parseTokenEndpoint } from './endpoint.js'
import { resolveDpop, type DpopOption, type DpopSettings } from './dpop.js'
import type { TokenLogger } from './logger.js'
import type { TokenMetrics } from './metrics.js'
import type { SharedTokenStore } from './shared-store.js'

export type { ClientSecret } from './client-auth.js'

/** What one token request needs: the options fetchToken and TokenCache share. */
export interface TokenRequestOptions extends ClientAuthOptions {
  tokenEndpoint: string | URL
  clientId: string
  /** Default 'client_secret_basic'. The credential options it needs: docs/token-core.md. */
  authMethod?: AuthMethod
  /** ms bound on one attempt (resolving the secret or key, connect, headers, body). Default 10000. */
  timeout?: number
  /** Default 65536. */
  maxResponseBytes?: number
  /** Seconds assumed when the response has no expires_in. Default 300. */
  defaultLifetime?: number
  /** Seconds kept in reserve before expiry, capped at 10 % of the lifetime. Default 5. */
  clockSkew?: number
  /** Seconds no token lifetime may exceed (longer ones are cut, with a warning). Default 86400, at most 2147483 (setTimeout's limit). */
  maxLifetime?: number
  /** Default 'error': ScopeNarrowedError when fewer scopes are granted than requested. */
  onScopeNarrowed?: 'error' | 'warn'
  /** Policy text for the invalid_scope hint. */
  scopeHint?: (scopes: readonly string[]) => string | undefined
  /** Whose rules the request and the answer follow (docs/providers.md). Default 'generic': RFC 6749 only. */
  provider?: ProviderName
  /** Roles the token's JWT `roles` claim must hold (Entra, the policy's `roles:`); a missing one is a narrowing. */
  expectedRoles?: readonly string[]
  /** DPoP (RFC 9449): sender-constrained tokens. true: a fresh ES256 key for this process; or the key (docs/dpop.md). Default off. */
  dpop?: DpopOption
}

export interface FetchTokenOptions extends TokenRequestOptions {
  scopes?: readonly string[]
  /** RFC 8707 resource indicator. */
  resource?: string
  /** Sent as the `audience` form parameter (Auth0 and others; docs/providers.md). */
  audience?: string
  /** Default: undici's global dispatcher (with tls: an Agent for this request). Not with tls. */
  dispatcher?: Dispatcher
  signal?: AbortSignal
}

export interface TokenCacheOptions extends TokenRequestOptions {
  /** Default: a dedicated keep-alive Agent (with the tls client certificate), closed by close(). Not with tls. */
  dispatcher?: Dispatcher
  store?: SharedTokenStore
  /** Default: silent. */
  logger?: TokenLogger
  /** ms one get() waits at most, retries included; then a transient TimeoutError while the request goes on. Default 10000. */
  maxWait?: number
  /** Transient failures: retries (default 2), backoff from minDelay (100 ms) up to maxDelay (2000 ms). */
  retry?: { retries?: number; minDelay?: number; maxDelay?: number }
  /** Called on invalid_client (e.g. to re-read a rotated secret or key file). */
  onInvalidClient?: () => void
  /** ms bound on each shared-store call. Default 1000. */
  storeTimeout?: number
  /** Entries (scope set, resource) kept at most; the least recently fetched goes first. Default 1000. */
  maxEntries?: number
  /** OpenTelemetry metrics: `await tokenMetrics(name)`. Default: none. */
  metrics?: TokenMetrics

  // The shared store's refresh lock (docs/redis.md).
  /** ms of the refresh lock's lease, renewed every third of it while the fetch runs. Default min(5000, maxWait / 2); at most maxWait / 2. */
  lockTtl?: number
}

export const DEFAULTS = {
  authMethod: DEFAULT_AUTH_METHOD,
  timeout: 10_000,
  maxWait: 10_000,
  maxResponseBytes: 64 * 1024,
  defaultLifetime: 300,
  clockSkew: 5,
  maxLifetime: 86_400,
  retries: 2,
  minDelay: 100,
  maxDelay: 2000,
  storeTimeout: 1000,
  maxEntries: 1000,
  lockTtl: 5000
}

/** setTimeout's limit (ms): a refresh timer must fit, so maxLifetime does too. */
export const MAX_TIMER = 2 ** 31 - 1

export interface ResolvedRequestOptions {
  tokenEndpoint: URL
  clientId: string
  clientAuth: ClientAuth
  authMethod: AuthMethod
  timeout: number
  maxResponseBytes: number
  defaultLifetime: number
  clockSkew: number
  maxLifetime: number
  onScopeNarrowed: 'error' | 'warn'
  scopeHint: ((scopes: readonly string[]) => string | undefined) | undefined
  profile: ProviderProfile
  expectedRoles: readonly string[]
  /** The DPoP key, allowBearer and the servers' nonces; undefined without DPoP. */
  dpop: DpopSettings | undefined
}

export interface ResolvedCacheOptions extends ResolvedRequestOptions {
  maxWait: number
  retries: number
  minDelay: number
  maxDelay: number
  storeTimeout: number
  maxEntries: number
  onInvalidClient: (() => void) | undefined
  lockTtl: number
}

/** The options that tune a cache without naming the endpoint or the client: what the plugin passes through. */
export const CACHE_TUNING = ['dispatcher', 'store', 'onScopeNarrowed', 'defaultLifetime', 'clockSkew', 'maxLifetime', 'timeout', 'maxWait',
  'maxResponseBytes', 'retry', 'storeTimeout', 'maxEntries', 'onInvalidClient',
  // The shared store's lease.
  'lockTtl'] as const

export type CacheTuning = Pick<TokenCacheOptions, typeof CACHE_TUNING[number]>

type RequestTuning = Omit<ResolvedRequestOptions, 'tokenEndpoint' | 'clientId' | 'clientAuth' | 'authMethod' | 'scopeHint' | 'profile' | 'expectedRoles' | 'dpop'>
type Tuning = RequestTuning & Omit<ResolvedCacheOptions, keyof ResolvedRequestOptions>

export function resolveRequestOptions (options: TokenRequestOptions, who: string): ResolvedRequestOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(`${who} needs an options object`)
  const tokenEndpoint = parseTokenEndpoint(options.tokenEndpoint)
  if (typeof options.clientId !== 'string' || options.clientId === '') throw invalidOption('clientId', 'must be a non-empty string')
  const authMethod = options.authMethod ?? DEFAULTS.authMethod
  const authProblem = authMethodProblem(authMethod)
  if (authProblem !== null) throw new InvalidOptionError(authProblem, { option: 'authMethod' })
  const clientAuth = resolveClientAuth(options, authMethod, tokenEndpoint)
  if (options.scopeHint !== undefined && typeof options.scopeHint !== 'function') throw invalidOption('scopeHint', 'must be a function')
  const { provider, expectedRoles = [] } = options
  if (provider !== undefined && !Object.hasOwn(PROFILES, provider)) throw invalidOption('provider', `must be one of ${Object.keys(PROFILES).join(', ')}`)
  if (!Array.isArray(expectedRoles) || !expectedRoles.every((r) => typeof r === 'string')) throw invalidOption('expectedRoles', 'must be an array of role names')
  return {
    tokenEndpoint,
    clientId: options.clientId,
    clientAuth,
    authMethod,
    scopeHint: options.scopeHint,
    profile: profileOf(provider),
    expectedRoles,
    dpop: resolveDpop(options.dpop),
    ...requestTuning(options)
  }
}

export function resolveCacheOptions (options: TokenCacheOptions): ResolvedCacheOptions {
  const request = resolveRequestOptions(options, 'TokenCache')
  checkTlsDispatcher(request.clientAuth, options.dispatcher)
  return { ...request, ...cacheTuning(options) }
}

/** The tuning options checked alone, so the plugin can report them before it knows the endpoint. */
export function resolveTuning (options: CacheTuning): Tuning {
  return { ...requestTuning(options), ...cacheTuning(options) }
}

/** The options only a cache has (retries, store, bounds); the request's own are checked with the request. */
function cacheTuning (options: CacheTuning): Omit<Tuning, keyof RequestTuning> {
  const { dispatcher, store, onInvalidClient } = options
  if (dispatcher !== undefined && typeof (dispatcher as Partial<Dispatcher>)?.dispatch !== 'function') {
    throw invalidOption('dispatcher', 'must be an undici Dispatcher (Agent, Pool, ProxyAgent)')
  }
  if (store !== undefined && !STORE_METHODS.every((method) => typeof (store as unknown as Record<string, unknown>)?.[method] === 'function')) {
    throw invalidOption('store', 'must be a SharedTokenStore, e.g. redisStore({ url }) from fastify-app-token/redis')
  }
  if (onInvalidClient !== undefined && typeof onInvalidClient !== 'function') throw invalidOption('onInvalidClient', 'must be a function')
  const { retry } = options
  if (retry !== undefined && (retry === null || typeof retry !== 'object' || Object.keys(retry).some((key) => !RETRY_KEYS.includes(key)))) {
    throw invalidOption('retry', 'must be { retries?, minDelay?, maxDelay? } (ms)')
  }
  const minDelay = positive('retry.minDelay', options.retry?.minDelay, DEFAULTS.minDelay)
  const maxWait = positive('maxWait', options.maxWait, DEFAULTS.maxWait)
  return {
    maxWait,
    retries: wholeNumber('retry.retries', options.retry?.retries, DEFAULTS.retries, 0),
    minDelay,
    maxDelay: Math.max(minDelay, positive('retry.maxDelay', options.retry?.maxDelay, DEFAULTS.maxDelay)),
    storeTimeout: positive('storeTimeout', options.storeTimeout, DEFAULTS.storeTimeout),
    maxEntries: wholeNumber('maxEntries', options.maxEntries, DEFAULTS.maxEntries, 1),
    onInvalidClient,
    lockTtl: leaseOf(options.lockTtl, maxWait)
  }
}

/** The lease: a waiter must see it lapse, and take over, within its caller's maxWait. */
function leaseOf (value: unknown, maxWait: number): number {
  const lease = positive('lockTtl', value, Math.min(DEFAULTS.lockTtl, maxWait / 2))
  if (lease > maxWait / 2) throw invalidOption('lockTtl', `must be at most maxWait / 2 (${maxWait / 2} ms with maxWait ${maxWait} ms): lower lockTtl or raise maxWait`)
  return lease
}

const STORE_METHODS = ['get', 'set', 'lock', 'unlock', 'waitFor', 'close']
const RETRY_KEYS = ['retries', 'minDelay', 'maxDelay']

function requestTuning (options: TokenRequestOptions | CacheTuning): RequestTuning {
  const onScopeNarrowed = options.onScopeNarrowed ?? 'error'
  if (onScopeNarrowed !== 'error' && onScopeNarrowed !== 'warn') throw invalidOption('onScopeNarrowed', 'must be \'error\' or \'warn\'')
  return {
    timeout: positive('timeout', options.timeout, DEFAULTS.timeout),
    maxResponseBytes: positive('maxResponseBytes', options.maxResponseBytes, DEFAULTS.maxResponseBytes),
    defaultLifetime: positive('defaultLifetime', options.defaultLifetime, DEFAULTS.defaultLifetime),
    clockSkew: nonNegative('clockSkew', options.clockSkew, DEFAULTS.clockSkew),
    maxLifetime: positive('maxLifetime', options.maxLifetime, DEFAULTS.maxLifetime, MAX_TIMER / 1000),
    onScopeNarrowed
  }
}

/** A number in (0, max]; the bound shows in the message only when there is one. */
export function positive (name: string, value: unknown, fallback: number, max = Number.MAX_VALUE): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value > 0) || !(value <= max)) {
    throw invalidOption(name, `must be a positive number${max < Number.MAX_VALUE ? ` ≤ ${Math.floor(max)}` : ''}`)
  }
  return value
}

function nonNegative (name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw invalidOption(name, 'must be a number ≥ 0')
  return value
}

function wholeNumber (name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min) throw invalidOption(name, `must be a whole number ≥ ${min}`)
  return value as number
}
