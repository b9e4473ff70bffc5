// Where verify finds each client's secret (docs/verify.md): the variable `secretEnv` names, else
// SCOPE_POLICY_SECRET_<APP>_<ENV>; each also as NAME_FILE, a mounted file.
import { readFile } from 'node:fs/promises'
import { secretEnvOf } from '../secret-env.js'
import type { AppPolicy, EnvironmentPolicy } from '../types.js'

export type SecretLookup =
  | { secret: string; from: string }
  /** Why there is none, naming the variables (never a value). */
  | { secret: null; why: string }

export async function lookUpSecret (app: AppPolicy, env: EnvironmentPolicy, vars: NodeJS.ProcessEnv): Promise<SecretLookup> {
  const name = secretEnvOf(app.app, env)
  const value = vars[name]
  if (value !== undefined && value !== '') return { secret: value, from: name }
  const fileVar = `${name}_FILE`
  const path = vars[fileVar]
  if (path === undefined || path === '') {
    return { secret: null, why: `no secret: set ${name} (or ${fileVar}, the path of a file holding it)` }
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    return { secret: null, why: `no secret: ${fileVar} names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }
  }
  // A mounted secret usually ends with one newline that is not part of it.
  const secret = text.replace(/\r?\n$/, '')
  if (secret === '') return { secret: null, why: `no secret: the file ${fileVar} names is empty` }
  return { secret, from: fileVar }
}
