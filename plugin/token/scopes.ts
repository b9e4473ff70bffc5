// Scope and resource arguments, checked before anything is sent.
import { InvalidOptionError } from './errors.js'

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** The de-duplicated, sorted scope set: the order of scopes carries no meaning (§3.3). */
export function normaliseScopes (scopes: readonly string[] | undefined): string[] {
  if (scopes === undefined) return []
  if (!Array.isArray(scopes)) throw new InvalidOptionError('scopes must be an array of scope tokens')
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new InvalidOptionError(`scope ${JSON.stringify(scope)} is not an RFC 6749 §3.3 scope-token`, {
        hint: 'Pass each scope as its own array element, without spaces, commas or quotes.'
      })
    }
  }
  return [...new Set(scopes)].sort()
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function checkResource (resource: string | undefined): void {
  if (resource === undefined) return
  let url: URL | undefined
  try { url = new URL(resource) } catch {}
  if (url === undefined || url.hash !== '' || resource.includes('#')) {
    throw new InvalidOptionError(`resource ${JSON.stringify(resource)} is not an absolute URI without a fragment (RFC 8707 §2)`)
  }
}
