// Scope rules shared by the loader (whitelist keys) and the check (requested scopes).

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * Scopes that only mean something for a user's token (OpenID Connect Core §5.4, §11).
 * A client_credentials token acts as the app itself (RFC 6749 §4.4), so servers reject them.
 */
export const USER_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'offline_access',
  'profile',
  'email',
  'address',
  'phone',
])

export function isScopeToken (s: string): boolean {
  return SCOPE_TOKEN.test(s)
}

/**
 * `read:a,read:b` → `['read:a', 'read:b']`; null without a comma. A comma is legal in a
 * scope-token, but in practice it is always a list written in the wrong syntax (§3.3 uses spaces).
 */
export function commaListParts (s: string): string[] | null {
  if (!s.includes(',')) return null
  return s.split(',').filter((p) => p.length > 0)
}

export function hasWildcard (s: string): boolean {
  return s.includes('*')
}
