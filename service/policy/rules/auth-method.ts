// The client authentication methods, one rule for the policy files, the plugin and lint. Pure.
// RFC 6749 §2.3.1 (secret), RFC 7523 §2.2 (private_key_jwt), RFC 8705 §2 (mutual TLS).

export const SECRET_METHODS = ['client_secret_basic', 'client_secret_post'] as const
export const TLS_METHODS = ['tls_client_auth', 'self_signed_tls_client_auth'] as const
export const AUTH_METHODS = [...SECRET_METHODS, 'private_key_jwt', ...TLS_METHODS] as const

/** How the client authenticates at the token endpoint: RFC 6749 §2.3.1 (`client_secret_basic`, the default, and `client_secret_post`), RFC 7523 §2.2 (`private_key_jwt`), RFC 8705 §2 (`tls_client_auth`, `self_signed_tls_client_auth`). */
export type AuthMethod = (typeof AUTH_METHODS)[number]

/** The method of an entry or client that names none: RFC 6749 §2.3.1 says servers must support it. */
export const DEFAULT_AUTH_METHOD: AuthMethod = 'client_secret_basic'

export function isAuthMethod (value: unknown): value is AuthMethod {
  return (AUTH_METHODS as readonly unknown[]).includes(value)
}

/** What is wrong with an authMethod value, or null. Echoes at most 40 characters of it. */
export function authMethodProblem (value: unknown): string | null {
  if (isAuthMethod(value)) return null
  return `authMethod must be one of ${AUTH_METHODS.join(', ')}, got ${JSON.stringify(String(value).slice(0, 40))}`
}

/** What the method authenticates with: a shared secret, a private key (signing), or a TLS client certificate. */
export function credentialKind (method: AuthMethod): 'secret' | 'private-key' | 'tls' {
  if ((SECRET_METHODS as readonly string[]).includes(method)) return 'secret'
  return method === 'private_key_jwt' ? 'private-key' : 'tls'
}

/** The variable-name fields (docs/verify.md) that only make sense for another kind of credential. */
const FOREIGN_FIELDS = {
  secret: ['privateKeyEnv', 'tlsKeyEnv', 'tlsCertEnv'],
  'private-key': ['secretEnv', 'tlsKeyEnv', 'tlsCertEnv'],
  tls: ['secretEnv', 'privateKeyEnv']
} as const

/**
 * `auth-method-credential`: an entry naming the variable of a credential its method does not use
 * (a `private_key_jwt` client with `secretEnv`, a secret client with `privateKeyEnv`): verify would
 * read the wrong thing, and a reviewer is misled about how the client signs in.
 */
export function credentialFieldProblem (env: { authMethod: AuthMethod; secretEnv?: string; privateKeyEnv?: string; tlsCertEnv?: string; tlsKeyEnv?: string }): string | null {
  const foreign = FOREIGN_FIELDS[credentialKind(env.authMethod)].filter((field) => env[field] !== undefined)
  if (foreign.length === 0) return null
  const uses = { secret: 'secretEnv', 'private-key': 'privateKeyEnv', tls: 'tlsCertEnv and tlsKeyEnv' }[credentialKind(env.authMethod)]
  return `authMethod ${env.authMethod} does not use ${foreign.join(', ')}: remove ${foreign.length === 1 ? 'it' : 'them'} (this method reads ${uses}), or fix authMethod`
}
