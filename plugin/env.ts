// Environment fallbacks for the plugin options. A copy of process.env is
// validated against a TypeBox schema; the host's `config` decorator and
// @fastify/env are left alone (docs/plugin.md).
import { readFile } from 'node:fs/promises'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidOptionError } from './token/errors.js'

const text = (description: string) => Type.Optional(Type.String({ minLength: 1, description }))

export const EnvSchema = Type.Object({
  APP_TOKEN_CLIENT_ID: text('clientId'),
  APP_TOKEN_CLIENT_SECRET: text('clientSecret'),
  APP_TOKEN_CLIENT_SECRET_FILE: text('clientSecret, read from this file'),
  APP_TOKEN_ENDPOINT: text('tokenEndpoint'),
  APP_TOKEN_SCOPES: text('scopes, space-delimited'),
  APP_TOKEN_POLICY: text('policy folder'),
  APP_TOKEN_ENV: text('environment'),
  APP_TOKEN_PROVIDER: text('provider'),
  APP_TOKEN_AUDIENCE: text('audience')
})

export type AppTokenEnv = Static<typeof EnvSchema>

/** The plugin's variables from `source` (default process.env), validated. */
export function readEnv (source: NodeJS.ProcessEnv = process.env): AppTokenEnv {
  const copy = Object.fromEntries(Object.keys(EnvSchema.properties)
    .filter((key) => source[key] !== undefined)
    .map((key) => [key, source[key]]))
  const error = Value.Errors(EnvSchema, copy).First()
  if (error !== undefined) {
    const variable = error.path.slice(1)
    throw new InvalidOptionError(`environment variable ${variable} is set but empty: unset it or give it a value`)
  }
  if (copy.APP_TOKEN_CLIENT_SECRET !== undefined && copy.APP_TOKEN_CLIENT_SECRET_FILE !== undefined) {
    throw new InvalidOptionError('both APP_TOKEN_CLIENT_SECRET and APP_TOKEN_CLIENT_SECRET_FILE are set: keep one')
  }
  return copy as AppTokenEnv
}

/**
 * Reads a mounted secret. One trailing newline (`echo` and editors add it) is
 * not part of the secret; anything else is kept as is.
 */
export async function readSecretFile (path: string): Promise<string> {
  let content: string
  try {
    content = await readFile(path, 'utf8')
  } catch (err) {
    throw new InvalidOptionError(`cannot read the client secret file ${path} given by APP_TOKEN_CLIENT_SECRET_FILE (${(err as NodeJS.ErrnoException).code ?? 'error'}): mount the secret there or fix the path`)
  }
  const secret = content.endsWith('\r\n') ? content.slice(0, -2) : content.endsWith('\n') ? content.slice(0, -1) : content
  if (secret.length === 0) {
    throw new InvalidOptionError(`the client secret file ${path} given by APP_TOKEN_CLIENT_SECRET_FILE is empty: write the secret into it`)
  }
  return secret
}

/**
 * The client secret from a mounted file. After an invalid_client the file is
 * read again before the next token request, so a rotated secret is picked up
 * without a restart.
 */
export async function mountedSecret (path: string): Promise<{ clientSecret: () => Promise<string>; onInvalidClient: () => void }> {
  let current = await readSecretFile(path)
  let stale = false
  return {
    clientSecret: async () => {
      if (stale) {
        current = await readSecretFile(path)
        stale = false
      }
      return current
    },
    onInvalidClient: () => { stale = true }
  }
}
