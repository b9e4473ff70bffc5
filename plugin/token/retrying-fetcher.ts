// Token requests with retries (docs/token-core.md, "Failures"): transient
// failures retried with backoff and full jitter, Retry-After honoured within
// maxDelay; counts what it sent for stats(). One request per attempt is
// fetch-token's job; reusing tokens is the cache's.
import type { Dispatcher } from 'undici'
import { AppTokenError, ClosedError, NetworkError } from './errors.js'
import { requestToken, type FetchedToken } from './fetch-token.js'
import { errorFields, type TokenLogger } from './logger.js'
import { outcomeOf, type TokenMetrics } from './metrics.js'
import type { ResolvedCacheOptions } from './options.js'
import { backoffDelay } from './retry.js'
import type { LastError } from './stats.js'

export class RetryingFetcher {
  /** Token requests sent (retries included), and failed. */
  fetches = 0
  failures = 0
  lastError: LastError | null = null
  readonly #opt: ResolvedCacheOptions
  /** Narrowed scopes come back for the cache to judge (it warns or fails per onScopeNarrowed). */
  readonly #request: ResolvedCacheOptions
  readonly #dispatcher: Dispatcher
  readonly #log: TokenLogger
  readonly #metrics: TokenMetrics
  readonly #abort = new AbortController()
  readonly #sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>()

  constructor (options: ResolvedCacheOptions, dispatcher: Dispatcher, log: TokenLogger, metrics: TokenMetrics) {
    this.#opt = options
    this.#request = { ...options, onScopeNarrowed: 'warn' }
    this.#dispatcher = dispatcher
    this.#log = log
    this.#metrics = metrics
  }

  get closed (): boolean { return this.#abort.signal.aborted }

  /** A token, retries included; its duration and each request's outcome go to the metrics (not when cut short by close()). */
  async fetch (scopes: string[], resource: string | undefined, audience: string | undefined): Promise<FetchedToken> {
    const started = performance.now()
    try {
      const fetched = await this.#attempts(scopes, resource, audience)
      this.#metrics.fetched((performance.now() - started) / 1000, 'ok')
      return fetched
    } catch (err) {
      if (!(err instanceof ClosedError)) this.#metrics.fetched((performance.now() - started) / 1000, outcomeOf(err as AppTokenError))
      throw err
    }
  }

  async #attempts (scopes: string[], resource: string | undefined, audience: string | undefined): Promise<FetchedToken> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new ClosedError('the token cache is closed')
      this.fetches++
      try {
        const fetched = await requestToken(this.#request, { scopes, resource, audience, dispatcher: this.#dispatcher, signal: this.#abort.signal })
        this.#metrics.request('ok')
        return fetched
      } catch (caught) {
        this.failures++
        if (this.closed) throw new ClosedError('the token cache is closed')
        const err = caught instanceof AppTokenError ? caught : new NetworkError('token request failed', { transient: true, cause: caught })
        this.#metrics.request(outcomeOf(err))
        this.noteError(err)
        if (err.error === 'invalid_client') this.#invalidClient()
        // A used-up quota (Auth0's r=0) comes back only at its reset: not retried, get() holds off until then.
        if (!err.transient || attempt >= this.#opt.retries || err.quota?.remaining === 0) throw err
        let delay = backoffDelay(attempt, this.#opt.minDelay, this.#opt.maxDelay)
        if (err.retryAfter !== undefined) {
          if (err.retryAfter * 1000 > this.#opt.maxDelay) throw err // the caller learns retryAfter; get() holds off until then
          delay = Math.max(delay, err.retryAfter * 1000)
        }
        this.#log.warn({ ...errorFields(err), attempt: attempt + 1, retryIn: delay }, 'token request failed; retrying')
        await this.sleep(delay)
      }
    }
  }

  noteError (err: AppTokenError): void {
    this.lastError = { code: err.code, message: err.message, at: new Date() }
  }

  /** A pause between attempts; it keeps the process alive (a caller waits on it), close() ends it. */
  sleep (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleep = { timer: setTimeout(() => { this.#sleeps.delete(sleep); resolve() }, ms), resolve }
      this.#sleeps.add(sleep)
    })
  }

  /** Aborts the request in flight and ends every pause. */
  close (): void {
    this.#abort.abort()
    for (const sleep of this.#sleeps) { clearTimeout(sleep.timer); sleep.resolve() }
    this.#sleeps.clear()
  }

  #invalidClient (): void {
    try {
      this.#opt.onInvalidClient?.()
    } catch (err) {
      this.#log.warn({ reason: err instanceof Error ? err.message : String(err) }, 'onInvalidClient threw')
    }
  }
}
