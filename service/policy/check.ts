// The preflight check (docs/policy-files.md): pure, never throws, cheap on the allowed path.
import { join } from 'node:path'
import { quote } from './findings.js'
import { foldSeparators, lookupFor, type EnvLookup } from './lookup.js'
import { profileOf } from './providers/index.js'
import { providerViolations, targetViolation } from './provider-check.js'
import { commaListParts, isScopeToken, USER_SCOPES } from './scope-grammar.js'
import { commaListMessage, notScopeTokenMessage, userScopeMessage } from './rules/scope-messages.js'
import type { CheckRequest, CheckResult, PolicySet, Violation } from './types.js'

const WHITESPACE = /\s+/
/** Above this many scopes, de-duplication switches from a scan to a Set. */
const SCAN_LIMIT = 16

function typeName (value: unknown): string {
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

interface Normalised {
  scopes: string[]
  /** Elements that are not strings. */
  bad: unknown[]
}

function addToken (token: string, out: string[], seen: { set: Set<string> | null }): void {
  if (seen.set === null) {
    if (out.includes(token)) return
    out.push(token)
    if (out.length > SCAN_LIMIT) seen.set = new Set(out)
  } else if (!seen.set.has(token)) {
    seen.set.add(token)
    out.push(token)
  }
}

// eslint-disable-next-line no-control-regex -- the ASCII range starts at NUL
const NON_ASCII = /[^\x00-\x7f]/

function addTokens (text: string, out: string[], seen: { set: Set<string> | null }): void {
  if (NON_ASCII.test(text)) {
    // Unicode whitespace (NBSP, U+2028, …) separates too: let the regex engine find it.
    for (const token of text.split(WHITESPACE)) if (token !== '') addToken(token, out, seen)
    return
  }
  // ASCII fast path, no intermediate array: \s in ASCII is TAB, LF, VT, FF, CR and SPACE.
  let start = -1
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32
    const space = c === 32 || (c >= 9 && c <= 13)
    if (!space && start < 0) start = i
    else if (space && start >= 0) {
      addToken(text.slice(start, i), out, seen)
      start = -1
    }
  }
}

function normalise (input: unknown): Normalised {
  const scopes: string[] = []
  const bad: unknown[] = []
  const seen = { set: null as Set<string> | null }
  if (typeof input === 'string') addTokens(input, scopes, seen)
  else if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) {
      const item: unknown = input[i]
      if (typeof item === 'string') addTokens(item, scopes, seen)
      else bad.push(item)
    }
  } else if (input !== undefined && input !== null) bad.push(input)
  return { scopes, bad }
}

/**
 * The scopes that would be sent: a space-delimited string (any whitespace run) or an array,
 * split, de-duplicated in request order. Anything that is not a string is dropped.
 */
export function normaliseScopes (input: unknown): string[] {
  return normalise(input).scopes
}

/** One violation for every element that is not a string: a garbage array gives one line, not a million. */
function badItems (bad: readonly unknown[], violations: Violation[]): void {
  if (bad.length === 0) return
  const more = bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''
  violations.push({
    scope: '',
    code: 'malformed',
    message: `scopes must be a space-delimited string or an array of strings; got ${typeName(bad[0])}${more}`,
  })
}

/** The rules that need no policy: RFC 6749 §3.3 grammar and user scopes (unless the profile accepts them). */
function genericViolation (scope: string, userScopeRule = true): Violation | null {
  const parts = commaListParts(scope)
  if (parts !== null) {
    const split = parts.join(' ')
    return {
      scope,
      code: 'malformed',
      message: commaListMessage(scope, split !== '' ? `send ${quote(split)}` : 'remove it'),
      ...(split !== '' ? { suggestion: split } : {}),
    }
  }
  if (!isScopeToken(scope)) {
    return {
      scope,
      code: 'malformed',
      message: notScopeTokenMessage(scope),
    }
  }
  if (userScopeRule && USER_SCOPES.has(scope)) {
    return {
      scope,
      code: 'user_scope',
      message: userScopeMessage(scope),
    }
  }
  return null
}

function genericViolations (scopes: readonly string[], violations: Violation[], userScopeRule = true): void {
  for (const scope of scopes) {
    const v = genericViolation(scope, userScopeRule)
    if (v) violations.push(v)
  }
}

/**
 * Checks without a policy (the plugin without `policy`): only the generic rules apply, `user_scope`
 * unless the provider accepts user scopes (Keycloak).
 */
export function checkGeneric (input: unknown, userScopeRule = true): { scopes: string[]; violations: Violation[] } {
  try {
    const { scopes, bad } = normalise(input)
    const violations: Violation[] = []
    badItems(bad, violations)
    genericViolations(scopes, violations, userScopeRule)
    return { scopes, violations }
  } catch {
    return { scopes: [], violations: [unreadable()] }
  }
}

/** One edit apart: insert, delete, substitute, or swap two neighbours. */
export function oneEditApart (a: string, b: string): boolean {
  const la = a.length
  const lb = b.length
  if (a === b || Math.abs(la - lb) > 1) return false
  let i = 0
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1)
}

function nearMiss (scope: string, lk: EnvLookup): string | undefined {
  const folded = lk.folded.get(foldSeparators(scope))
  if (folded !== undefined) return folded
  const lower = scope.toLowerCase()
  const i = lk.lowerNames.findIndex((name) => oneEditApart(lower, name))
  return i < 0 ? undefined : lk.names[i]
}

function scopeViolation (scope: string, lk: EnvLookup, userScopeRule: boolean): Violation {
  const generic = genericViolation(scope, userScopeRule)
  if (generic) return generic
  const tail = `${lk.label} allows: ${lk.allowed}; the whitelist is at ${lk.where}`
  if (lk.names.length === 0) {
    return {
      scope,
      code: 'not_whitelisted',
      message: `scope ${quote(scope)} is not allowed: ${lk.label} may request no scope (scopes: {} at ${lk.where}); remove it, or add it there with its reason`,
    }
  }
  const sameLetters = lk.lower.get(scope.toLowerCase())
  if (sameLetters !== undefined) {
    return {
      scope,
      code: 'case_mismatch',
      message: `scope ${quote(scope)} is not whitelisted, but "${sameLetters}" is: scopes are case-sensitive, request "${sameLetters}"; ${tail}`,
      suggestion: sameLetters,
    }
  }
  const near = nearMiss(scope, lk)
  if (near !== undefined) {
    return {
      scope,
      code: 'near_miss',
      message: `scope ${quote(scope)} is not whitelisted; did you mean "${near}"? ${tail}`,
      suggestion: near,
    }
  }
  return {
    scope,
    code: 'not_whitelisted',
    message: `scope ${quote(scope)} is not whitelisted for ${lk.label}, which allows: ${lk.allowed}; request one of those, or add it with its reason under scopes: at ${lk.where} (and grant it in the provider's portal)`,
  }
}

function unreadable (): Violation {
  return { scope: '', code: 'malformed', message: 'the check request could not be read' }
}

function unknownClient (policies: PolicySet, clientId: unknown, environment: unknown): Violation {
  if (typeof clientId !== 'string' || clientId === '') {
    return { scope: '', code: 'unknown_client', message: `clientId must be a non-empty string; got ${typeName(clientId)}` }
  }
  const dir = typeof policies?.dir === 'string' ? policies.dir : 'policies'
  const env = typeof environment === 'string' ? ` under environments.${environment}` : ''
  return {
    scope: '',
    code: 'unknown_client',
    message: `clientId ${quote(clientId)} is in no policy file: add it${env} in ${join(dir, '<app>.yaml')} of the app it belongs to`,
  }
}

function run (policies: PolicySet, req: CheckRequest): CheckResult {
  const r: Partial<Record<keyof CheckRequest, unknown>> = typeof req === 'object' && req !== null ? req : {}
  const { clientId, environment } = r
  const { scopes, bad } = normalise(r.scopes)
  const violations: Violation[] = []
  badItems(bad, violations)

  const index = policies?.byClientId
  const entry = typeof clientId === 'string' && index instanceof Map ? index.get(clientId) : undefined
  if (entry === undefined) {
    violations.push(unknownClient(policies, clientId, environment))
    genericViolations(scopes, violations)
    return { allowed: false, app: null, environment: null, scopes, violations }
  }

  const { app, environment: env } = entry
  if (environment !== undefined && environment !== null && environment !== env.name) {
    const wanted = typeof environment === 'string' ? app.environments.get(environment) : undefined
    // docs/policy-files.md: unknown_client is "no policy entry has this clientId (in that environment)".
    violations.push({
      scope: '',
      code: 'unknown_client',
      message:
        `clientId ${quote(env.clientId)} belongs to environment "${env.name}" of ${app.app}, not ${typeof environment === 'string' ? quote(environment) : typeName(environment)}: ` +
        (wanted ? `use environment "${env.name}", or the clientId of ${wanted.name} (${wanted.clientId})` : `use environment "${env.name}"`),
    })
  }

  const whitelist = env.scopes
  if (scopes.length === 0 && bad.length === 0 && whitelist.size > 0) {
    const lk = lookupFor(policies, app, env)
    violations.push({
      scope: '',
      code: 'empty',
      message: `no scope requested: the server would pick a default or refuse; request what is needed from ${lk.label}'s whitelist: ${lk.allowed} (${lk.where})`,
    })
  }
  for (let i = 0; i < scopes.length; i++) {
    const scope = scopes[i] as string
    if (!whitelist.has(scope)) violations.push(scopeViolation(scope, lookupFor(policies, app, env), profileOf(app.provider).userScopeRule))
  }
  const resource = r.resource === undefined ? env.resource : targetViolation('resource', r.resource, env, app, violations)
  const audience = r.audience === undefined ? env.audience : targetViolation('audience', r.audience, env, app, violations)
  // generic has no request rules: its allowed path stays as cheap as before (bench/check.ts).
  let warnings: string[] = []
  if (app.provider !== 'generic') {
    const profile = profileOf(app.provider)
    const req = { scopes, audience, resource, tokenEndpoint: env.tokenEndpoint, authMethod: env.authMethod }
    providerViolations(profile, req, violations)
    warnings = profile.requestWarnings?.(req) ?? []
  }
  return { allowed: violations.length === 0, app: app.app, environment: env.name, scopes, violations, ...(warnings.length > 0 ? { warnings } : {}) }
}

/**
 * The preflight check (docs/policy-files.md): may this client ask for these scopes (RFC 6749
 * §3.3: exact, case-sensitive), this resource (RFC 8707) or audience? Never throws: a request it
 * cannot read is denied with a violation.
 *
 * @example
 * ```ts
 * import { check, loadPolicySet } from 'fastify-app-token/policy'
 *
 * const result = check(await loadPolicySet('./policies'), { clientId: 'prod-app-8821', scopes: 'read:interaction' })
 * if (!result.allowed) console.error(result.violations.map((v) => v.message))
 * ```
 */
export function check (policies: PolicySet, req: CheckRequest): CheckResult {
  try {
    return run(policies, req)
  } catch {
    return { allowed: false, app: null, environment: null, scopes: [], violations: [unreadable()] }
  }
}
