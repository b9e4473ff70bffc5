// What a resource server's 401 says in WWW-Authenticate (RFC 9110 §11.6.1): the `error`
// of its Bearer (RFC 6750 §3.1) or DPoP (RFC 9449 §7.1) challenge decides whether a fresh
// token or a new proof can help.
import type { IncomingHttpHeaders } from 'node:http'

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
// One auth-scheme or token68 (a token alone, padded with `=`) or one auth-param (token = token / quoted-string) at a time.
const PART = new RegExp(`([\\s,]*)(${TOKEN})(?:[ \\t]*=[ \\t]*("(?:[^"\\\\]|\\\\.)*"|${TOKEN})|=*)`, 'y')

/** The `error` auth-param of each challenge, by lower-case scheme. */
export function challengeErrors (header: IncomingHttpHeaders[string]): Map<string, string | undefined> {
  const errors = new Map<string, string | undefined>()
  for (const value of header === undefined ? [] : [header].flat()) {
    let scheme: string | undefined
    PART.lastIndex = 0
    while (PART.lastIndex < value.length) {
      const at = PART.lastIndex
      const match = PART.exec(value)
      if (match === null) { PART.lastIndex = at + 1; continue } // token68 padding or garbage: skip it
      const [, separator, name, param] = match as unknown as [string, string, string, string | undefined]
      if (param === undefined) {
        // After a scheme, a new challenge follows a comma; a word after a space is its token68.
        if (scheme !== undefined && !separator.includes(',')) continue
        scheme = name.toLowerCase()
        if (!errors.has(scheme)) errors.set(scheme, undefined)
      } else if (scheme !== undefined && name.toLowerCase() === 'error') {
        errors.set(scheme, param.startsWith('"') ? param.slice(1, -1).replace(/\\(.)/g, '$1') : param)
      }
    }
  }
  return errors
}

/** RFC 6750 §3.1: the token is valid but lacks scope; a fresh one of the same scopes would not help. */
export function insufficientScope (errors: Map<string, string | undefined>): boolean {
  for (const error of errors.values()) if (error === 'insufficient_scope') return true
  return false
}

/** RFC 9449 §9: the resource server wants a proof with the nonce of its DPoP-Nonce header. */
export function useDpopNonce (errors: Map<string, string | undefined>): boolean {
  return errors.get('dpop') === 'use_dpop_nonce'
}
