// A token that grants fewer scopes or roles than requested (docs/token-core.md, `onScopeNarrowed`;
// RFC 6749 §5.1 lets the server narrow the scope): an error, or a warning per fetch.
import { ScopeNarrowedError } from './errors.js'
import { consoleHint, type FetchedToken } from './fetch-token.js'
import type { TokenLogger } from './logger.js'
import type { ResolvedCacheOptions } from './options.js'

export function checkGranted (fetched: FetchedToken, opt: Pick<ResolvedCacheOptions, 'onScopeNarrowed' | 'profile'>, log: TokenLogger): void {
  const { token, missingRoles } = fetched
  if (fetched.missingScopes.length === 0 && missingRoles.length === 0) return
  if (opt.onScopeNarrowed === 'error') {
    throw new ScopeNarrowedError(fetched.requestedScopes, token.scopes, missingRoles, consoleHint(opt.profile))
  }
  log.warn({ requested: fetched.requestedScopes, granted: token.scopes, missing: fetched.missingScopes, ...(missingRoles.length > 0 ? { missingRoles } : {}) },
    'the token endpoint granted fewer scopes than requested')
}
