// The parts of check() that come with provider profiles (docs/providers.md): the request's
// resource/audience against the entry, and the profile's request rules.
import { quote } from './findings.js'
import type { ProviderProfile, RequestContext } from './providers/profile.js'
import type { AppPolicy, EnvironmentPolicy, Violation } from './types.js'

type Target = 'resource' | 'audience'

const LIST: Record<Target, 'resources' | 'audiences'> = { resource: 'resources', audience: 'audiences' }

/**
 * The value that would be sent when `value` is the entry's or in its list; otherwise a
 * `resource_not_allowed` / `audience_not_allowed` violation and the entry's own value.
 */
export function targetViolation (
  kind: Target,
  value: unknown,
  env: EnvironmentPolicy,
  app: AppPolicy,
  violations: Violation[]
): string | undefined {
  const own = env[kind]
  const list = env[LIST[kind]] ?? []
  if (typeof value === 'string' && (value === own || list.includes(value))) return value
  const allowed = [own, ...list].filter((v): v is string => v !== undefined)
  const shown = typeof value === 'string' ? quote(value) : `a ${typeof value}`
  violations.push({
    scope: '',
    code: kind === 'resource' ? 'resource_not_allowed' : 'audience_not_allowed',
    message:
      `${kind} ${shown} is not allowed for ${app.app}/${env.name}: ` +
      (allowed.length === 0
        ? `the entry names no ${kind}; add it as \`${kind}:\` (or under \`${LIST[kind]}:\`) in ${app.file}`
        : `it allows ${allowed.map((v) => quote(v)).join(', ')}; send one of those, or add it under \`${LIST[kind]}:\` in ${app.file}`),
    ...(allowed.length === 1 ? { suggestion: allowed[0] } : {}),
  })
  return own
}

/** The profile's request rules; a generic violation for the same scope wins over `provider_rule`. */
export function providerViolations (profile: ProviderProfile, req: RequestContext, violations: Violation[]): void {
  for (const rule of profile.requestRules) {
    for (const v of rule.check(req)) {
      const taken = v.scope !== ''
        ? violations.some((o) => o.scope === v.scope)
        : v.code === 'provider_rule' && violations.some((o) => o.code === 'empty')
      if (!taken) violations.push(v)
    }
  }
}
