// Typed errors of the token core (@fastify/error). Each carries a stable
// `code` (FST_APP_TOKEN_*), whether retrying can help (`transient`) and, where
// there was an answer, the token endpoint's status and words (RFC 6749 §5.2).
// No secret and no token ever goes into a message or field.
import createError from '@fastify/error'
import type { Quota } from './quota.js'

/** The fields every `AppTokenError` may carry: the OAuth `error` (RFC 6749 §5.2), status, hint, whether it is transient. Never a secret. */
export interface AppTokenErrorDetails {
  /** HTTP status of the token endpoint's answer, when there was one. */
  status?: number
  /** RFC 6749 §5.2 `error`, read as the standard code (`scope_invalid` → `invalid_scope`). */
  error?: string
  /** The server's `error` verbatim, when it differs from `error`. */
  serverError?: string
  /** RFC 6749 §5.2 `error_description`, verbatim. */
  error_description?: string
  /** What a person can do about it. */
  hint?: string
  /** The provider's own code when it has one, e.g. Entra's `AADSTS1002012` (docs/providers.md). */
  providerCode?: string
  /** True when trying again later can succeed (network, timeout, 5xx, 429). */
  transient?: boolean
  /** Seconds the server asked us to wait (Retry-After; after a 429 also a quota's reset). */
  retryAfter?: number
  /** The provider's token quota as the answer reported it (Auth0's quota headers, docs/providers.md). */
  quota?: Quota
  /** The option at fault (InvalidOptionError). */
  option?: string
  cause?: unknown
}

/**
 * Base of every token-core error: `err instanceof AppTokenError` matches them all.
 * Never constructed directly (the @fastify/error constructors set its fields).
 */
export class AppTokenError extends Error {
  declare code: string
  declare statusCode: number
  declare status?: number
  declare error?: string
  declare serverError?: string
  declare error_description?: string
  declare hint?: string
  declare providerCode?: string
  declare transient: boolean
  declare retryAfter?: number
  declare quota?: Quota
  declare option?: string
}

type Ctor<C extends string> = new (message: string, options?: { cause: unknown }) => AppTokenError & { code: C }

/** An AppTokenError class with this code (the plugin's own errors are made with it too). */
export function errorClass<C extends string> (code: C, statusCode: number) {
  // statusCode is what Fastify would answer if the error reached a reply:
  // 503 for "no token to be had", 500 for a misconfiguration.
  const Base = createError(code, '%s', statusCode, AppTokenError as unknown as ErrorConstructor) as unknown as Ctor<C>
  return class extends Base {
    constructor (message: string, details: AppTokenErrorDetails = {}) {
      if (details.cause !== undefined) super(message, { cause: details.cause })
      else super(message)
      this.transient = details.transient ?? false
      if (details.status !== undefined) this.status = details.status
      if (details.error !== undefined) this.error = details.error
      if (details.serverError !== undefined) this.serverError = details.serverError
      if (details.error_description !== undefined) this.error_description = details.error_description
      if (details.hint !== undefined) this.hint = details.hint
      if (details.providerCode !== undefined) this.providerCode = details.providerCode
      if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter
      if (details.quota !== undefined) this.quota = details.quota
      if (details.option !== undefined) this.option = details.option
    }
  }
}

/** The token endpoint answered with an RFC 6749 §5.2 error body (any status, 200 included). */
export class OAuthError extends errorClass('FST_APP_TOKEN_OAUTH_ERROR', 503) {}

/**
 * The server granted fewer scopes than were requested (RFC 6749 §5.1 `scope`, RFC 9068 `scope` claim),
 * or (Entra) the token's `roles` claim lacks roles the policy lists (docs/providers.md).
 */
export class ScopeNarrowedError extends errorClass('FST_APP_TOKEN_SCOPE_NARROWED', 503) {
  readonly requested: string[]
  readonly granted: string[]
  /** Policy roles the token's `roles` claim does not hold (Entra); empty otherwise. */
  readonly missingRoles: string[]
  constructor (requested: string[], granted: string[], missingRoles: string[] = [], consoleHint?: string) {
    const missing = requested.filter((s) => !granted.includes(s))
    const what = [
      ...(missing.length > 0 ? [`fewer scopes than requested: missing ${missing.join(' ')}`] : []),
      ...(missingRoles.length > 0 ? [`a token without the roles ${missingRoles.join(' ')} that the policy lists`] : [])
    ]
    super(
      `the token endpoint granted ${what.join('; and ')}`,
      {
        hint: 'The scopes whitelisted for this client in the provider\'s portal and the policy have drifted: ' +
          'whitelist the missing scopes for the client (scopes are case-sensitive), or stop requesting them.' +
          (consoleHint !== undefined ? ` Where: ${consoleHint}.` : '')
      }
    )
    this.requested = requested
    this.granted = granted
    this.missingRoles = missingRoles
  }
}

/** A 2xx answer that is not a usable RFC 6749 §5.1 body, or a 4xx that is not a §5.2 body. */
export class BadResponseError extends errorClass('FST_APP_TOKEN_BAD_RESPONSE', 503) {}

/** The answer was larger than `maxResponseBytes`; reading stopped there. */
export class ResponseTooLargeError extends errorClass('FST_APP_TOKEN_RESPONSE_TOO_LARGE', 503) {}

/** The token endpoint answered with a redirect (3xx): redirects are never followed. */
export class RedirectError extends errorClass('FST_APP_TOKEN_REDIRECT', 503) {}

/** Connection refused, reset, DNS failure: no answer at all. */
export class NetworkError extends errorClass('FST_APP_TOKEN_NETWORK', 503) {}

/** No complete answer within `timeout`. */
export class TimeoutError extends errorClass('FST_APP_TOKEN_TIMEOUT', 503) {}

/** 5xx or 429 without a §5.2 body. */
export class HttpError extends errorClass('FST_APP_TOKEN_HTTP', 503) {}

/** An `http:` token endpoint whose host is not loopback. */
export class InsecureEndpointError extends errorClass('FST_APP_TOKEN_INSECURE_ENDPOINT', 500) {}

/** An option (or a get() argument) that cannot work. */
export class InvalidOptionError extends errorClass('FST_APP_TOKEN_INVALID_OPTION', 500) {}

/** "`option` `problem`", the option named on the error: the plugin reports it as its own option. */
export function invalidOption (option: string, problem: string): InvalidOptionError {
  return new InvalidOptionError(`${option} ${problem}`, { option })
}

/** The clientSecret function threw or returned something other than a non-empty string. */
export class SecretUnavailableError extends errorClass('FST_APP_TOKEN_SECRET_UNAVAILABLE', 503) {}

/** get() after close(). */
export class ClosedError extends errorClass('FST_APP_TOKEN_CLOSED', 503) {}

/**
 * DPoP (RFC 9449) was asked for but the server answered a token that is not DPoP-bound
 * (`token_type` other than `DPoP`, §5), or `proof()` was called on a Bearer token. Never retried.
 */
export class DpopNotBoundError extends errorClass('FST_APP_TOKEN_DPOP_NOT_BOUND', 503) {}
