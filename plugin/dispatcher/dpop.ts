// RFC 9449 §7.1: a DPoP-bound token is sent with a proof of this very request (`htm`, `htu`,
// `ath`), signed by the key the token is bound to; the resource server's latest DPoP-Nonce
// (§9) goes into the next proof to that server.
import type { AppToken } from '../token/app-token.js'

/** RFC 6749 §7.1: token types compare without regard to case. */
export function isDpopBound (token: AppToken): boolean {
  return token.tokenType.length === 4 && token.tokenType.toLowerCase() === 'dpop'
}

/** The `DPoP` header of a request (the token makes the proof; `url` is cut to `htu` there). */
export function dpopProof (token: AppToken, method: string, url: string, nonce: string | undefined): Promise<string> {
  return token.proof(nonce === undefined ? { method, url } : { method, url, nonce })
}
