// TypeScript declaration merging for the default name `appToken`. A second
// registration under another name declares its own (see docs/plugin.md, "Two upstream APIs").
import type { Dispatcher, RequestInfo, RequestInit, Response } from 'undici'
import type { AppToken } from './token/app-token.js'
import type { TokenStats } from './token/cache.js'

/** Scopes as an array or a space-delimited string (docs/policy-files.md). */
export type Scopes = readonly string[] | string

/** The arguments of `app.appToken.get()` and `invalidate()`: scopes replace the defaults (RFC 6749 §3.3), `resource` per RFC 8707. */
export interface AppTokenRequestOptions {
  /** Replace the default scopes (array or space-delimited string). */
  scopes?: string[] | string
  /** RFC 8707 resource; default: the option `resource` or the policy entry's. Another must be allowed (`resources`). */
  resource?: string
  /** The `audience` form parameter; default: the option `audience` or the policy entry's. Another must be allowed (`audiences`). */
  audience?: string
}

/** `app.appToken.dispatcher(options)`: the token request's options and the origins that get the token. */
export interface AppTokenDispatcherOptions extends AppTokenRequestOptions {
  /** `https://host[:port]` (`http:` only on loopback); default: the plugin's `origins`. */
  origins?: string[]
}

/** `app.appToken`: tokens for background jobs, upstream 401s and health checks. */
export interface AppTokenDecorator {
  /** A valid token; scopes are checked first, and a violation rejects without any request. */
  get (options?: AppTokenRequestOptions): Promise<AppToken>
  /**
   * Drops cached tokens, e.g. after an upstream 401: without an argument every
   * token of this registration, else the one of these scopes (default scopes
   * when `scopes` is omitted) and resource. With `token` (the token the upstream
   * API refused), only that token, and only while it is still the cached one:
   * the late 401s of other requests that held it do not drop its successor.
   * The next get() fetches once for all waiters.
   */
  invalidate (options?: AppTokenRequestOptions & { token?: AppToken }): void
  /** Fetches, failures, waits, last error and the cached entries (no token in it). */
  stats (): TokenStats
  /**
   * An undici Dispatcher that puts the token on requests to `origins` (never to another
   * origin, nor across a redirect to one) and, after a 401, sends the request once more
   * with a fresh token (docs/plugin.md, "Calling the API"). One per options, made once;
   * app.close() closes it. Throws ScopePolicyError for scopes the policy refuses.
   */
  dispatcher (options?: AppTokenDispatcherOptions): Dispatcher
  /**
   * undici's fetch through dispatcher(options) with the plugin's origins. A string, Buffer or
   * URLSearchParams body is sent again on the retry; a stream body is not (the 401 is returned).
   * A Request or FormData must come from undici, not Node's globals. When no token can be had,
   * rejects with an AppTokenError safe to let reach a reply (503, the token error's code, Retry-After,
   * no token-endpoint words; the token error is its `cause`); fetch's TypeError when the call fails.
   */
  fetch (input: RequestInfo, init?: RequestInit, options?: AppTokenRequestOptions): Promise<Response>
}

/** `config: { appToken: ... }` of a route. */
export type AppTokenRouteConfig = boolean | AppTokenRequestOptions

declare module 'fastify' {
  interface FastifyRequest {
    /** The route's app token; null on routes that need none (typed non-null, like @fastify/jwt's user). */
    appToken: AppToken
  }
  interface FastifyInstance {
    appToken: AppTokenDecorator
  }
  interface FastifyContextConfig {
    appToken?: AppTokenRouteConfig
  }
}
