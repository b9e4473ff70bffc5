// Which token a route needs, decided once per route (docs/plugin.md): its
// config.<name> against `global`, the default scopes and the policy.
import { check, checkGeneric } from '../service/policy/index.js'
import type { Violation } from '../service/policy/types.js'
import { ScopePolicyError } from './errors.js'
import { checkResource } from './token/scopes.js'
import type { ResolvedOptions } from './options.js'

export interface ScopeDecision {
  /** Normalised, de-duplicated: what would be sent. */
  scopes: string[]
  violations: Violation[]
}

/** Scopes as an array or a space-delimited string (docs/policy-files.md). */
export type Scopes = readonly string[] | string

export type ScopeDecider = (scopes: Scopes) => ScopeDecision

/** The §4 check against the client's policy entry, or the generic rules without a policy. */
export function scopeDecider ({ policy, clientId, environment }: Pick<ResolvedOptions, 'policy' | 'clientId' | 'environment'>): ScopeDecider {
  const run = policy === undefined
    ? (scopes: Scopes) => checkGeneric(scopes)
    : (scopes: Scopes) => check(policy.set, { clientId, environment, scopes })
  return (scopes) => {
    const { scopes: normalised, violations } = run(scopes)
    return { scopes: normalised, violations }
  }
}

export interface TokenRequest {
  scopes: string[]
  resource: string | undefined
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
  decide: ScopeDecider
}

/** Builds the plan of one route from its config. Per-route scopes replace the defaults. */
export function routePlanner ({ key, global, scopes, resource, decide }: PlannerOptions): (config: unknown) => RoutePlan {
  return (config) => {
    const setting = (config as Record<string, unknown> | undefined)?.[key]
    if (setting === false || (setting === undefined && !global)) return NONE
    const wanted = setting === undefined || setting === true ? {} : setting
    if (!isRouteSetting(wanted)) {
      return denied([], [{ scope: '', code: 'malformed', message: `config.${key} must be false, true or { scopes?: string[], resource?: string }` }])
    }
    const resourceProblem = problemOf(() => { checkResource(wanted.resource) })
    if (resourceProblem !== undefined) return denied([], [{ scope: '', code: 'malformed', message: `config.${key}.${resourceProblem}` }])
    const decision = decide(wanted.scopes ?? scopes)
    if (decision.violations.length > 0) return denied(decision.scopes, decision.violations)
    return { kind: 'token', request: { scopes: decision.scopes, resource: wanted.resource ?? resource } }
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

function isRouteSetting (value: unknown): value is { scopes?: string[] | string; resource?: string } {
  if (typeof value !== 'object' || value === null) return false
  const { scopes, resource } = value as Record<string, unknown>
  const scopesOk = scopes === undefined || typeof scopes === 'string' ||
    (Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))
  return scopesOk && (resource === undefined || typeof resource === 'string')
}
