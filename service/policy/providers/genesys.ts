// `provider: genesys` (Genesys Cloud, docs/providers.md). Facts from the Genesys Cloud Developer Center:
// - "Client Credentials Grant" (developer.genesys.cloud/authorization/platform-auth/use-client-credentials):
//   POST https://login.<region>/oauth/token (e.g. login.mypurecloud.com); the OAuth client's roles
//   (Menu → IT and Integrations → OAuth → (your client) → Roles) decide what the token may do; token
//   lifetime 300–172 800 s. `api.<region>/api/v2/oauth/token`, seen in forum answers, is not a token endpoint.
// - The regions below: the Platform API client SDK's own table (purecloud-platform-client-v2,
//   PureCloudRegionHosts: us_east_1 mypurecloud.com … eu_central_2 euc2.pure.cloud). A new region
//   appears now and then: another `login.` host under these domains is a warning, never an error.
// - "Rate limits" (developer.genesys.cloud/platform/api/rate-limits): token requests are limited;
//   a 429 carries Retry-After.
// - A wrong client or secret: 401 invalid_client; its commonest cause is a client of another
//   region (clients exist only in their own region). The exact words vary in users' reports
//   ("authentication failed", "Client authentication failed", none): matched on the code only.
import { oauthErrorBody, parseUrl, scopeGrant } from './common.js'
import type { EntryProblem, ProviderProfile } from './profile.js'

const ROLES = 'Genesys Cloud: Menu → IT and Integrations → OAuth → (your client) → Roles'
const REGION = 'check the region: the client exists only in its own region\'s login host (login.<region> of the org\'s region); ' +
  'Genesys Cloud: Menu → IT and Integrations → OAuth → (your client): the Client ID and Client Secret'

/** The regions' domains (the token host is `login.<region>`). */
export const GENESYS_REGIONS: readonly string[] = [
  'mypurecloud.com', 'mypurecloud.ie', 'mypurecloud.de', 'mypurecloud.jp', 'mypurecloud.com.au',
  'usw2.pure.cloud', 'cac1.pure.cloud', 'apne2.pure.cloud', 'euw2.pure.cloud', 'aps1.pure.cloud',
  'sae1.pure.cloud', 'mec1.pure.cloud', 'apne3.pure.cloud', 'euc2.pure.cloud', 'use2.us-gov-pure.cloud',
]

const RULE = '(rule genesys-login-endpoint)'

function endpointProblems (tokenEndpoint: string): EntryProblem[] {
  const url = parseUrl(tokenEndpoint)
  if (!url) return []
  const host = url.hostname.toLowerCase()
  const region = host.replace(/^(api|login)\./, '')
  if (host.startsWith('api.') || url.pathname.startsWith('/api/')) {
    return [{
      severity: 'error',
      field: 'tokenEndpoint',
      message: `tokenEndpoint is an API path, not the token endpoint: Genesys Cloud issues tokens at https://login.${region}/oauth/token ${RULE}`,
    }]
  }
  if (host.startsWith('login.') && url.pathname === '/oauth/token') {
    if (GENESYS_REGIONS.includes(region)) return []
    return [{
      severity: 'warning',
      field: 'tokenEndpoint',
      message: `tokenEndpoint's region ${region} is not one of the known Genesys Cloud regions (${GENESYS_REGIONS.join(', ')}): check it is the org's region (a new region is fine) ${RULE}`,
    }]
  }
  return [{
    severity: 'warning',
    field: 'tokenEndpoint',
    message: `tokenEndpoint does not look like Genesys Cloud's: https://login.<region>/oauth/token, e.g. https://login.mypurecloud.com/oauth/token ${RULE}`,
  }]
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
    if (!e) return null
    return e.error === 'invalid_client' ? { ...e, hint: REGION } : { ...e, hint: ROLES }
  },
  hint: 'Genesys Cloud: Menu → IT and Integrations → OAuth → Roles',
}
