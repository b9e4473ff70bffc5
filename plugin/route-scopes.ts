// Which token a route needs, decided once per route (docs/plugin.md): its
// config.<name> against `global`, the default scopes and the policy.
import { check, checkGeneric } from '../service/policy/check.js'
import { providerViolations } from '../service/policy/provider-check.js'
import { profileOf } from '../service/policy/providers/index.js'
import type { Violation } from '../service/policy/types.js'
import { ScopePolicyError } from './errors.js'
import { checkAudience, checkResource } from './token/scopes.js'
import { canonicalScopes } from './token/scope-keys.js'
import type { ResolvedOptions } from './options.js'
import type { Scopes } from './types.js'

export interface ScopeDecision {
  /** Normalised, de-duplicated: what would be sent. */
  scopes: string[]
  violations: Violation[]
}

/** A route's or a call's own `resource` / `audience`, instead of the defaults. */
export interface Target {
  resource?: string | undefined
  audience?: string | undefined
}

export type ScopeDecider = (scopes: Scopes, target?: Target) => ScopeDecision

type DeciderSettings = Pick<ResolvedOptions, 'policy' | 'clientId' | 'environment' | 'provider' | 'tokenEndpoint' | 'authMethod' | 'resource' | 'audience' | 'resources' | 'audiences'>

/**
 * The §4 check against the client's policy entry (its provider's rules and allowed resources and
 * audiences included), or without a policy the generic rules, the `provider` option's rules and the
 * options' resources and audiences (docs/providers.md).
 */
export function scopeDecider (settings: DeciderSettings): ScopeDecider {
  const { policy, clientId, environment } = settings
  const run = policy === undefined
    ? withoutPolicy(settings)
    : (scopes: Scopes, target?: Target) => check(policy.set, { clientId, environment, scopes, ...target })
  return (scopes, target) => {
    const { scopes: normalised, violations } = run(scopes, target)
    return { scopes: normalised, violations }
  }
}

function withoutPolicy (settings: DeciderSettings): (scopes: Scopes, target?: Target) => ScopeDecision {
  const profile = profileOf(settings.provider)
  return (scopes, target) => {
    const decision = checkGeneric(scopes, profile.userScopeRule)
    const resource = optionTarget('resource', target?.resource, settings.resource, settings.resources, decision.violations)
    const audience = optionTarget('audience', target?.audience, settings.audience, settings.audiences, decision.violations)
    providerViolations(profile, { scopes: decision.scopes, resource, audience, tokenEndpoint: settings.tokenEndpoint, authMethod: settings.authMethod }, decision.violations)
    return decision
  }
}

/** A call's value must be the option's or in the option's list; nothing else is sent. */
function optionTarget (kind: 'resource' | 'audience', value: string | undefined, own: string | undefined, list: readonly string[], violations: Violation[]): string | undefined {
  if (value === undefined || value === own || list.includes(value)) return value ?? own
  violations.push({
    scope: '',
    code: kind === 'resource' ? 'resource_not_allowed' : 'audience_not_allowed',
    message: `${kind} ${JSON.stringify(value)} is not allowed: it is neither the option ${kind} nor in the option ${kind}s; add it to ${kind}s`
  })
  return own
}

export interface TokenRequest {
  scopes: string[]
  resource: string | undefined
  audience: string | undefined
}

export type RoutePlan =
  | { kind: 'none' }
  | { kind: 'token'; request: TokenRequest }
  | { kind: 'denied'; error: ScopePolicyError }

const NONE: RoutePlan = { kind: 'none' }

export interface PlannerOptions {
  /** The route config key (the plugin's `name`). */
  key: string
  global: boolean
  scopes: Scopes
  resource: string | undefined
  audience: string | undefined
  decide: ScopeDecider
}

/** Builds the plan of one route from its config. Per-route scopes replace the defaults. */
export function routePlanner ({ key, global, scopes, resource, audience, decide }: PlannerOptions): (config: unknown) => RoutePlan {
  return (config) => {
    const setting = (config as Record<string, unknown> | undefined)?.[key]
    if (setting === false || (setting === undefined && !global)) return NONE
    const wanted = setting === undefined || setting === true ? {} : setting
    if (!isRouteSetting(wanted)) {
      return denied([], [{ scope: '', code: 'malformed', message: `config.${key} must be false, true or { scopes?: string[], resource?: string, audience?: string }` }])
    }
    const targetProblem = problemOf(() => { checkResource(wanted.resource); checkAudience(wanted.audience) })
    if (targetProblem !== undefined) return denied([], [{ scope: '', code: 'malformed', message: `config.${key}.${targetProblem}` }])
    const target = wanted.resource === undefined && wanted.audience === undefined ? undefined : { resource: wanted.resource, audience: wanted.audience }
    const decision = decide(wanted.scopes ?? scopes, target)
    if (decision.violations.length > 0) return denied(decision.scopes, decision.violations)
    // Keyed once here: the request hook's cache.get() finds its key without sorting or joining.
    return { kind: 'token', request: { scopes: canonicalScopes(decision.scopes), resource: wanted.resource ?? resource, audience: wanted.audience ?? audience } }
  }
}

function denied (scopes: string[], violations: Violation[]): RoutePlan {
  return { kind: 'denied', error: new ScopePolicyError(scopes, violations) }
}

function problemOf (fn: () => void): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

function isRouteSetting (value: unknown): value is { scopes?: string[] | string; resource?: string; audience?: string } {
  if (typeof value !== 'object' || value === null) return false
  const { scopes, resource, audience } = value as Record<string, unknown>
  const scopesOk = scopes === undefined || typeof scopes === 'string' ||
    (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))
  return scopesOk && (resource === undefined || typeof resource === 'string') && (audience === undefined || typeof audience === 'string')
}
