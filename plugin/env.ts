// Environment fallbacks for the plugin options. A copy of process.env is
// validated against a JSON Schema; the host's `config` decorator and
// @fastify/env are left alone (docs/plugin.md).
import { readFile } from 'node:fs/promises'
import { lazyValidator } from '../service/policy/json-schema.js'
import { InvalidOptionError } from './token/errors.js'

const text = (description: string) => ({ type: 'string', minLength: 1, description })

export const EnvSchema = {
  type: 'object',
  properties: {
    APP_TOKEN_CLIENT_ID: text('clientId'),
    APP_TOKEN_CLIENT_SECRET: text('clientSecret'),
    APP_TOKEN_CLIENT_SECRET_FILE: text('clientSecret, read from this file'),
    APP_TOKEN_PRIVATE_KEY: text('privateKey (PEM or JWK JSON), for private_key_jwt'),
    APP_TOKEN_PRIVATE_KEY_FILE: text('privateKey, read from this file'),
    APP_TOKEN_TLS_CERT_FILE: text('tls.cert, read from this file'),
    APP_TOKEN_TLS_KEY_FILE: text('tls.key, read from this file'),
    APP_TOKEN_TLS_CA_FILE: text('tls.ca, read from this file'),
    APP_TOKEN_DPOP_KEY: text('dpop.privateKey (PEM or JWK JSON), when DPoP is on'),
    APP_TOKEN_DPOP_KEY_FILE: text('dpop.privateKey, read from this file'),
    APP_TOKEN_ENDPOINT: text('tokenEndpoint'),
    APP_TOKEN_SCOPES: text('scopes, space-delimited'),
    APP_TOKEN_POLICY: text('policy folder'),
    APP_TOKEN_ENV: text('environment'),
    APP_TOKEN_PROVIDER: text('provider'),
    APP_TOKEN_AUDIENCE: text('audience'),
    APP_TOKEN_ORIGINS: text('origins, space-delimited'),
  },
}

const validate = lazyValidator(EnvSchema)

/** The plugin's variables (each a non-empty string when set). */
export type AppTokenEnv = { [K in keyof typeof EnvSchema.properties]?: string }

/** The plugin's variables from `source` (default process.env), validated. */
export function readEnv (source: NodeJS.ProcessEnv = process.env): AppTokenEnv {
  const copy = Object.fromEntries(Object.keys(EnvSchema.properties)
    .filter((key) => source[key] !== undefined)
    .map((key) => [key, source[key]]))
  const [error] = validate(copy)
  if (error !== undefined) {
    const variable = error.instancePath.slice(1)
    throw new InvalidOptionError(`environment variable ${variable} is set but empty: unset it or give it a value`)
  }
  for (const name of ['APP_TOKEN_CLIENT_SECRET', 'APP_TOKEN_PRIVATE_KEY', 'APP_TOKEN_DPOP_KEY'] as const) {
    if (copy[name] !== undefined && copy[`${name}_FILE`] !== undefined) {
      throw new InvalidOptionError(`both ${name} and ${name}_FILE are set: keep one`)
    }
  }
  return copy as AppTokenEnv
}

/** A credential mounted as a file (a secret, a PEM key or certificate) and the variable that names it. */
export interface MountedFile {
  path: string
  variable: string
  /** What the file holds, for messages: "client secret", "private key", … */
  what: string
}

/**
 * Reads a mounted credential. One trailing newline (`echo` and editors add it) is
 * not part of it; anything else is kept as is.
 */
export async function readSecretFile ({ path, variable, what }: MountedFile): Promise<string> {
  let content: string
  try {
    content = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidOptionError(`cannot read the ${what} file ${path} given by ${variable} (${(err as NodeJS.ErrnoException).code ?? 'error'}): mount it there or fix the path`)
  }
  const secret = content.endsWith('\r\n') ? content.slice(0, -2) : content.endsWith('\n') ? content.slice(0, -1) : content
  if (secret.length === 0) {
    throw new InvalidOptionError(`the ${what} file ${path} given by ${variable} is empty: write the ${what} into it`)
  }
  return secret
}

/**
 * A credential from a mounted file. After an invalid_client the file is read
 * again before the next token request, so a rotated secret or key is picked up
 * without a restart.
 */
export async function mountedFile (file: MountedFile): Promise<{ read: () => Promise<string>; onInvalidClient: () => void }> {
  let current = await readSecretFile(file)
  let stale = false
  return {
    read: async () => {
      if (stale) {
        current = await readSecretFile(file)
        stale = false
      }
      return current
    },
    onInvalidClient: () => { stale = true }
  }
}

/** The client secret from APP_TOKEN_CLIENT_SECRET_FILE, read again after an invalid_client. */
export async function mountedSecret (path: string): Promise<{ clientSecret: () => Promise<string>; onInvalidClient: () => void }> {
  const { read, onInvalidClient } = await mountedFile({ path, variable: 'APP_TOKEN_CLIENT_SECRET_FILE', what: 'client secret' })
  return { clientSecret: read, onInvalidClient }
}
