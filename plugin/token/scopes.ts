// Scope and resource arguments, checked before anything is sent.
import { isScopeToken } from '../../service/policy/scope-grammar.js'
import { InvalidOptionError } from './errors.js'

/** The de-duplicated, sorted scope set: the order of scopes carries no meaning (§3.3). */
export function toScopeSet (scopes: readonly string[] | undefined): string[] {
  if (scopes === undefined) return []
  if (!Array.isArray(scopes)) throw new InvalidOptionError('scopes must be an array of scope tokens')
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isScopeToken(scope)) {
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
