// Reads the claims of a JWT access token (RFC 9068) without verifying it: the
// client only needs `scope` and `exp` to know what it holds and until when.
export interface AccessTokenClaims {
  /** Granted scopes from the `scope` claim (RFC 9068 §2.2.3), or `scp` as some servers send it. */
  scopes?: string[]
  /** `exp` in epoch seconds. */
  exp?: number
  /** The `roles` claim: Entra's application permissions (docs/providers.md). */
  roles?: string[]
}

export function decodeJwtClaims (token: string): AccessTokenClaims | undefined {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second < 0 || token.indexOf('.', second + 1) !== -1) return undefined
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined
  const { scope, scp, exp, roles } = payload as Record<string, unknown>
  const claims: AccessTokenClaims = {}
  const scopes = parseScopeValue(scope) ?? parseScopeValue(scp)
  if (scopes !== undefined) claims.scopes = scopes
  if (typeof exp === 'number' && Number.isFinite(exp)) claims.exp = exp
  if (Array.isArray(roles)) claims.roles = roles.filter((r): r is string => typeof r === 'string')
  return claims
}

/** A space-delimited scope string (RFC 6749 §3.3), or an array of them as some servers send. */
export function parseScopeValue (value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '')
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value.flatMap((s: string) => s.split(' ')).filter((s) => s !== '')
  return undefined
}
