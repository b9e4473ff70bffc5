// `provider: genesys` (Genesys Cloud, docs/providers.md). Facts from the Genesys Cloud Developer Center:
// - "Client Credentials Grant" (developer.genesys.cloud/authorization/platform-auth/use-client-credentials):
//   POST https://login.<region>/oauth/token (e.g. login.mypurecloud.com); the OAuth client's roles
//   (Admin → Integrations → OAuth → Roles) decide what the token may do; token lifetime 300–172 800 s.
//   `api.<region>/api/v2/oauth/token`, seen in forum answers, is not a token endpoint.
// - "Rate limits" (developer.genesys.cloud/platform/api/rate-limits): token requests are limited;
//   a 429 carries Retry-After.
import { oauthErrorBody, parseUrl, scopeGrant } from './common.js'
import type { EntryProblem, ProviderProfile } from './profile.js'

const ROLES = 'Genesys Cloud: Admin → Integrations → OAuth → (your client) → Roles'

function endpointProblems (tokenEndpoint: string): EntryProblem[] {
  const url = parseUrl(tokenEndpoint)
  if (!url) return []
  const region = url.hostname.replace(/^(api|login)\./, '')
  if (url.hostname.startsWith('api.') || url.pathname.startsWith('/api/')) {
    return [{
      severity: 'error',
      field: 'tokenEndpoint',
      message: `tokenEndpoint is an API path, not the token endpoint: Genesys Cloud issues tokens at https://login.${region}/oauth/token (rule genesys-login-endpoint)`,
    }]
  }
  if (!url.hostname.startsWith('login.') || url.pathname !== '/oauth/token') {
    return [{
      severity: 'warning',
      field: 'tokenEndpoint',
      message: 'tokenEndpoint does not look like Genesys Cloud\'s: https://login.<region>/oauth/token, e.g. https://login.mypurecloud.com/oauth/token (rule genesys-login-endpoint)',
    }]
  }
  return []
}

export const genesys: ProviderProfile = {
  name: 'genesys',
  userScopeRule: true,
  roles: false,
  requestRules: [],
  entryProblems: (entry) => endpointProblems(entry.tokenEndpoint),
  // The response's `scope` when present (RFC 6749 §5.1); roles, not scopes, decide access.
  readGrant: scopeGrant,
  readError (status, body) {
    if (status === 429) {
      const e = oauthErrorBody(body)
      return {
        // RFC 6749 §5.2 has no rate-limit code; temporarily_unavailable is the closest (§4.1.2.1).
        error: 'temporarily_unavailable',
        ...(e?.error_description !== undefined ? { error_description: e.error_description } : {}),
        hint: 'Genesys Cloud rate-limits token requests: keep the token until it expires, share it between replicas, and wait for Retry-After',
      }
    }
    const e = oauthErrorBody(body)
    return e && { ...e, hint: ROLES }
  },
  hint: 'Genesys Cloud: Admin → Integrations → OAuth → Roles',
}
