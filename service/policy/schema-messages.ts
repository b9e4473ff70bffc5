// What a schema error means in words, and where it points (docs/policy-files.md): split from
// policy-file.ts, which runs the checks.
import { quote } from './findings.js'
import type { ErrorObject } from './json-schema.js'
import { PROVIDER_NAMES } from './provider-schema.js'
import { authMethodProblem } from './rules/auth-method.js'
import { EnvironmentSchema, PolicyFileSchema } from './schema.js'
import { isVariableNameField, variableNameMessage } from './secret-env.js'

export type Path = readonly string[]

const ROOT_FIELDS = Object.keys(PolicyFileSchema.properties)
const ENV_FIELDS = Object.keys(EnvironmentSchema.properties)

export function parsePointer (p: string): string[] {
  if (p === '') return []
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

export function describeLocation (path: Path): string {
  const [top, env, field, scope] = path
  if (top === undefined) return 'the file'
  if (top !== 'environments' || env === undefined) return `"${top}"`
  if (field === undefined) return `environment ${quote(env)}`
  if (field === 'scopes' && scope !== undefined) return `the reason of scope ${quote(scope)} in environment ${quote(env)}`
  if (field === 'roles' && scope !== undefined) return `the reason of role ${quote(scope)} in environment ${quote(env)}`
  return `"${field}" of environment ${quote(env)}`
}

function typeName (value: unknown): string {
  if (value === null) return 'nothing (null)'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return `a ${typeof value}`
}

const MISSING_HINTS: Record<string, string> = {
  app: 'the app name, equal to the file name',
  owner: 'the team that answers for this app, e.g. "@org/team"',
  provider: 'write `provider: generic` (or your provider: docs/providers.md); `scope-policy fmt` adds `provider: generic` where it is missing',
  environments: 'one entry per environment (prod, staging, …)',
  clientId: 'the client id the developer portal shows',
  tokenEndpoint: 'the https: URL of the token endpoint',
  scopes: 'write `scopes: {}` to allow no scope, or list each scope with the reason it is needed',
}

/** One schema error: the field it is about, Ajv's keyword and params, and the value found there. */
export interface SchemaError {
  path: Path
  keyword: string
  params: Record<string, unknown>
  value: unknown
  message: string
}

const key = (path: Path): string => JSON.stringify(path)

/**
 * Ajv's errors as one error per field, the first found for it (a field that is missing has no
 * type error to add; an empty string is "empty", not also "not printable").
 */
export function schemaErrors (errors: readonly ErrorObject[]): SchemaError[] {
  const out: SchemaError[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    // propertyNames is for editors (schema.ts); the branches of an anyOf are said once, by its own error.
    if (e.propertyName !== undefined || e.keyword === 'propertyNames' || e.schemaPath.includes('/anyOf/')) continue
    const at = parsePointer(e.instancePath)
    const field = e.keyword === 'required' ? e.params.missingProperty : e.keyword === 'additionalProperties' ? e.params.additionalProperty : undefined
    const path = typeof field === 'string' ? [...at, field] : at
    if (seen.has(key(path))) continue
    seen.add(key(path))
    const value = typeof field === 'string' ? (e.data as Record<string, unknown>)[field] : e.data
    out.push({ path, keyword: e.keyword, params: e.params, value, message: e.message ?? e.keyword })
  }
  return out
}

export function schemaMessage (e: SchemaError): { message: string; prefer: 'key' | 'value' } {
  const { path } = e
  const last = path[path.length - 1] ?? ''
  const parent = path.slice(0, -1)
  const what = describeLocation(path)
  switch (e.keyword) {
    case 'required':
      return {
        message: `missing required field "${last}" in ${describeLocation(parent)}${MISSING_HINTS[last] ? `: ${MISSING_HINTS[last]}` : ''}`,
        prefer: 'key',
      }
    case 'additionalProperties':
      if (parent.length === 1 && parent[0] === 'environments') {
        return { message: `environment name ${quote(last)} must be letters, digits, ".", "_" or "-"`, prefer: 'key' }
      }
      return {
        message: `unknown field ${quote(last)} in ${describeLocation(parent)}; allowed: ${(parent.length === 0 ? ROOT_FIELDS : ENV_FIELDS).join(', ')}`,
        prefer: 'key',
      }
    case 'minProperties':
      return { message: 'environments must list at least one environment', prefer: 'value' }
    case 'type':
      return { message: typeMessage(e, what), prefer: 'value' }
    case 'minLength':
      return { message: `${what} must not be empty`, prefer: 'value' }
    case 'pattern':
      return {
        message:
          last === 'app'
            ? `app ${quote(String(e.value))} must be kebab-case: lowercase letters and digits joined by single hyphens`
            : isVariableNameField(path)
              ? variableNameMessage(last, path[1] ?? '')
              : `${what} must be printable ASCII (RFC 6749 Appendix A.1)`,
        prefer: 'value',
      }
    case 'anyOf':
      return {
        message:
          last === 'authMethod'
            ? (authMethodProblem(e.value) ?? `${what} must be a string`)
            : path.length === 1 && last === 'provider'
              ? `provider must be one of ${PROVIDER_NAMES.join(', ')} (docs/providers.md), got ${quote(String(e.value))}`
              : `${what} must be a string, got ${typeName(e.value)}`,
        prefer: 'value',
      }
    default:
      return { message: `${what}: ${e.message}`, prefer: 'value' }
  }
}

function typeMessage ({ path, params, value }: SchemaError, what: string): string {
  const last = path[path.length - 1] ?? ''
  switch (params.type) {
    case 'object':
      return last === 'scopes'
        ? `${what} must be a mapping of scope name to reason (\`read:x: why\`), got ${typeName(value)}; \`scopes: {}\` allows no scope`
        : `${what} must be a mapping, got ${typeName(value)}`
    case 'string':
      // A variable-name field never echoes its value: a secret may have been written there by mistake.
      if (isVariableNameField(path)) return variableNameMessage(last, path[1] ?? '')
      return `${what} must be a string, got ${typeName(value)}${typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: "${String(value)}")` : ''}`
    default:
      // dpop (a boolean), resources and audiences (arrays).
      return `${what}: Expected ${String(params.type)}`
  }
}
