// get()'s arguments → the checked token request, memoised per (scope set,
// resource, audience): a cached get() neither re-runs the policy check nor allocates.
// The policy entry is fixed at register, so a decision never goes stale.
import { ScopePolicyError } from './errors.js'
import type { ScopeDecider, ScopeDecision, TokenRequest } from './route-scopes.js'
import type { Scopes } from './types.js'
import type { AppTokenRequestOptions } from './types.js'

/** A checked request, or the decision that refuses it (a fresh error per call is made from it). */
export type Resolved = TokenRequest | ScopeDecision

/** Scope arrays, one element per level: no key to build, and [42] never meets ['42']. */
interface Node {
  next: Map<unknown, Node> | undefined
  decision: ScopeDecision | undefined
  /** For the default resource and audience. */
  request: Resolved | undefined
  /** resource ('' for the default) → audience ('' for the default) → request. */
  byTarget: Map<string, Map<string, Resolved>> | undefined
}

/** Nodes kept at most: get() may be called with caller-built scope sets. */
const MEMO_LIMIT = 4096

export interface TokenRequests {
  /** The request for these options (default scopes and resource where not given). */
  resolve (opts: AppTokenRequestOptions | undefined): Resolved
}

export function tokenRequests (defaults: { scopes: Scopes; resource: string | undefined; audience: string | undefined }, decide: ScopeDecider): TokenRequests {
  let size = 0
  let root = newNode()
  let strings = new Map<string, Node>()
  const defaultNode = nodeOf(defaults.scopes)

  function newNode (): Node {
    size++
    return { next: undefined, decision: undefined, request: undefined, byTarget: undefined }
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

  function requestOf (node: Node, scopes: Scopes, resource: string | undefined, audience: string | undefined): Resolved {
    // A call's own resource or audience is checked too: one not allowed is refused, nothing sent.
    const decision = resource === undefined && audience === undefined ? node.decision ??= decide(scopes) : decide(scopes, { resource, audience })
    if (decision.violations.length > 0) return decision
    // Frozen: the cache keys it once and for all.
    return { scopes: Object.freeze(decision.scopes) as string[], resource: resource ?? defaults.resource, audience: audience ?? defaults.audience }
  }

  return {
    resolve (opts) {
      const scopes = opts?.scopes
      const node = scopes === undefined ? defaultNode : nodeOf(scopes)
      const given = scopes ?? defaults.scopes
      if (node === undefined) return decide(given) // not an array or a string: the check says what is wrong
      const resource = opts?.resource
      const audience = opts?.audience
      if (resource === undefined && audience === undefined) {
        node.request ??= requestOf(node, given, undefined, undefined)
        return node.request
      }
      node.byTarget ??= new Map()
      let byAudience = node.byTarget.get(resource ?? '')
      if (byAudience === undefined) node.byTarget.set(resource ?? '', byAudience = new Map())
      let found = byAudience.get(audience ?? '')
      if (found === undefined) {
        size++ // caller-built values count against MEMO_LIMIT like scope sets
        byAudience.set(audience ?? '', found = requestOf(node, given, resource, audience))
      }
      return found
    }
  }
}

/** The error a refused request rejects with. */
export function refusal (resolved: ScopeDecision): ScopePolicyError {
  return new ScopePolicyError(resolved.scopes, resolved.violations)
}
