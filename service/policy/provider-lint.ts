// Lint of one environment under its provider profile (docs/providers.md): the profile's request
// rules applied to the whitelist, its entry rules (endpoint shape, fields), and `roles:`.
import { isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml'
import { quote } from './findings.js'
import type { ProviderProfile } from './providers/profile.js'
import { isAuthMethod } from './rules/auth-method.js'
import { keyText } from './yaml-source.js'
import type { EnvironmentPolicy, SourceLocation, WhitelistedScope } from './types.js'

/** What the file check (file-check.ts) offers this lint. */
export interface LintSink {
  error(at: SourceLocation, code: string, message: string, path?: readonly string[]): void
  warn(at: SourceLocation, code: string, message: string): void
  nodeLoc(node: Node | null | undefined): SourceLocation
  isFlagged(path: readonly string[]): boolean
}

export interface EnvSketch {
  at: SourceLocation
  scopesAt: SourceLocation
  scopes: ReadonlyMap<string, WhitelistedScope>
}

function pairOf (map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => keyText(p) === key)
}

function stringValue (map: YAMLMap, key: string): string | undefined {
  const v = pairOf(map, key)?.value
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined
}

/** `roles:` as a map with places; a finding where the profile takes no roles. */
function readRoles (c: LintSink, profile: ProviderProfile, env: YAMLMap, base: readonly string[]): Map<string, WhitelistedScope> | undefined {
  const pair = pairOf(env, 'roles')
  if (!pair || !isMap(pair.value) || c.isFlagged([...base, 'roles'])) return undefined
  if (!profile.roles) {
    c.warn(
      c.nodeLoc(pair.key as Node),
      'provider-rule',
      `roles: are Entra application permissions; provider ${profile.name} never reads them: remove them, or set provider: entra (rule roles-entra-only)`
    )
  }
  const roles = new Map<string, WhitelistedScope>()
  for (const rolePair of pair.value.items) {
    const name = keyText(rolePair)
    if (name === null || c.isFlagged([...base, 'roles', name])) continue
    const at = c.nodeLoc(rolePair.key as Node)
    const reason = isScalar(rolePair.value) && typeof rolePair.value.value === 'string' ? rolePair.value.value : ''
    if (reason.trim() === '') c.warn(at, 'missing-reason', `role ${quote(name)} has no reason: say why the app needs it (ticket, feature) for reviewers`)
    roles.set(name, { name, reason, at })
  }
  return roles
}

/** Runs the profile on one environment; returns its roles for the build. */
export function lintProviderEntry (
  c: LintSink,
  profile: ProviderProfile,
  env: YAMLMap,
  base: readonly string[],
  sketch: EnvSketch
): Map<string, WhitelistedScope> | undefined {
  const roles = readRoles(c, profile, env, base)
  const tokenEndpoint = stringValue(env, 'tokenEndpoint')
  if (tokenEndpoint === undefined || c.isFlagged([...base, 'tokenEndpoint'])) return roles
  const resource = stringValue(env, 'resource')
  const audience = stringValue(env, 'audience')
  const method = stringValue(env, 'authMethod')
  const authMethod = method !== undefined && isAuthMethod(method) ? method : undefined
  const scopes = [...sketch.scopes.keys()]
  const fieldAt = (field: string): SourceLocation => {
    const pair = pairOf(env, field)
    return pair ? c.nodeLoc((pair.value ?? pair.key) as Node) : sketch.at
  }
  for (const rule of profile.requestRules) {
    for (const v of rule.check({ scopes, audience, resource, tokenEndpoint, authMethod })) {
      // Rules on a request's size (Entra's one scope) are not rules on the whitelist: an app may
      // hold two resources' /.default scopes and ask for one per token.
      if (v.scope === '' && v.code === 'provider_rule') continue
      const at = v.scope !== '' ? (sketch.scopes.get(v.scope)?.at ?? sketch.scopesAt) : sketch.at
      const suggestion = v.suggestion !== undefined && !v.message.includes(v.suggestion) ? ` (suggestion: ${v.suggestion})` : ''
      c.error(at, 'provider-rule', `${v.message}${suggestion}`)
    }
  }
  for (const w of profile.requestWarnings?.({ scopes, audience, resource, tokenEndpoint, authMethod }) ?? []) c.warn(fieldAt('audience'), 'missing-audience', w)
  for (const p of profile.entryProblems({ tokenEndpoint, scopes, resource, audience, authMethod, hasRoles: roles !== undefined })) {
    const at = p.field === 'scopes' ? sketch.scopesAt : fieldAt(p.field)
    if (p.severity === 'error') c.error(at, 'provider-rule', p.message)
    else c.warn(at, 'provider-rule', p.message)
  }
  return roles
}

/** The provider fields of a built environment. */
export function providerFields (
  env: { audience?: string; resources?: string[]; audiences?: string[] },
  roles: Map<string, WhitelistedScope> | undefined
): Pick<EnvironmentPolicy, 'audience' | 'resources' | 'audiences' | 'roles'> {
  return {
    ...(env.audience !== undefined ? { audience: env.audience } : {}),
    ...(env.resources !== undefined ? { resources: env.resources } : {}),
    ...(env.audiences !== undefined ? { audiences: env.audiences } : {}),
    ...(roles !== undefined ? { roles } : {}),
  }
}
