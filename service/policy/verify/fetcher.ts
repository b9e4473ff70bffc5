// What verify needs from a token client (docs/verify.md). The service never imports the plugin:
// the `scope-policy` bin hands in the token core's one-request `fetchToken` behind this shape.
import type { AuthMethod, ProviderName } from '../types.js'

export interface TokenRequest {
  tokenEndpoint: string
  clientId: string
  /** One of these, by authMethod (docs/verify.md): a secret, a private key (PEM or JWK JSON), a client certificate and its key (PEM). */
  clientSecret?: string
  privateKey?: string
  tls?: { cert: string; key: string }
  authMethod: AuthMethod
  scopes: string[]
  resource?: string
  /** Sent as the `audience` form parameter (docs/providers.md). */
  audience?: string
  /** Whose rules the request and its errors follow (Entra sends no `resource`). */
  provider: ProviderName
  /** RFC 9449: a DPoP proof with the request (the policy entry's `dpop: true`). */
  dpop?: boolean
  /** ms for the whole exchange. */
  timeout: number
}

export interface TokenGrant {
  /** The scopes the server says it granted; empty when `grantedFrom` is `none`. */
  scopes: string[]
  /** `response`: RFC 6749 §5.1 `scope`; `jwt`: the access token's `scope` claim (RFC 9068 §2.2.3); `none`: neither. */
  grantedFrom: 'response' | 'jwt' | 'none'
  /** A short hash of the access token: the token itself never reaches verify. */
  fingerprint: string
  /** Application roles carried by the token (a provider profile reads them). */
  roles?: string[]
}

/** One token request, never retried inside: verify decides on the one retry. */
export type TokenFetcher = (request: TokenRequest) => Promise<TokenGrant>

/** The fields verify reads from a failed request (the token core's errors carry them). */
export interface TokenFetchFailure {
  message: string
  /** e.g. FST_APP_TOKEN_OAUTH_ERROR, FST_APP_TOKEN_NETWORK. */
  code?: string
  /** True when trying again later can succeed (network, timeout, 5xx, 429). */
  transient?: boolean
  /** The token endpoint's HTTP status, when it answered. */
  status?: number
  /** RFC 6749 §5.2 `error` and `error_description`, the server's words. */
  error?: string
  error_description?: string
  /** Seconds the server asked to wait (Retry-After). */
  retryAfter?: number
}

export function asFailure (err: unknown): TokenFetchFailure {
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return err as TokenFetchFailure
  }
  return { message: String(err) }
}
