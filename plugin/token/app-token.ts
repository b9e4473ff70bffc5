// The token handed to callers. The access token sits in a private field so
// JSON, util.inspect, spreading and logging never show it.
import { createHash } from 'node:crypto'
import { inspect } from 'node:util'
import type { DpopKey, ProofRequest } from './dpop.js'
import { DpopNotBoundError } from './errors.js'

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
  /** The DPoP key the token was asked with; kept only when `tokenType` is `DPoP` (RFC 9449 §5). */
  dpop?: DpopKey | undefined
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
  readonly #dpop: DpopKey | undefined
  /** `Bearer`, or `DPoP` for a token bound to the `dpop` key (RFC 9449 §5); other types as the server spelt them. */
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
    this.#dpop = init.tokenType === 'DPoP' ? init.dpop : undefined
    this.scopes = Object.freeze([...init.scopes]) as string[]
    this.roles = Object.freeze([...init.roles ?? []]) as string[]
    this.expiresAt = new Date(init.expiresAt)
    Object.freeze(this)
  }

  get accessToken (): string { return this.#accessToken }

  /** The Authorization header value: `Bearer …` (RFC 6750 §2.1) or `DPoP …` (RFC 9449 §7.1). */
  get authorization (): string { return this.#authorization }

  /**
   * The `DPoP` header value for one request to a resource server with this token (RFC 9449 §7):
   * a fresh proof of `method` and `url` (query and fragment left out), with `ath`, the token's
   * SHA-256, and the server's latest `nonce` (§9) when given. A token that is not DPoP-bound
   * (`tokenType` Bearer) needs no proof: the promise rejects with `DpopNotBoundError`.
   */
  async proof (req: ProofRequest): Promise<string> {
    if (this.#dpop === undefined) {
      // A DPoP token type without our key: the server bound it to a key this process never used.
      if (this.tokenType === 'DPoP') throw new DpopNotBoundError('the token endpoint issued a DPoP-bound token but no DPoP key was used: enable the dpop option')
      throw new DpopNotBoundError(`this is a ${this.tokenType} token, not DPoP-bound: it needs no proof; send token.authorization alone`)
    }
    return await this.#dpop.proof(req, this.#accessToken)
  }

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
