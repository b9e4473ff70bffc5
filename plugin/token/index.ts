// The token core (docs/token-core.md): one correct token request, and a cache that
// shares, refreshes and survives faults. Usable without the plugin.
export type { AuthMethod } from '../../service/policy/types.js'
export { AppToken, tokenFingerprint } from './app-token.js'
export { TokenCache } from './cache.js'
export type { GetTokenOptions, TokenCacheOptions, TokenEntryStats, TokenStats } from './cache.js'
export { fetchToken } from './request.js'
export type { FetchTokenOptions, FetchedToken, SecretSource } from './request.js'
export {
  AppTokenError,
  BadResponseError,
  ClosedError,
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
export type { SharedTokenStore, StoredToken } from './store.js'
