// get()'s arguments → the checked token request, memoised per request shape: the scope set's
// key (the token core's ScopeKeys, the one scope memo), then resource and audience. A cached
// get() re-runs no policy check, and the request it hands the cache is keyed already.
// The policy entry is fixed at register, so a decision never goes stale.
import { ScopePolicyError } from './errors.js'
import { canonicalScopes, INVALID_KEY, ScopeKeys } from './token/scope-keys.js'
import type { ScopeDecider, ScopeDecision, TokenRequest } from './route-scopes.js'
import type { Scopes } from './types.js'
import type { AppTokenRequestOptions } from './types.js'

/** A checked request, or the decision that refuses it (a fresh error per call is made from it). */
export type Resolved = TokenRequest | ScopeDecision

/** The allowed requests of one scope set. */
interface Shape {
  /** For the default resource and audience. */
  request: TokenRequest | undefined
  /** resource ('' for the default) → audience ('' for the default) → request. */
  byTarget: Map<string, Map<string, TokenRequest>> | undefined
}

/** Requests kept at most: get() may be called with caller-built scope sets. */
const MEMO_LIMIT = 4096

export interface TokenRequests {
  /** The request for these options (default scopes and resource where not given). */
  resolve (opts: AppTokenRequestOptions | undefined): Resolved
}

export function tokenRequests (defaults: { scopes: Scopes; resource: string | undefined; audience: string | undefined }, decide: ScopeDecider): TokenRequests {
  const keys = new ScopeKeys()
  let size = 0
  // Arrays by their set's key; a space-delimited string as written (split by the check).
  let bySet = new Map<string, Shape>()
  let byString = new Map<string, Shape>()

  function shapeOf (scopes: Scopes): Shape | undefined {
    let memo: Map<string, Shape>
    let key: string
    if (typeof scopes === 'string') {
      memo = byString
      key = scopes
    } else if (Array.isArray(scopes)) {
      // An array the key cannot name (elements with spaces, not strings): checked on every call.
      key = keys.keyOf(scopes)
      if (key === INVALID_KEY) return undefined
      memo = bySet
    } else {
      return undefined
    }
    let shape = memo.get(key)
    if (shape === undefined) {
      if (++size > MEMO_LIMIT) {
        bySet = new Map()
        byString = new Map()
        size = 1
        memo = typeof scopes === 'string' ? byString : bySet
      }
      memo.set(key, shape = { request: undefined, byTarget: undefined })
    }
    return shape
  }

  function requestOf (scopes: Scopes, resource: string | undefined, audience: string | undefined): Resolved {
    // A call's own resource or audience is checked too: one not allowed is refused, nothing sent.
    const decision = decide(scopes, resource === undefined && audience === undefined ? undefined : { resource, audience })
    if (decision.violations.length > 0) return decision
    return { scopes: canonicalScopes(decision.scopes), resource: resource ?? defaults.resource, audience: audience ?? defaults.audience }
  }

  return {
    resolve (opts) {
      const scopes = opts?.scopes ?? defaults.scopes
      const resource = opts?.resource
      const audience = opts?.audience
      const shape = shapeOf(scopes)
      // Refusals are not kept: their violations follow the order the caller wrote.
      if (shape === undefined) return requestOf(scopes, resource, audience)
      if (resource === undefined && audience === undefined) {
        if (shape.request !== undefined) return shape.request
        const resolved = requestOf(scopes, undefined, undefined)
        if (!('violations' in resolved)) shape.request = resolved
        return resolved
      }
      shape.byTarget ??= new Map()
      let byAudience = shape.byTarget.get(resource ?? '')
      if (byAudience === undefined) shape.byTarget.set(resource ?? '', byAudience = new Map())
      const found = byAudience.get(audience ?? '')
      if (found !== undefined) return found
      const resolved = requestOf(scopes, resource, audience)
      if (!('violations' in resolved)) {
        size++ // caller-built values count against MEMO_LIMIT like scope sets
        byAudience.set(audience ?? '', resolved)
      }
      return resolved
    }
  }
}

/** The error a refused request rejects with. */
export function refusal (resolved: ScopeDecision): ScopePolicyError {
  return new ScopePolicyError(resolved.scopes, resolved.violations)
}
