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
