// The token handed to callers. The access token sits in a private field so
// JSON, util.inspect, spreading and logging never show it.
import { createHash } from 'node:crypto'
import { inspect } from 'node:util'

/** A short sha256 prefix of the token: enough to tell tokens apart in logs, useless to an attacker. */
export function tokenFingerprint (accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('hex').slice(0, 12)
}

export interface AppTokenInit {
  accessToken: string
  tokenType: string
  scopes: string[]
  /** The JWT `roles` claim; default empty (not a readable JWT). */
  roles?: string[]
  expiresAt: Date | number
}

/**
 * An access token as handed out (RFC 6749 §5.1): `authorization` is the header value
 * (`Bearer …`, RFC 6750 §2.1), `scopes` what was granted (§3.3), `expiresAt` the expiry as best
 * known. The token itself never shows in `JSON.stringify`, `util.inspect`, spreads or logs: only
 * its type, scopes, roles, expiry and a {@link tokenFingerprint}.
 *
 * @example
 * ```ts
 * const token = await cache.get({ scopes: ['read:interaction'] })
 * await fetch(url, { headers: { authorization: token.authorization } })
 * console.log(token) // AppToken { tokenType: 'Bearer', scopes: [...], fingerprint: '…' }: no token
 * ```
 */
export class AppToken {
  readonly #accessToken: string
  readonly #authorization: string
  readonly tokenType: string
  /** Granted scopes. */
  readonly scopes: string[]
  /** The JWT `roles` claim (Entra's application permissions); empty when the token is not a readable JWT. */
  readonly roles: string[]
  /** The server's expiry as best known. */
  readonly expiresAt: Date

  /** @internal Made by the token core. */
  constructor (init: AppTokenInit) {
    this.#accessToken = init.accessToken
    this.tokenType = init.tokenType
    this.#authorization = `${init.tokenType} ${init.accessToken}`
    this.scopes = Object.freeze([...init.scopes]) as string[]
    this.roles = Object.freeze([...init.roles ?? []]) as string[]
    this.expiresAt = new Date(init.expiresAt)
    Object.freeze(this)
  }

  get accessToken (): string { return this.#accessToken }

  /** The Authorization header value, e.g. `Bearer …` (RFC 6750 §2.1). */
  get authorization (): string { return this.#authorization }

  /** sha256 prefix of the token, for logs. */
  get fingerprint (): string { return tokenFingerprint(this.#accessToken) }

  /** What `JSON.stringify` shows: everything but the token. */
  toJSON (): { tokenType: string; scopes: string[]; roles: string[]; expiresAt: string; fingerprint: string } {
    return { tokenType: this.tokenType, scopes: this.scopes, roles: this.roles, expiresAt: this.expiresAt.toISOString(), fingerprint: this.fingerprint }
  }

  /** What `util.inspect` and `console.log` show: everything but the token. */
  [inspect.custom] (_depth: number, options: Parameters<typeof inspect>[1]): string {
    return `AppToken ${inspect(this.toJSON(), options)}`
  }
}
