// The `…Env` fields of an environment (docs/verify.md): each names the environment variable that
// holds a credential, never the credential. Also the default secret variable of `scope-policy
// verify` and the lint rule that two entries must not share it.
import { finding, quote } from './findings.js'
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

/** `SCOPE_POLICY_SECRET_<APP>_<ENV>`: upper case, every character other than A-Z and 0-9 as `_`. */
export function defaultSecretEnv (app: string, environment: string): string {
  return `SCOPE_POLICY_SECRET_${app}_${environment}`.toUpperCase().replace(/[^A-Z0-9]/g, '_')
}

/** The variable verify reads the secret from: `secretEnv` when set (then the default is not read). */
export function secretEnvOf (app: string, env: EnvironmentPolicy): string {
  return env.secretEnv ?? defaultSecretEnv(app, env.name)
}

/**
 * `secret-env-collision`: two entries without `secretEnv` whose default names are the same
 * (`a-b`/`c` and `a`/`b-c`) would be verified with one secret. Setting `secretEnv` on one ends it.
 */
export function secretEnvCollisions (apps: Iterable<AppPolicy>): Finding[] {
  const first = new Map<string, { app: string; env: EnvironmentPolicy }>()
  const findings: Finding[] = []
  for (const app of apps) {
    for (const env of app.environments.values()) {
      if (env.secretEnv !== undefined) continue
      const name = defaultSecretEnv(app.app, env.name)
      const seen = first.get(name)
      if (!seen) {
        first.set(name, { app: app.app, env })
        continue
      }
      findings.push(finding(env.at, 'error', 'secret-env-collision',
        `${app.app}/${env.name} and ${seen.app}/${seen.env.name} (${seen.env.at.file}:${seen.env.at.line}) both read their secret from ${name}: set secretEnv on one of them`))
    }
  }
  return findings
}
