// Where verify finds each client's credentials (docs/verify.md), by its authMethod: the variable
// the entry's field names (`secretEnv`, `privateKeyEnv`, `tlsCertEnv`/`tlsKeyEnv`), else the
// default SCOPE_POLICY_<KIND>_<APP>_<ENV>; each also as NAME_FILE, a mounted file.
import { readFile } from 'node:fs/promises'
import { credentialVariables, type CredentialVariable } from '../secret-env.js'
import type { AppPolicy, EnvironmentPolicy } from '../types.js'
import type { TokenRequest } from './fetcher.js'

/** The credential fields of a token request. */
export type CredentialFields = Pick<TokenRequest, 'clientSecret' | 'privateKey' | 'tls'>

export type SecretLookup =
  /** `from`: the variables read, for messages (never a value). */
  | { credentials: CredentialFields; from: string }
  /** Why there is none, naming the variables (never a value). */
  | { credentials: null; why: string }

type OneLookup = { value: string; from: string } | { value: null; why: string }

async function lookUp (variable: CredentialVariable, vars: NodeJS.ProcessEnv): Promise<OneLookup> {
  const { name, what } = variable
  const value = vars[name]
  if (value !== undefined && value !== '') return { value, from: name }
  const fileVar = `${name}_FILE`
  const path = vars[fileVar]
  if (path === undefined || path === '') {
    return { value: null, why: `no ${what}: set ${name} (or ${fileVar}, the path of a file holding it)` }
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    return { value: null, why: `no ${what}: ${fileVar} names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }
  }
  // A mounted secret usually ends with one newline that is not part of it.
  const content = text.replace(/\r?\n$/, '')
  if (content === '') return { value: null, why: `no ${what}: the file ${fileVar} names is empty` }
  return { value: content, from: fileVar }
}

export async function lookUpSecret (app: AppPolicy, env: EnvironmentPolicy, vars: NodeJS.ProcessEnv): Promise<SecretLookup> {
  const variables = credentialVariables(app.app, env)
  const found = await Promise.all(variables.map((variable) => lookUp(variable, vars)))
  const values: Partial<Record<CredentialVariable['field'], string>> = {}
  for (const [i, one] of found.entries()) {
    if (one.value === null) return { credentials: null, why: one.why }
    values[variables[i]!.field] = one.value
  }
  const from = found.map((one) => (one.value === null ? '' : one.from)).join(' and ')
  if (values.secretEnv !== undefined) return { credentials: { clientSecret: values.secretEnv }, from }
  if (values.privateKeyEnv !== undefined) return { credentials: { privateKey: values.privateKeyEnv }, from }
  return { credentials: { tls: { cert: values.tlsCertEnv ?? '', key: values.tlsKeyEnv ?? '' } }, from }
}
