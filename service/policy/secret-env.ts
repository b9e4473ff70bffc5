// The `…Env` fields of an environment (docs/verify.md): each names the environment variable that
// holds a credential, never the credential. Also the default variables of `scope-policy verify`
// (per auth method) and the lint rule that two entries must not share one.
import { finding, quote } from './findings.js'
import { credentialKind } from './rules/auth-method.js'
import type { AppPolicy, EnvironmentPolicy, Finding } from './types.js'

export const VARIABLE_NAME_FIELDS = ['secretEnv', 'privateKeyEnv', 'tlsCertEnv', 'tlsKeyEnv'] as const
export type VariableNameField = (typeof VARIABLE_NAME_FIELDS)[number]

/** True for `environments.<env>.<field>` of a variable-name field: exempt from the secret-key lint. */
export function isVariableNameField (path: readonly string[]): boolean {
  return path.length === 3 && path[0] === 'environments' && (VARIABLE_NAME_FIELDS as readonly string[]).includes(path[2] ?? '')
}

/** The schema message for a value that is not a variable name: never echoes it (it may be the secret). */
export function variableNameMessage (field: string, environment: string): string {
  return `"${field}" of environment ${quote(environment)} must be the NAME of an environment variable (A-Z, 0-9 and _, not starting with a digit), never the value: put the credential in that variable`
}

/** What one credential variable holds, its field and the default name's infix. */
const CREDENTIALS = {
  secretEnv: { what: 'secret', infix: 'SECRET' },
  privateKeyEnv: { what: 'private key', infix: 'PRIVATE_KEY' },
  tlsCertEnv: { what: 'TLS certificate', infix: 'TLS_CERT' },
  tlsKeyEnv: { what: 'TLS key', infix: 'TLS_KEY' }
} as const satisfies Record<VariableNameField, unknown>

/** The fields each kind of auth method reads (rules/auth-method.ts). */
const FIELDS_OF = { secret: ['secretEnv'], 'private-key': ['privateKeyEnv'], tls: ['tlsCertEnv', 'tlsKeyEnv'] } as const

/** `SCOPE_POLICY_<KIND>_<APP>_<ENV>`: upper case, every character other than A-Z and 0-9 as `_`. */
function defaultVariable (field: VariableNameField, app: string, environment: string): string {
  return `SCOPE_POLICY_${CREDENTIALS[field].infix}_${app}_${environment}`.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

/** `SCOPE_POLICY_SECRET_<APP>_<ENV>`. */
export function defaultSecretEnv (app: string, environment: string): string {
  return defaultVariable('secretEnv', app, environment)
}

export interface CredentialVariable {
  field: VariableNameField
  /** The variable verify reads: the field's value when set (then the default is not read). */
  name: string
  /** True when `name` is the default, not the field's value. */
  byDefault: boolean
  what: string
}

/** The variables verify reads for an entry, by its authMethod: one secret, one key, or a certificate and its key. */
export function credentialVariables (app: string, env: EnvironmentPolicy): CredentialVariable[] {
  return FIELDS_OF[credentialKind(env.authMethod)].map((field) => {
    const given = env[field]
    return { field, name: given ?? defaultVariable(field, app, env.name), byDefault: given === undefined, what: CREDENTIALS[field].what }
  })
}

/** The variable verify reads the secret from: `secretEnv` when set (then the default is not read). */
export function secretEnvOf (app: string, env: EnvironmentPolicy): string {
  return env.secretEnv ?? defaultSecretEnv(app, env.name)
}

/**
 * `secret-env-collision`: two entries whose default names are the same (`a-b`/`c` and `a`/`b-c`)
 * would be verified with one credential. Setting the field (`secretEnv`, `privateKeyEnv`, …) on one ends it.
 */
export function secretEnvCollisions (apps: Iterable<AppPolicy>): Finding[] {
  const first = new Map<string, { app: string; env: EnvironmentPolicy }>()
  const findings: Finding[] = []
  for (const app of apps) {
    for (const env of app.environments.values()) {
      for (const variable of credentialVariables(app.app, env)) {
        if (!variable.byDefault) continue
        const seen = first.get(variable.name)
        if (!seen) {
          first.set(variable.name, { app: app.app, env })
          continue
        }
        findings.push(finding(env.at, 'error', 'secret-env-collision',
          `${app.app}/${env.name} and ${seen.app}/${seen.env.name} (${seen.env.at.file}:${seen.env.at.line}) both read their ${variable.what} from ${variable.name}: set ${variable.field} on one of them`))
      }
    }
  }
  return findings
}

/** verify reads only variables with this prefix, unless `--allow-env NAME` names one (docs/verify.md). */
export const VARIABLE_PREFIX = 'SCOPE_POLICY_'

export interface VariableProblem {
  code: 'secret-env-prefix' | 'secret-env-shared'
  /** True when the entry and every other reader use default names: `secret-env-collision` already says so. */
  byDefault: boolean
  message: string
}

/**
 * Why verify must not read an entry's credential: a variable outside `SCOPE_POLICY_…` that
 * `allowEnv` does not name, or one another entry reads too. Either way a policy change would
 * choose which secret is sent where (docs/verify.md, "Threat model").
 */
export function variableProblems (apps: Iterable<AppPolicy>, allowEnv: ReadonlySet<string> = new Set()): Map<EnvironmentPolicy, VariableProblem[]> {
  const entries = [...apps].flatMap((app) => [...app.environments.values()].map((env) => ({ app: app.app, env, variables: credentialVariables(app.app, env) })))
  const readers = new Map<string, Array<{ app: string; env: EnvironmentPolicy }>>()
  /** Names some entry gives explicitly (not only as its default). */
  const nonDefault = new Set<string>()
  for (const { app, env, variables } of entries) {
    for (const v of variables) {
      const list = readers.get(v.name) ?? []
      list.push({ app, env })
      readers.set(v.name, list)
      if (!v.byDefault) nonDefault.add(v.name)
    }
  }
  const problems = new Map<EnvironmentPolicy, VariableProblem[]>()
  for (const { app, env, variables } of entries) {
    const found: VariableProblem[] = []
    for (const v of variables) {
      if (!v.name.startsWith(VARIABLE_PREFIX) && !allowEnv.has(v.name)) {
        found.push({
          code: 'secret-env-prefix',
          byDefault: false,
          message: `${app}/${env.name}: ${v.field} names ${v.name}, not a ${VARIABLE_PREFIX}… variable: verify skips the entry unless run with --allow-env ${v.name} (a policy change must not choose which secret is sent)`,
        })
      }
      const all = readers.get(v.name) ?? []
      const others = all.length - variables.filter((x) => x.name === v.name).length
      if (others === 0) continue
      // A few named, the rest counted: entries sharing one name must not make quadratic work or messages.
      const named = all.slice(0, 4).filter((r) => r.env !== env).slice(0, 3).map((o) => `${o.app}/${o.env.name} (${o.env.at.file}:${o.env.at.line})`)
      if (others > named.length) named.push(`${others - named.length} more`)
      found.push({
        code: 'secret-env-shared',
        byDefault: !nonDefault.has(v.name),
        message: `${app}/${env.name} reads its ${v.what} from ${v.name}, as ${named.join(', ')} ${others === 1 ? 'does' : 'do'}: verify skips every entry that shares a variable; give each its own`,
      })
    }
    if (found.length > 0) problems.set(env, found)
  }
  return problems
}

/** `secret-env-prefix` and `secret-env-shared` as lint warnings: fields only verify reads never stop a folder from loading. */
export function secretEnvWarnings (apps: Iterable<AppPolicy>): Finding[] {
  const findings: Finding[] = []
  for (const [env, problems] of variableProblems(apps)) {
    for (const p of problems) if (!p.byDefault) findings.push(finding(env.at, 'warning', p.code, p.message))
  }
  return findings
}
