// Expiry arithmetic (docs/token-core.md). Expiry counts from the moment the request was
// sent: servers stamp `exp` at issue time rounded down to the second, so the
// real expiry can fall up to 1 s before "send time + expires_in".

export interface LifetimeInput {
  /** Epoch ms when the token request was sent. */
  sentAt: number
  /** `expires_in` seconds as received (RFC 6749 §5.1), if any. */
  expiresIn?: number
  /** Epoch ms the answer arrived (default sentAt): the server issued the token before it. */
  receivedAt?: number
  /** The JWT access token's `exp` (epoch seconds, RFC 9068), if any: unverified, so it can only shorten. */
  jwtExp?: number
  /** Seconds assumed when neither `expires_in` nor `exp` is known. */
  defaultLifetime: number
  /** Seconds kept in reserve before expiry; capped at 10 % of the lifetime. */
  clockSkew: number
  /** Seconds no lifetime may exceed; an `exp` further out is ignored. */
  maxLifetime: number
}

export interface Lifetime {
  /** Epoch ms of the server's expiry as best known. */
  expiresAt: number
  /** Epoch ms after which the token must not be handed out. Not after sentAt: do not cache. */
  usableUntil: number
  source: 'expires_in' | 'jwt' | 'default'
  /** Why the JWT `exp` was not used, when it was present and out of bounds. */
  expIgnored?: 'not after the send time' | 'beyond maxLifetime'
  /** True when the lifetime was longer than maxLifetime and was cut to it. */
  clamped: boolean
}

/** Share of a lifetime kept as skew at most, so short tokens stay usable. */
const MAX_SKEW_SHARE = 0.1

export function tokenLifetime (input: LifetimeInput): Lifetime {
  const { sentAt, expiresIn, jwtExp } = input
  if (expiresIn !== undefined && expiresIn <= 0) {
    // Already expired by the server's own word: handed out once, never cached.
    return { expiresAt: sentAt + expiresIn * 1000, usableUntil: sentAt, source: 'expires_in', clamped: false }
  }
  const maxMs = input.maxLifetime * 1000
  let expiresAt: number
  let source: Lifetime['source']
  if (expiresIn !== undefined) {
    expiresAt = sentAt + (expiresIn - 1) * 1000 // -1 s: integer rounding of the issue time
    source = 'expires_in'
  } else {
    expiresAt = sentAt + input.defaultLifetime * 1000
    source = 'default'
  }
  let expIgnored: Lifetime['expIgnored']
  if (jwtExp !== undefined) {
    // Unverified: `exp` counts only within (sentAt, receivedAt + maxLifetime] (an exp in ms lands far
    // beyond; a full-length token issued while the request was in flight does not), and only to
    // shorten expires_in; without expires_in it is the "other means" of RFC 6749 §5.1.
    const exp = jwtExp * 1000
    if (exp <= sentAt) expIgnored = 'not after the send time'
    else if (exp > (input.receivedAt ?? sentAt) + maxMs) expIgnored = 'beyond maxLifetime'
    else if (source === 'default' || exp < expiresAt) {
      expiresAt = exp
      source = 'jwt'
    }
  }
  // Strictly longer only; also keeps expiresAt a valid Date (expires_in 1e306 is Infinity in ms).
  const clamped = !(expiresAt - sentAt <= maxMs)
  if (clamped) expiresAt = sentAt + maxMs
  const lifetime = Math.max(0, expiresAt - sentAt)
  const skew = Math.min(input.clockSkew * 1000, lifetime * MAX_SKEW_SHARE)
  return { expiresAt, usableUntil: expiresAt - skew, source, clamped, ...(expIgnored !== undefined ? { expIgnored } : {}) }
}

/**
 * Background refresh point: 75–85 % of the usable lifetime after sending, or the server's
 * `refresh_in` (seconds after sending, Entra) when that is earlier.
 */
export function refreshPoint (sentAt: number, usableUntil: number, random: () => number = Math.random, refreshIn?: number): number {
  const computed = sentAt + (usableUntil - sentAt) * (0.75 + 0.1 * random())
  return refreshIn === undefined ? computed : Math.min(computed, sentAt + refreshIn * 1000)
}
