// OpenTelemetry metrics of a token cache (docs/metrics.md, "Plugin metrics"):
// recorded through @opentelemetry/api when it can be imported (an optional
// peer), a no-op otherwise and until the host installs an SDK. The cache
// counts are read from stats() when the SDK collects: nothing is recorded per get().
import { createRequire } from 'node:module'
import type { Attributes, BatchObservableCallback, Counter, Histogram, Meter, Observable } from '@opentelemetry/api'
import { InvalidOptionError, TimeoutError, type AppTokenError } from './errors.js'
import type { TokenStats } from './stats.js'

/** The closed set of `outcome` values of app_token.requests and app_token.refresh.duration. */
export type RequestOutcome = 'ok' | 'invalid_client' | 'invalid_scope' | 'error' | 'transient' | 'timeout'

/** What a cache reports to; made by tokenMetrics(), passed as TokenCache's `metrics` option. */
export interface TokenMetrics {
  /** One token request (one attempt) ended. */
  request (outcome: RequestOutcome): void
  /** One token fetch (its retries and pauses included) ended after `seconds`. */
  fetched (seconds: number, outcome: RequestOutcome): void
  /** A shared-store call failed or timed out. */
  storeError (): void
  /** Reports the cache's counts and expiry at each collection; the returned function stops it (close()). */
  observe (stats: () => TokenStats): () => void
}

const METER = 'fastify-app-token'
/** Seconds: a token request takes milliseconds; with retries and their pauses, seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

type Api = typeof import('@opentelemetry/api')
let api: Promise<Api | undefined> | undefined

/** The API, or undefined when the host has not installed it: then no metrics. */
function loadApi (): Promise<Api | undefined> {
  api ??= import('@opentelemetry/api').then((loaded) => loaded, () => undefined)
  return api
}

/**
 * The OpenTelemetry metrics for a cache whose attribute `name` is this (the plugin's `name`).
 * The meter is taken from the global MeterProvider now: install the SDK before.
 */
export async function tokenMetrics (name: string): Promise<TokenMetrics> {
  const loaded = await loadApi()
  if (loaded === undefined) return NO_METRICS
  const version = (createRequire(import.meta.url)('fastify-app-token/package.json') as { version: string }).version
  return new OtelMetrics(loaded.metrics.getMeter(METER, version), name)
}

export const NO_METRICS: TokenMetrics = {
  request () {},
  fetched () {},
  storeError () {},
  observe: () => () => {}
}

/** The `metrics` option: only what tokenMetrics() made (its methods are the cache's to call). */
export function checkMetrics (value: unknown): TokenMetrics | undefined {
  if (value === undefined || value === NO_METRICS || value instanceof OtelMetrics) return value as TokenMetrics | undefined
  throw new InvalidOptionError('metrics must be what tokenMetrics(name) resolves to', { option: 'metrics' })
}

/** RFC 6749 §5.2 codes worth an outcome of their own; the rest are `error` or `transient`. */
export function outcomeOf (err: AppTokenError): RequestOutcome {
  if (err instanceof TimeoutError) return 'timeout'
  if (err.error === 'invalid_client' || err.error === 'invalid_scope') return err.error
  return err.transient ? 'transient' : 'error'
}

class OtelMetrics implements TokenMetrics {
  readonly #meter: Meter
  readonly #name: Attributes
  /** Attributes per outcome, made once: nothing is allocated per request. */
  readonly #outcomes = new Map<RequestOutcome, Attributes>()
  readonly #requests: Counter
  readonly #duration: Histogram
  readonly #storeErrors: Counter
  readonly #observables: { hits: Observable; misses: Observable; waits: Observable; expiresIn: Observable; quotaRemaining: Observable }
  /** Attributes per quota bucket, made once. */
  readonly #buckets = new Map<string, Attributes>()

  constructor (meter: Meter, name: string) {
    this.#meter = meter
    this.#name = { name }
    this.#requests = meter.createCounter('app_token.requests', { unit: '{request}', description: 'Token requests sent to the token endpoint (retries included), by outcome' })
    this.#duration = meter.createHistogram('app_token.refresh.duration', {
      unit: 's',
      description: 'Time a token fetch takes, its retries and their pauses included, by outcome',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS }
    })
    this.#storeErrors = meter.createCounter('app_token.store.errors', { unit: '{error}', description: 'Shared token store calls that failed or timed out' })
    this.#observables = {
      hits: meter.createObservableCounter('app_token.cache.hits', { unit: '{call}', description: 'get() calls answered with a cached token' }),
      misses: meter.createObservableCounter('app_token.cache.misses', { unit: '{call}', description: 'get() calls that found no usable cached token' }),
      waits: meter.createObservableCounter('app_token.cache.waits', { unit: '{call}', description: 'get() calls that waited for a token request' }),
      expiresIn: meter.createObservableGauge('app_token.expires_in', { unit: 's', description: 'Seconds until the soonest-expiring usable cached token expires' }),
      // Attribute `bucket` beside `name`: the provider's quota buckets (Auth0: per_hour, per_day).
      quotaRemaining: meter.createObservableGauge('app_token.quota.remaining', { unit: '{token}', description: 'Tokens left in the provider\'s token quota bucket, as its last answer reported (Auth0)' })
    }
  }

  request (outcome: RequestOutcome): void {
    this.#requests.add(1, this.#attributes(outcome))
  }

  fetched (seconds: number, outcome: RequestOutcome): void {
    this.#duration.record(seconds, this.#attributes(outcome))
  }

  storeError (): void {
    this.#storeErrors.add(1, this.#name)
  }

  observe (stats: () => TokenStats): () => void {
    const { hits, misses, waits, expiresIn, quotaRemaining } = this.#observables
    const name = this.#name
    const callback: BatchObservableCallback = (result) => {
      const now = stats()
      result.observe(hits, now.hits, name)
      result.observe(misses, now.misses, name)
      result.observe(waits, now.waits, name)
      const soonest = soonestExpiry(now, Date.now())
      if (soonest !== undefined) result.observe(expiresIn, soonest, name)
      for (const [bucket, remaining] of lowestQuotas(now)) result.observe(quotaRemaining, remaining, this.#bucket(bucket))
    }
    const observables = Object.values(this.#observables)
    this.#meter.addBatchObservableCallback(callback, observables)
    // The callback holds the cache: removed, it lets a closed cache go.
    return () => this.#meter.removeBatchObservableCallback(callback, observables)
  }

  #bucket (bucket: string): Attributes {
    let attributes = this.#buckets.get(bucket)
    if (attributes === undefined) this.#buckets.set(bucket, attributes = { ...this.#name, bucket })
    return attributes
  }

  #attributes (outcome: RequestOutcome): Attributes {
    let attributes = this.#outcomes.get(outcome)
    if (attributes === undefined) this.#outcomes.set(outcome, attributes = { ...this.#name, outcome })
    return attributes
  }
}

/** Seconds until the soonest server expiry among the tokens still handed out; undefined when none is. */
function soonestExpiry (stats: TokenStats, now: number): number | undefined {
  let soonest: number | undefined
  for (const entry of stats.entries) {
    if (entry.expiresAt === null || entry.usableUntil === null || entry.usableUntil.getTime() <= now) continue
    const at = entry.expiresAt.getTime()
    if (soonest === undefined || at < soonest) soonest = at
  }
  return soonest === undefined ? undefined : (soonest - now) / 1000
}

/** Per quota bucket, the fewest tokens left any entry's last answer reported. */
function lowestQuotas (stats: TokenStats): Map<string, number> {
  const lowest = new Map<string, number>()
  for (const { quota } of stats.entries) {
    if (quota === null) continue
    const seen = lowest.get(quota.bucket)
    if (seen === undefined || quota.remaining < seen) lowest.set(quota.bucket, quota.remaining)
  }
  return lowest
}
