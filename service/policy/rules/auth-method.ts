// The client authentication methods (RFC 6749 §2.3.1), one rule for the policy
// files and the plugin. Pure.
import type { AuthMethod } from '../types.js'

export const AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post']

export const DEFAULT_AUTH_METHOD: AuthMethod = 'client_secret_basic'

export function isAuthMethod (value: unknown): value is AuthMethod {
  return value === 'client_secret_basic' || value === 'client_secret_post'
}

/** What is wrong with an authMethod value, or null. Echoes at most 40 characters of it. */
export function authMethodProblem (value: unknown): string | null {
  if (isAuthMethod(value)) return null
  return `authMethod must be client_secret_basic or client_secret_post, got ${JSON.stringify(String(value).slice(0, 40))}`
}
