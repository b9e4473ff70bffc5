// Scope and resource arguments, checked before anything is sent, with the
// policy engine's rules (service/policy/rules) as typed errors.
import { resourceProblem } from '../../service/policy/rules/resource.js'
import { notScopeTokenMessage } from '../../service/policy/rules/scope-messages.js'
import { isScopeToken } from '../../service/policy/scope-grammar.js'
import { InvalidOptionError } from './errors.js'

/** The de-duplicated, sorted scope set: the order of scopes carries no meaning (§3.3). */
export function toScopeSet (scopes: readonly string[] | undefined): string[] {
  if (scopes === undefined) return []
  if (!Array.isArray(scopes)) throw new InvalidOptionError('scopes must be an array of scope tokens')
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !isScopeToken(scope)) {
      throw new InvalidOptionError(notScopeTokenMessage(scope), {
        hint: 'Pass each scope as its own array element, without spaces, commas or quotes.'
      })
    }
  }
  return [...new Set(scopes)].sort()
}

/** RFC 8707 §2: an absolute URI without a fragment. */
export function checkResource (resource: string | undefined): void {
  if (resource === undefined) return
  const problem = typeof resource === 'string' ? resourceProblem(resource) : { message: 'resource must be a string' }
  if (problem !== null) throw new InvalidOptionError(problem.message)
}

/** The `audience` form parameter (docs/providers.md): a non-empty string, as the policy field is. */
export function checkAudience (audience: string | undefined): void {
  if (audience === undefined) return
  if (typeof audience !== 'string' || audience === '') throw new InvalidOptionError('audience must be a non-empty string (e.g. the API identifier)')
}
