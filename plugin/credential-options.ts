// The plugin's credential options (docs/plugin.md): the method's credential from the options,
// else from its APP_TOKEN_… variables (mounted files read again after an invalid_client).
// The token core checks what comes out.
import { credentialKind, isAuthMethod } from '../service/policy/rules/auth-method.js'
import type { TokenCacheOptions } from './token/options.js'
import { mountedFile, readSecretFile, type AppTokenEnv } from './env.js'
import { fail } from './option-errors.js'

export type GivenCredentials = Pick<TokenCacheOptions, 'clientSecret' | 'privateKey' | 'tls' | 'onInvalidClient'>

export interface Credentials extends GivenCredentials {
  /** APP_TOKEN_CLIENT_SECRET_FILE, when the secret comes from it (read by the plugin at register). */
  secretFile: string | undefined
}

/** The credential options of the method, from the options or the environment (docs/plugin.md). */
export async function resolveCredentials (opts: GivenCredentials, env: AppTokenEnv, authMethod: string): Promise<Credentials> {
  // Options of another method go on to the core, which refuses them; variables of another
  // method are ignored (a migration from a secret to a key leaves the old one set).
  const { clientSecret, privateKey, tls, onInvalidClient } = opts
  const given = { clientSecret, secretFile: undefined, privateKey, tls, onInvalidClient }
  // A method the core does not know: the core says so.
  if (!isAuthMethod(authMethod)) return given
  const kind = credentialKind(authMethod)
  if (kind === 'secret') {
    const secretFile = clientSecret === undefined ? env.APP_TOKEN_CLIENT_SECRET_FILE : undefined
    if (clientSecret === undefined && env.APP_TOKEN_CLIENT_SECRET === undefined && secretFile === undefined) {
      fail('clientSecret', 'missing: pass clientSecret, or set APP_TOKEN_CLIENT_SECRET or APP_TOKEN_CLIENT_SECRET_FILE')
    }
    return { ...given, clientSecret: clientSecret ?? env.APP_TOKEN_CLIENT_SECRET, secretFile }
  }
  if (kind === 'private-key') {
    if (privateKey !== undefined || env.APP_TOKEN_PRIVATE_KEY !== undefined) return { ...given, privateKey: privateKey ?? env.APP_TOKEN_PRIVATE_KEY }
    const path = env.APP_TOKEN_PRIVATE_KEY_FILE
    if (path === undefined) fail('privateKey', `missing for authMethod ${authMethod}: pass privateKey (PEM, JWK or a function), or set APP_TOKEN_PRIVATE_KEY or APP_TOKEN_PRIVATE_KEY_FILE`)
    // Read again after an invalid_client, like the secret file: a rotated key needs no restart.
    const mounted = await mountedFile({ path, variable: 'APP_TOKEN_PRIVATE_KEY_FILE', what: 'private key' })
    return { ...given, privateKey: mounted.read, onInvalidClient: () => { mounted.onInvalidClient(); onInvalidClient?.() } }
  }
  if (tls !== undefined) return given
  const read = async (variable: 'APP_TOKEN_TLS_CERT_FILE' | 'APP_TOKEN_TLS_KEY_FILE' | 'APP_TOKEN_TLS_CA_FILE', what: string): Promise<string | undefined> => {
    const path = env[variable]
    return path === undefined ? undefined : await readSecretFile({ path, variable, what })
  }
  const [cert, key, ca] = await Promise.all([read('APP_TOKEN_TLS_CERT_FILE', 'TLS certificate'), read('APP_TOKEN_TLS_KEY_FILE', 'TLS key'), read('APP_TOKEN_TLS_CA_FILE', 'TLS CA')])
  if (cert === undefined || key === undefined) fail('tls', `missing for authMethod ${authMethod}: pass tls: { cert, key, ca? } (PEM strings), or set APP_TOKEN_TLS_CERT_FILE and APP_TOKEN_TLS_KEY_FILE`)
  return { ...given, tls: { cert, key, ...(ca !== undefined ? { ca } : {}) } }
}
