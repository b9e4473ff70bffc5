// Turns one token answer into a verify status (docs/verify.md, "What each status means").
import type { TokenFetchFailure, TokenGrant } from './fetcher.js'
import type { VerifyResult, VerifyStatus } from './types.js'

type Outcome = Pick<VerifyResult, 'status' | 'granted' | 'grantedFrom' | 'missing' | 'extra' | 'message'> &
  Partial<Pick<VerifyResult, 'roles' | 'error' | 'error_description' | 'fingerprint'>>

export interface Entry {
  clientId: string
  /** `file:line` of the whitelist, where a reviewer edits it. */
  whitelistAt: string
  /** The variable(s) the credential came from. */
  secretFrom: string
  /** The entry asks for DPoP-bound tokens (`dpop: true`). */
  dpop: boolean
}

const list = (scopes: readonly string[]): string => scopes.join(' ')

/** A token came back: compare what it carries with the whitelist. */
export function classifyGrant (
  grant: TokenGrant,
  diff: { missing: string[]; extra: string[] },
  entry: Entry
): Outcome {
  const base = {
    granted: grant.scopes,
    grantedFrom: grant.grantedFrom,
    fingerprint: grant.fingerprint,
    ...(grant.roles !== undefined ? { roles: grant.roles } : {}),
  }
  if (grant.grantedFrom === 'none') {
    return {
      ...base,
      status: 'unverified',
      missing: [],
      extra: [],
      message: `token ${grant.fingerprint} issued, but the server said nothing of what it granted (no scope in the answer, no readable JWT): compare the client's grants in the provider's portal with ${entry.whitelistAt} by hand`,
    }
  }
  const { missing, extra } = diff
  if (missing.length > 0) {
    const also = extra.length > 0 ? `; it also grants ${list(extra)}, which the policy does not list` : ''
    return {
      ...base,
      status: 'narrowed',
      missing,
      extra,
      message: `the portal does not grant ${list(missing)} to client ${entry.clientId}${also}: whitelist them for the client in the provider's portal (scopes are case-sensitive), or remove them from ${entry.whitelistAt}`,
    }
  }
  if (extra.length > 0) {
    return {
      ...base,
      status: 'widened',
      missing,
      extra,
      message: `the token carries ${list(extra)}, which the policy does not list (least privilege broken): remove them from client ${entry.clientId} in the provider's portal, or add them with a reason to ${entry.whitelistAt}`,
    }
  }
  return { ...base, status: 'ok', missing, extra, message: `granted exactly the whitelist (${grant.grantedFrom === 'jwt' ? 'read from the JWT' : 'the answer\'s scope'}; token ${grant.fingerprint})` }
}

const INVALID_CLIENT = new Set(['invalid_client', 'unauthorized_client'])

/** Codes of the token core that mean: no usable answer came back. */
const NO_ANSWER = new Set([
  'FST_APP_TOKEN_NETWORK', 'FST_APP_TOKEN_TIMEOUT', 'FST_APP_TOKEN_HTTP', 'FST_APP_TOKEN_REDIRECT',
  'FST_APP_TOKEN_BAD_RESPONSE', 'FST_APP_TOKEN_RESPONSE_TOO_LARGE',
])

function statusOf (failure: TokenFetchFailure): VerifyStatus {
  if (failure.error !== undefined && INVALID_CLIENT.has(failure.error)) return 'invalid_client'
  // 5xx and 429 come as transient errors, with or without an RFC 6749 §5.2 body.
  if (failure.transient === true || (failure.code !== undefined && NO_ANSWER.has(failure.code))) return 'unreachable'
  // A dpop: true entry answered with a Bearer token: the portal does not bind the client's tokens (RFC 9449 §5).
  if (failure.error !== undefined || failure.code === 'FST_APP_TOKEN_DPOP_NOT_BOUND') return 'refused'
  // Anything else kept the request from being made or read (a bad option): nothing was verified.
  return 'unreachable'
}

function refusalAdvice (failure: TokenFetchFailure, entry: Entry): string {
  if (failure.error === 'invalid_scope') return `a whitelisted scope is not granted to client ${entry.clientId} in the provider's portal; grant it or remove it from ${entry.whitelistAt}`
  // RFC 9449 §5: the client requires DPoP-bound tokens (Okta's "Require DPoP header in token requests").
  if (failure.error === 'invalid_dpop_proof' && !entry.dpop) return `client ${entry.clientId} requires DPoP-bound tokens: add dpop: true to its entry (${entry.whitelistAt})`
  if (failure.code === 'FST_APP_TOKEN_DPOP_NOT_BOUND') return `turn on DPoP-bound tokens for client ${entry.clientId} in the provider's portal, or remove dpop: true from its entry (${entry.whitelistAt})`
  return 'read the server\'s words above'
}

/** The request failed (after its retry, when one was allowed). */
export function classifyFailure (failure: TokenFetchFailure, requests: number, entry: Entry): Outcome {
  const status = statusOf(failure)
  const words = {
    ...(failure.error !== undefined ? { error: failure.error } : {}),
    ...(failure.error_description !== undefined ? { error_description: failure.error_description } : {}),
  }
  const said = `${failure.error ?? ''}${failure.error_description !== undefined ? `: ${failure.error_description}` : ''}`
  const message = status === 'invalid_client'
    ? `the server rejected the client (${said}): check the credential in ${entry.secretFrom}, the clientId and the authMethod, and that the client may use client_credentials`
    : status === 'refused'
      ? `the server refused the request (${said === '' ? failure.message : said}): ${refusalAdvice(failure, entry)}`
      : `${failure.message}${requests > 1 ? ` (after ${requests} requests)` : ''}${failure.retryAfter !== undefined && requests === 1 ? ` (the server asked to wait ${failure.retryAfter} s: not retried)` : ''}`
  return { status, granted: [], grantedFrom: 'none', missing: [], extra: [], ...words, message }
}
