// Scope arrays → the key of their set (sorted, space-joined): the one memo of scope
// normalisation. A cache hit neither sorts nor joins: single scopes are their own key, an
// array is looked up element by element (no key to build; [42] never meets ['42']), and
// canonicalScopes() hands out sets whose key is known before their first get().
import { toScopeSet } from './scopes.js'

/** Key of no entry: the slow path reports what is wrong with the scopes. */
export const INVALID_KEY = '\0invalid'

/** The sets canonicalScopes() made (frozen), by identity: module-wide, a key depends on the elements only. */
const canonical = new WeakMap<readonly string[], string>()

/** The set as the cache keys it: sorted, unique, frozen, its key remembered. Throws for a scope that is not a scope token. */
export function canonicalScopes (scopes: readonly string[]): string[] {
  const set = Object.freeze(toScopeSet(scopes)) as string[]
  if (set.length > 1) canonical.set(set, set.join(' '))
  return set
}

/** One level per array element. */
interface Node {
  next: Map<unknown, Node> | undefined
  key: string | undefined
}

/** Nodes kept at most: get() may be called with caller-built scope sets. */
const NODE_LIMIT = 4096

export class ScopeKeys {
  #root: Node = { next: undefined, key: undefined }
  #size = 0

  keyOf (scopes: readonly string[] | undefined): string {
    if (scopes === undefined || scopes.length === 0) return ''
    if (scopes.length === 1) return joinable(scopes[0]) ? scopes[0] : INVALID_KEY
    const known = canonical.get(scopes)
    if (known !== undefined) return known
    if (this.#size > NODE_LIMIT) {
      this.#root = { next: undefined, key: undefined }
      this.#size = 0
    }
    let node = this.#root
    for (let i = 0; i < scopes.length; i++) {
      const scope: unknown = scopes[i]
      let child = node.next?.get(scope)
      if (child === undefined) {
        (node.next ??= new Map()).set(scope, child = { next: undefined, key: undefined })
        this.#size++
      }
      node = child
    }
    node.key ??= keyOfSet(scopes)
    return node.key
  }
}

function keyOfSet (scopes: readonly string[]): string {
  if (sortedUnique(scopes)) return scopes.join(' ')
  try { return toScopeSet(scopes).join(' ') } catch { return INVALID_KEY }
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
