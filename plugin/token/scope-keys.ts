// Scope arrays → the key of their set (sorted, space-joined), so a cache hit
// neither sorts nor joins: single scopes are their own key, arrays seen before
// are remembered by identity.
import { toScopeSet } from './scopes.js'

/** Key of no entry: the slow path reports what is wrong with the scopes. */
export const INVALID_KEY = '\0invalid'

export class ScopeKeys {
  readonly #seen = new WeakMap<readonly string[], { copy: string[] | undefined; key: string }>()

  keyOf (scopes: readonly string[] | undefined): string {
    if (scopes === undefined || scopes.length === 0) return ''
    if (scopes.length === 1) return joinable(scopes[0]) ? scopes[0] : INVALID_KEY
    const seen = this.#seen.get(scopes)
    // The copy guards against an array changed since it was seen (a frozen one cannot be).
    if (seen !== undefined && (seen.copy === undefined || sameElements(seen.copy, scopes))) return seen.key
    const frozen = Object.isFrozen(scopes)
    let key: string
    if (sortedUnique(scopes)) {
      key = scopes.join(' ')
      // Already normalised and maybe fresh on every call: remembered only when frozen (kept for good).
      if (!frozen) return key
    } else {
      try { key = toScopeSet(scopes).join(' ') } catch { return INVALID_KEY }
    }
    this.#seen.set(scopes, { copy: frozen ? undefined : [...scopes], key })
    return key
  }
}

/** Sorted, unique and joinable: its join is the key of exactly this set. */
function sortedUnique (scopes: readonly string[]): boolean {
  if (!joinable(scopes[0])) return false
  for (let i = 1; i < scopes.length; i++) if (!joinable(scopes[i]) || !((scopes[i - 1] as string) < (scopes[i] as string))) return false
  return true
}

/** A scope that cannot make a key collide with another set's: ['a b'] must not find the entry of ['a', 'b']. */
function joinable (scope: unknown): scope is string {
  return typeof scope === 'string' && scope !== '' && !scope.includes(' ')
}

function sameElements (a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
