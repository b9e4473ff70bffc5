// Reads the token endpoint's answer: a successful response (RFC 6749 §5.1)
// or a typed error for everything else (§5.2 bodies, HTML pages, empty or
// malformed bodies, 5xx/429, redirects).
import { USER_SCOPES_NOTE } from '../../service/policy/rules/scope-messages.js'
import type { ProviderError, ProviderProfile } from '../../service/policy/providers/index.js'
import type { AuthMethod } from '../../service/policy/types.js'
import { BadResponseError, HttpError, OAuthError, RedirectError } from './errors.js'
import { invalidClientHint } from './client-auth.js'
import { parseScopeValue } from './jwt.js'
import { readQuota, waitAfter429, type Quota } from './quota.js'
import { parseRetryAfter } from './retry.js'
import { serverWords, type ServerWords } from './server-words.js'

const capOnly = serverWords([])

export interface TokenFields {
  accessToken: string
  tokenType: string
  expiresIn?: number
  /** The response's `scope`, when present. */
  scopes?: string[]
  /** Seconds after which the server asks to refresh (Entra's `refresh_in`, earlier than expires_in). */
  refreshIn?: number
  /** The provider's token quota, when the answer reports one (Auth0). */
  quota?: Quota
}

export interface ResponseContext {
  /** The scopes that were sent (for the invalid_scope hint). */
  scopes: readonly string[]
  authMethod: AuthMethod
  scopeHint?: ((scopes: readonly string[]) => string | undefined) | undefined
  /** Cleans what the server says before it is kept (default: capped only). */
  words?: ServerWords
  /** Reads the provider's own error answers (docs/providers.md); generic or absent: RFC 6749 only. */
  profile?: ProviderProfile
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/**
 * Non-standard codes some servers send, read as the RFC 6749 §5.2 code they mean.
 * A Map: the server's words are never looked up on an object (`constructor`, `__proto__`).
 */
const STANDARD_CODES = new Map([
  ['scope_invalid', 'invalid_scope'],
  ['invalid_scopes', 'invalid_scope'],
  ['client_invalid', 'invalid_client'],
  ['unauthorised_client', 'unauthorized_client'],
  ['grant_type_unsupported', 'unsupported_grant_type'],
  ['request_invalid', 'invalid_request']
])

/** RFC 6749 §5.2 codes that no retry can fix. */
const PERMANENT_CODES = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'])

/** §5.2 codes that say "try again later" (borrowed from §4.1.2.1 by many servers; RFC 9449 §8: a nonce answered twice, the next attempt uses the newer one). */
const TRANSIENT_CODES = new Set(['server_error', 'temporarily_unavailable', 'slow_down', 'use_dpop_nonce'])

export function readTokenResponse (res: RawResponse, ctx: ResponseContext): TokenFields {
  const { status } = res
  const words = ctx.words ?? capOnly
  if (status >= 300 && status < 400) {
    const found = locationOf(res.headers.location)
    const location = found === undefined ? undefined : words(found)
    throw new RedirectError(`token endpoint answered ${status} redirect${location ? ` to ${location}` : ''}; redirects are not followed`, {
      status,
      hint: 'Set tokenEndpoint to the final URL of the token endpoint (following a redirect could send the credentials elsewhere).'
    })
  }
  const json = parseJson(res.body)
  const quota = readQuota(res.headers)
  if (json !== undefined && typeof json.error === 'string') throw oauthError(status, json, res.headers, ctx, words, quota)
  if (status === 401 || status === 403) {
    if (res.body.trim() === '' || status === 401) throw oauthError(status, { error: 'invalid_client' }, res.headers, ctx, words, quota)
  }
  if (status === 429 || status >= 500) {
    const retryAfter = waitFor(status, res.headers, quota)
    throw new HttpError(`token endpoint answered ${status}${describeBody(res, words)}${quotaNote(quota)}`, {
      status,
      transient: true,
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(quota !== undefined ? { quota } : {}),
      hint: providerError(ctx, status, json)?.hint ??
        (status === 429 ? 'The token endpoint is rate limiting this client.' : 'The token endpoint failed; it is retried with backoff.')
    })
  }
  if (status < 200 || status >= 300) {
    throw new BadResponseError(`token endpoint answered ${status}${describeBody(res, words)}, not an RFC 6749 §5.2 error body`, {
      status,
      hint: 'Check that tokenEndpoint is the token endpoint itself (not the issuer, a login page or a gateway).'
    })
  }
  if (json === undefined) {
    throw new BadResponseError(`token endpoint answered ${status}${describeBody(res, words)}, not a JSON object (RFC 6749 §5.1)`, {
      status,
      hint: 'Check that tokenEndpoint is the token endpoint itself (not the issuer, a login page or a gateway).'
    })
  }
  const fields = tokenFields(status, json)
  if (quota !== undefined) fields.quota = quota
  return fields
}

/** Retry-After; after a 429 also the quota's reset or x-ratelimit-reset (quota.ts). */
function waitFor (status: number, headers: RawResponse['headers'], quota: Quota | undefined): number | undefined {
  return status === 429 ? waitAfter429(headers, quota) : parseRetryAfter(headers['retry-after'])
}

function quotaNote (quota: Quota | undefined): string {
  return quota === undefined || quota.remaining > 0
    ? ''
    : ` (token quota ${quota.bucket} of ${quota.limit} used up until ${quota.resetAt.toISOString()})`
}

function tokenFields (status: number, json: Record<string, unknown>): TokenFields {
  const bad = (what: string): BadResponseError => new BadResponseError(`token endpoint answered ${status} with ${what} (RFC 6749 §5.1)`, { status })
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, scope } = json
  if (typeof accessToken !== 'string' || accessToken === '') throw bad('no access_token')
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType === '')) throw bad('an invalid token_type')
  const fields: TokenFields = {
    accessToken,
    // token_type is case-insensitive (§5.1); a missing one is read as Bearer, as most clients do.
    tokenType: tokenType === undefined || tokenType.toLowerCase() === 'bearer' ? 'Bearer' : tokenType.toLowerCase() === 'dpop' ? 'DPoP' : tokenType
  }
  if (expiresIn !== undefined && expiresIn !== null) {
    const seconds = typeof expiresIn === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(expiresIn) ? Number(expiresIn) : expiresIn
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw bad('an expires_in that is not a number')
    fields.expiresIn = seconds
  }
  const scopes = parseScopeValue(scope)
  if (scopes !== undefined) fields.scopes = scopes
  // Entra's proactive refresh hint (MSAL's "refresh_in"): a positive number of seconds, else ignored.
  const refreshIn = json.refresh_in
  if (typeof refreshIn === 'number' && Number.isFinite(refreshIn) && refreshIn > 0) fields.refreshIn = refreshIn
  return fields
}

/** The provider profile's reading of an answer; none for generic, whose reading is RFC 6749's below. */
function providerError (ctx: ResponseContext, status: number, json: Record<string, unknown> | undefined): ProviderError | null {
  return ctx.profile === undefined || ctx.profile.name === 'generic' ? null : ctx.profile.readError(status, json)
}

function oauthError (status: number, json: Record<string, unknown>, headers: RawResponse['headers'], ctx: ResponseContext, words: ServerWords, quota: Quota | undefined): OAuthError {
  const serverError = words(String(json.error))
  const read = providerError(ctx, status, json)
  // The provider's code for what it means (Auth0's 403 access_denied "not been granted scopes" is invalid_scope).
  const code = read !== null ? words(read.error) : serverError
  const error = STANDARD_CODES.get(code.toLowerCase()) ?? code.toLowerCase()
  const description = typeof json.error_description === 'string' ? words(json.error_description) : undefined
  const named = typeof json.scope === 'string' ? words(json.scope) : undefined
  const retryAfter = waitFor(status, headers, quota)
  // A 429 means "later" whatever its body says (RFC 6585 §4); a 5xx unless its code is one no retry can fix.
  const transient = status === 429 || TRANSIENT_CODES.has(error) || (status >= 500 && !PERMANENT_CODES.has(error))
  const shown = serverError === error ? error : `${serverError} (read as ${error})`
  return new OAuthError(`token endpoint answered ${status} ${shown}${description !== undefined ? `: ${description}` : ''}${quotaNote(quota)}`, {
    status,
    error,
    ...(serverError !== error ? { serverError } : {}),
    ...(description !== undefined ? { error_description: description } : {}),
    transient,
    ...(retryAfter !== undefined ? { retryAfter } : {}),
    ...(quota !== undefined ? { quota } : {}),
    ...(read?.providerCode !== undefined ? { providerCode: words(read.providerCode) } : {}),
    hint: read === null ? hintFor(error, description, named, ctx) : providerHint(error, read.hint, named, ctx)
  })
}

/**
 * The profile's console page; for invalid_scope also what was sent and what the policy allows;
 * for invalid_client first the credentials hint every provider shares (docs/providers.md).
 */
function providerHint (error: string, consolePage: string, scope: string | undefined, ctx: ResponseContext): string {
  if (error === 'invalid_client') return `${invalidClientHint(ctx.authMethod, BASIC_ENCODING)} Where: ${consolePage}.`
  if (error !== 'invalid_scope') return `${consolePage}.`
  return `${sentScopes(scope, ctx)} ${consolePage}.${ctx.scopeHint?.(ctx.scopes) !== undefined ? ` ${ctx.scopeHint(ctx.scopes)}` : ''}`
}

function sentScopes (scope: string | undefined, ctx: ResponseContext): string {
  const sent = ctx.scopes.length === 0 ? 'no scope' : `scope "${ctx.scopes.join(' ')}"`
  return `Sent ${sent}.${scope !== undefined ? ` The server named: "${scope}".` : ''}`
}

const BASIC_ENCODING = 'Some servers do not decode form-encoded Basic credentials (RFC 6749 §2.3.1), which matters ' +
  'when the id or secret holds characters such as : + / = % &; authMethod \'client_secret_post\' avoids the question.'

function hintFor (error: string, description: string | undefined, scope: string | undefined, ctx: ResponseContext): string {
  switch (error) {
    case 'invalid_scope': {
      const policy = ctx.scopeHint?.(ctx.scopes) ??
        `Scopes are case-sensitive and must be whitelisted for this client in the provider's portal; ${USER_SCOPES_NOTE}.`
      return `${sentScopes(scope, ctx)} ${policy}`
    }
    case 'invalid_client':
      return invalidClientHint(ctx.authMethod, BASIC_ENCODING)
    case 'invalid_request':
      if (description !== undefined && /content.?type|urlencoded|json|form/i.test(description)) {
        return 'The request is sent as application/x-www-form-urlencoded (RFC 6749 §4.4.2); ' +
          'if the server still complains about the body, something between (a proxy or gateway) rewrites it.'
      }
      if (description !== undefined && /authori[sz]ation|encod|credential/i.test(description)) {
        return 'The server could not read the client credentials. Client ids and secrets are limited to printable ASCII ' +
          '(RFC 6749 Appendix A). ' + BASIC_ENCODING
      }
      return 'The server found the request malformed: check the resource (RFC 8707) and scope values.'
    case 'unauthorized_client':
    case 'unsupported_grant_type':
      return 'The client is not allowed the client_credentials grant (RFC 6749 §4.4): enable it for the app in the provider\'s portal.'
    case 'invalid_grant':
      return 'The server refused the grant: check that the client is enabled and allowed the client_credentials grant.'
    default:
      return 'See the server\'s error_description.'
  }
}

function parseJson (body: string): Record<string, unknown> | undefined {
  if (body.trim() === '') return undefined
  try {
    const value: unknown = JSON.parse(body)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

function describeBody (res: RawResponse, words: ServerWords): string {
  const length = Buffer.byteLength(res.body)
  if (length === 0) return ' with an empty body'
  const type = res.headers['content-type']
  return ` with a ${length}-byte ${typeof type === 'string' ? words(type.split(';')[0]!) : 'untyped'} body`
}

function locationOf (value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return undefined
  try {
    const url = new URL(text, 'http://relative.invalid')
    return url.host === 'relative.invalid' ? url.pathname : `${url.origin}${url.pathname}`
  } catch {
    return undefined
  }
}
