// `provider: keycloak` (docs/providers.md). Facts from Keycloak's Server Administration Guide
// (keycloak.org/docs/latest/server_admin/):
// - "Client scopes": a requested scope must be a client scope linked to the client, default or
//   optional; default scopes are always in the token; `openid` is accepted. Otherwise:
//   invalid_scope "Invalid scopes: X".
// - "Service accounts": client_credentials needs "Service accounts roles" on the client, else
//   401 unauthorized_client "Client not enabled to retrieve service account" (Keycloak's own
//   client-credentials grant code throws it with Response.Status.UNAUTHORIZED).
// - A wrong secret: 401 unauthorized_client "Invalid client or Invalid client credentials"
//   (keycloak/keycloak#16923 and users' reports quoting the body); an unknown client: 401
//   invalid_client with the same words (users' reports, Keycloak 24+). Both read as invalid_client.
// - Securing applications, OIDC endpoints: /realms/<realm>/protocol/openid-connect/token (before
//   Keycloak 17 under /auth).
import { oauthErrorBody, parseUrl, scopeGrant } from './common.js'
import type { ProviderProfile } from './profile.js'

const CLIENT_SCOPES = 'Keycloak Admin Console: Clients → (your client) → Client scopes: assign the scope as Default or Optional'
const SERVICE_ACCOUNTS = 'Keycloak Admin Console: Clients → (your client) → Settings → Capability config: turn on Client authentication and Service accounts roles'
const CREDENTIALS = 'Keycloak Admin Console: Clients → (your client) → Credentials: the Client Secret, and the Client ID in Settings'
const BAD_CREDENTIALS = /Invalid client credentials/i
const ENDPOINT = /^(\/auth)?\/realms\/[^/]+\/protocol\/openid-connect\/token$/

export const keycloak: ProviderProfile = {
  name: 'keycloak',
  userScopeRule: false,
  roles: false,
  requestRules: [],
  entryProblems ({ tokenEndpoint }) {
    const path = parseUrl(tokenEndpoint)?.pathname
    if (path === undefined || ENDPOINT.test(path)) return []
    return [{
      severity: 'warning',
      field: 'tokenEndpoint',
      message: 'tokenEndpoint is not a Keycloak token endpoint: it is /realms/<realm>/protocol/openid-connect/token (before Keycloak 17: /auth/realms/…) (rule keycloak-realm-path)',
    }]
  },
  // Default client scopes come with every token: extra granted scopes are expected, and scopeGrant ignores them.
  readGrant: scopeGrant,
  readError (_status, body) {
    const e = oauthErrorBody(body)
    if (!e) return null
    if (e.error === 'invalid_client' || BAD_CREDENTIALS.test(e.error_description ?? '')) return { ...e, error: 'invalid_client', hint: CREDENTIALS }
    if (e.error === 'unauthorized_client') return { ...e, hint: SERVICE_ACCOUNTS }
    return { ...e, hint: CLIENT_SCOPES }
  },
  hint: 'Keycloak Admin Console: Clients → Client scopes',
}
