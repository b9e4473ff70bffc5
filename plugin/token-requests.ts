// get()'s arguments → the checked token request, memoised per (scope set,
// resource): a cached get() neither re-runs the policy check nor allocates.
// The policy entry is fixed at register, so a decision never goes stale.
import { ScopePolicyError } from './errors.js'
import type { ScopeDecider, ScopeDecision, Scopes, TokenRequest } from './route-scopes.js'
import type { AppTokenRequestOptions } from './types.js'

/** A checked request, or the decision that refuses it (a fresh error per call is made from it). */
export type Resolved = TokenRequest | ScopeDecision

/** Scope arrays, one element per level: no key to build, and [42] never meets ['42']. */
interface Node {
  next: Map<unknown, Node> | undefined
  decision: ScopeDecision | undefined
  /** For the default resource. */
  request: Resolved | undefined
  byResource: Map<string, Resolved> | undefined
}

/** Nodes kept at most: get() may be called with caller-built scope sets. */
const MEMO_LIMIT = 4096

export interface TokenRequests {
  /** The request for these options (default scopes and resource where not given). */
  resolve (opts: AppTokenRequestOptions | undefined): Resolved
}

export function tokenRequests (defaults: { scopes: Scopes; resource: string | undefined }, decide: ScopeDecider): TokenRequests {
  let size = 0
  let root = newNode()
  let strings = new Map<string, Node>()
  const defaultNode = nodeOf(defaults.scopes)

  function newNode (): Node {
    size++
    return { next: undefined, decision: undefined, request: undefined, byResource: undefined }
  }

  function nodeOf (scopes: Scopes): Node | undefined {
    if (size > MEMO_LIMIT) {
      root = newNode()
      strings = new Map()
      size = 0
    }
    if (typeof scopes === 'string') {
      let node = strings.get(scopes)
      if (node === undefined) strings.set(scopes, node = newNode())
      return node
    }
    if (!Array.isArray(scopes)) return undefined
    let node = root
    for (let i = 0; i < scopes.length; i++) {
      const scope: unknown = scopes[i]
      let child = node.next?.get(scope)
      if (child === undefined) (node.next ??= new Map()).set(scope, child = newNode())
      node = child
    }
    return node
  }

  function requestOf (node: Node, scopes: Scopes, resource: string | undefined): Resolved {
    const decision = node.decision ??= decide(scopes)
    // Frozen: the cache keys it once and for all.
    return decision.violations.length > 0 ? decision : { scopes: Object.freeze(decision.scopes) as string[], resource: resource ?? defaults.resource }
  }

  return {
    resolve (opts) {
      const scopes = opts?.scopes
      const node = scopes === undefined ? defaultNode : nodeOf(scopes)
      const given = scopes ?? defaults.scopes
      if (node === undefined) return decide(given) // not an array or a string: the check says what is wrong
      const resource = opts?.resource
      if (resource === undefined) {
        node.request ??= requestOf(node, given, undefined)
        return node.request
      }
      let found = node.byResource?.get(resource)
      if (found === undefined) (node.byResource ??= new Map()).set(resource, found = requestOf(node, given, resource))
      return found
    }
  }
}

/** The error a refused request rejects with. */
export function refusal (resolved: ScopeDecision): ScopePolicyError {
  return new ScopePolicyError(resolved.scopes, resolved.violations)
}
