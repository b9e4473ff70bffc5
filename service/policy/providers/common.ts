// Pieces every provider profile reads with: RFC 6749 §5.2 error bodies, §5.1 granted scopes.
import type { Violation } from '../types.js'
import type { Grant, GrantReading } from './profile.js'

export interface OAuthErrorBody {
  error: string
  error_description?: string
}

/** RFC 6749 §5.2: `{ error, error_description? }`; null for any other body. */
export function oauthErrorBody (body: unknown): OAuthErrorBody | null {
  if (typeof body !== 'object' || body === null) return null
  const { error, error_description: description } = body as Record<string, unknown>
  if (typeof error !== 'string' || error === '') return null
  return typeof description === 'string' ? { error, error_description: description } : { error }
}

/**
 * RFC 6749 §5.1: the response's `scope` is the granted set; left out, it equals the request.
 * Extra granted scopes are not a narrowing.
 */
export function scopeGrant ({ requested, scope }: Grant): GrantReading {
  if (scope === undefined) return { missingScopes: [], missingRoles: [] }
  const granted = new Set(scope.split(' '))
  return { missingScopes: requested.filter((s) => !granted.has(s)), missingRoles: [] }
}

export function providerRule (scope: string, rule: string, message: string, suggestion?: string): Violation {
  return {
    scope,
    code: 'provider_rule',
    message: `${message} (rule ${rule})`,
    ...(suggestion !== undefined ? { suggestion } : {}),
  }
}

/** The URL, or null when it does not parse (the token-endpoint rule reports that). */
export function parseUrl (value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}
