// What changed between two policy sets, and how risky each change is (docs/cli.md `diff`).
// The rule table is documented in docs/pr-review.md ("What the risk flags mean"); keep the two in step.
import { summarize, type ChangeKind, type PolicyChange, type PolicyDiff } from './policy-change.js'
import { riskRank, type Risk } from './risk.js'
import { classifyScope, isProdEnvironment } from './scope-risk.js'
import { VARIABLE_NAME_FIELDS } from './secret-env.js'
import type { AppPolicy, EnvironmentPolicy, PolicySet, SourceLocation } from './types.js'

function atLeast (risk: Risk, floor: Risk): Risk {
  return riskRank(risk) >= riskRank(floor) ? risk : floor
}

/** A scope added to a prod environment that no other environment of the app whitelists. */
function prodOnly (app: AppPolicy, env: EnvironmentPolicy, scope: string): string | null {
  if (!isProdEnvironment(env.name)) return null
  const others = [...app.environments.values()].filter((e) => !isProdEnvironment(e.name))
  if (others.length === 0) return 'prod only (the app has no other environment)'
  if (others.some((e) => e.scopes.has(scope))) return null
  return `prod only (not in ${others.map((e) => e.name).join(', ')})`
}

function scopeAdded (app: AppPolicy, env: EnvironmentPolicy, scope: string): PolicyChange {
  const entry = env.scopes.get(scope)
  let { risk, why } = classifyScope(scope)
  const prod = prodOnly(app, env, scope)
  if (prod) {
    // Never tried outside prod: at least medium; write/admin scopes keep their higher flag.
    risk = atLeast(risk, 'medium')
    why = `${why}; ${prod}`
  }
  return {
    app: app.app,
    environment: env.name,
    kind: 'scope-added',
    scope,
    ...(entry ? { after: entry.reason, at: entry.at } : {}),
    risk,
    why,
  }
}

function fileStart (app: AppPolicy): SourceLocation {
  return { file: app.file, line: 1, col: 1 }
}

function valueChange (
  app: AppPolicy,
  environment: string | null,
  kind: ChangeKind,
  before: string | undefined,
  after: string | undefined,
  risk: Risk,
  why: string,
  at: SourceLocation
): PolicyChange[] {
  if (before === after) return []
  return [{
    app: app.app,
    environment,
    kind,
    ...(before !== undefined ? { before } : {}),
    ...(after !== undefined ? { after } : {}),
    risk,
    why,
    at,
  }]
}

/** Entra application permissions: an added role is a grant, rated as a scope is. */
function roleChanges (app: AppPolicy, base: EnvironmentPolicy, head: EnvironmentPolicy): PolicyChange[] {
  const changes: PolicyChange[] = []
  const before = base.roles ?? new Map()
  const after = head.roles ?? new Map()
  for (const [name, role] of after) {
    if (before.has(name)) continue
    const { risk, why } = classifyScope(name)
    changes.push({ app: app.app, environment: head.name, kind: 'role-added', scope: name, after: role.reason, risk, why: `application permission: ${why}`, at: role.at })
  }
  for (const [name, role] of before) {
    if (!after.has(name)) {
      changes.push({ app: app.app, environment: head.name, kind: 'role-removed', scope: name, before: role.reason, risk: 'info', why: 'application permission removed', at: head.at })
    }
  }
  return changes
}

/**
 * A variable-name field added, removed or changed (`base` undefined for a new environment):
 * critical, as it chooses which secret `verify` sends (docs/verify.md, "Threat model").
 */
function secretEnvChanges (app: AppPolicy, base: EnvironmentPolicy | undefined, head: EnvironmentPolicy): PolicyChange[] {
  return VARIABLE_NAME_FIELDS.flatMap((field) => valueChange(app, head.name, 'secret-env-changed', base?.[field], head[field], 'critical',
    `${field}: verify would read another variable's credential (a policy change must never choose which secret is sent)`, head.at)
    .map((c) => ({ ...c, field })))
}

function hostOf (url: string): string {
  return new URL(url).host.toLowerCase()
}

/** Another host gets the credential: critical; the same host, another path: high. */
function endpointChange (app: AppPolicy, base: EnvironmentPolicy, head: EnvironmentPolicy): PolicyChange[] {
  return hostOf(base.tokenEndpoint) !== hostOf(head.tokenEndpoint)
    ? valueChange(app, head.name, 'endpoint-host-changed', base.tokenEndpoint, head.tokenEndpoint, 'critical',
      `the credential will be sent to another host (${hostOf(head.tokenEndpoint)})`, head.at)
    : valueChange(app, head.name, 'token-endpoint-changed', base.tokenEndpoint, head.tokenEndpoint, 'high',
      'the client secret will be sent to another endpoint of the same host', head.at)
}

function diffEnvironment (app: AppPolicy, base: EnvironmentPolicy, head: EnvironmentPolicy): PolicyChange[] {
  const env = head.name
  const changes = [
    ...valueChange(app, env, 'client-id-changed', base.clientId, head.clientId, 'high',
      'tokens will be requested for another client', head.at),
    ...endpointChange(app, base, head),
    ...secretEnvChanges(app, base, head),
    ...valueChange(app, env, 'resource-changed', base.resource, head.resource, 'medium',
      'tokens will be issued for another audience (RFC 8707)', head.at),
    ...valueChange(app, env, 'audience-changed', base.audience, head.audience, 'medium',
      'tokens will be issued for another API', head.at),
    ...roleChanges(app, base, head),
    ...valueChange(app, env, 'auth-method-changed', base.authMethod, head.authMethod, 'low',
      'how the secret is sent (RFC 6749 §2.3.1)', head.at),
    // Off weakens: a stolen token works from anywhere again (RFC 9449 §1).
    ...valueChange(app, env, 'dpop-changed', String(base.dpop === true), String(head.dpop === true), head.dpop === true ? 'low' : 'medium',
      head.dpop === true ? 'tokens will be bound to a DPoP key (RFC 9449)' : 'tokens will no longer be sender-constrained (RFC 9449)', head.at),
  ]
  for (const scope of head.scopes.keys()) {
    if (!base.scopes.has(scope)) changes.push(scopeAdded(app, head, scope))
  }
  for (const [scope, entry] of base.scopes) {
    const now = head.scopes.get(scope)
    if (!now) {
      changes.push({
        app: app.app,
        environment: env,
        kind: 'scope-removed',
        scope,
        before: entry.reason,
        risk: 'info',
        why: 'access removed',
        at: head.scopesAt,
      })
    } else if (now.reason !== entry.reason) {
      changes.push({
        app: app.app,
        environment: env,
        kind: 'scope-reason-changed',
        scope,
        before: entry.reason,
        after: now.reason,
        risk: 'info',
        why: 'justification reworded',
        at: now.at,
      })
    }
  }
  return changes
}

function addedEnvironment (app: AppPolicy, env: EnvironmentPolicy, why: string): PolicyChange[] {
  return [
    { app: app.app, environment: env.name, kind: 'environment-added', after: env.clientId, risk: 'medium', why, at: env.at },
    ...secretEnvChanges(app, undefined, env),
    ...[...env.scopes.keys()].map((scope) => scopeAdded(app, env, scope)),
  ]
}

function diffApp (base: AppPolicy, head: AppPolicy): PolicyChange[] {
  const start = fileStart(head)
  const changes = [
    ...valueChange(head, null, 'owner-changed', base.owner, head.owner, 'medium', 'someone else approves its scopes', start),
    ...valueChange(head, null, 'provider-changed', base.provider, head.provider, 'medium',
      'other provider rules apply to every request and error (docs/providers.md)', start),
    ...valueChange(head, null, 'description-changed', base.description, head.description, 'info', 'wording', start),
  ]
  for (const [name, env] of head.environments) {
    const old = base.environments.get(name)
    changes.push(...(old ? diffEnvironment(head, old, env) : addedEnvironment(head, env, 'new client credentials in use')))
  }
  for (const [name, env] of base.environments) {
    if (!head.environments.has(name)) {
      changes.push({
        app: head.app,
        environment: name,
        kind: 'environment-removed',
        before: env.clientId,
        risk: 'low',
        why: 'check the client is retired in the portal too',
        at: start,
      })
    }
  }
  return changes
}

function emptySet (): PolicySet {
  return { dir: '', apps: new Map(), byClientId: new Map() }
}

/** Every change from `base` to `head`: apps in name order, riskiest first within an app; null means an empty set. */
export function diffPolicySets (base: PolicySet | null, head: PolicySet | null): PolicyDiff {
  const before = base ?? emptySet()
  const after = head ?? emptySet()
  const names = [...new Set([...before.apps.keys(), ...after.apps.keys()])].sort()
  const changes: PolicyChange[] = []
  for (const name of names) {
    const old = before.apps.get(name)
    const now = after.apps.get(name)
    const start = changes.length
    if (old && now) {
      changes.push(...diffApp(old, now))
    } else if (now) {
      changes.push({ app: name, environment: null, kind: 'app-added', after: now.owner, risk: 'medium', why: 'new app', at: fileStart(now) })
      for (const env of now.environments.values()) changes.push(...addedEnvironment(now, env, 'new app'))
    } else if (old) {
      changes.push({ app: name, environment: null, kind: 'app-removed', before: old.owner, risk: 'low', why: 'check the client is retired in the portal too' })
    }
    // Stable sort: equal risks keep the file's order.
    changes.push(...changes.splice(start).sort((a, b) => riskRank(b.risk) - riskRank(a.risk)))
  }
  return { summary: summarize(changes), changes }
}
