// The token core (docs/token-core.md): one correct token request, and a cache that
// shares, refreshes and survives faults. Usable without the plugin.
export type { AuthMethod, ProviderName } from '../../service/policy/types.js'
export { AppToken, tokenFingerprint } from './app-token.js'
export { TokenCache } from './cache.js'
export type { GetTokenOptions, TokenCacheOptions, TokenEntryStats, TokenStats } from './cache.js'
export { fetchToken } from './fetch-token.js'
export type { FetchedToken } from './fetch-token.js'
export type { ClientSecret, FetchTokenOptions, TokenRequestOptions } from './options.js'
export type { ClientAuthOptions, TlsClientOptions } from './client-auth.js'
export type { PrivateJwk, PrivateKey, PrivateKeyMaterial, SigningAlg } from './assertion.js'
export type { DpopOption, ProofRequest } from './dpop.js'
export {
  AppTokenError,
  BadResponseError,
  ClosedError,
  DpopNotBoundError,
  HttpError,
  InsecureEndpointError,
  InvalidOptionError,
  NetworkError,
  OAuthError,
  RedirectError,
  ResponseTooLargeError,
  ScopeNarrowedError,
  SecretUnavailableError,
  TimeoutError
} from './errors.js'
export type { AppTokenErrorDetails } from './errors.js'
export type { TokenLogger } from './logger.js'
export { tokenMetrics } from './metrics.js'
export type { RequestOutcome, TokenMetrics } from './metrics.js'
export type { SharedTokenStore, StoredToken } from './shared-store.js'
export type { Quota } from './quota.js'
