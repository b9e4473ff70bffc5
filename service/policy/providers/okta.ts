// `provider: okta` (docs/providers.md). Facts from Okta's documentation:
// - "Authorization servers" (developer.okta.com/docs/concepts/auth-servers/): the org authorization
//   server (`/oauth2/v1/token`) mints only Okta's own `okta.*` scopes; custom scopes need a custom
//   authorization server (`/oauth2/<id>/v1/token`); its answer otherwise: invalid_scope
//   "Custom scopes are not allowed for this request."
// - "Implement the Client Credentials flow" (developer.okta.com/docs/guides/implement-grant-type/clientcreds/):
//   no OIDC scopes; a request without scope gets the server's default scopes or is refused.
// - "Troubleshooting for API Access Management": one scope the access policy does not allow
//   refuses the whole request; no matching rule reads "Policy evaluation failed for this request".
// - "OpenID Connect & OAuth 2.0 API", possible errors: match the code, not the wording (nor the
//   status). A scope the server lacks: invalid_scope "One or more scopes are not configured for the
//   authorization server resource."; one it has that no access-policy rule grants this client:
//   access_denied "Policy evaluation failed for this request, please check the policy configurations."
//   (support article "Tokens not issued with lifetime configured in access rule": no matching rule).
// - Support article "Client Credentials requests to the Org Authorization Server must use the
//   private_key_jwt token_endpoint_auth_method": a secret there is refused (the article quotes the
//   words, not the error code or status: the rule refuses before sending instead).
// - Support article "The DPoP proof JWT header is missing": an app with "Require DPoP header in token
//   requests" (the default for new API Services apps) answers invalid_dpop_proof without one.
import { oauthErrorBody, parseUrl, providerRule, scopeGrant } from './common.js'
import type { EntryFacts, EntryProblem, ProviderProfile, RequestContext } from './profile.js'
import type { Violation } from '../types.js'

const POLICIES = 'Okta Admin Console: Security → API → Authorization Servers → (your server) → Access Policies: a rule must allow this client and every scope it asks for'
const SCOPES = 'Okta Admin Console: Security → API → Authorization Servers → (your server) → Scopes: the scope must exist on this server (then allow it in Access Policies)'
const CREDENTIALS = 'Okta Admin Console: Applications → (your API Services app) → General: Client Credentials (client authentication and secret) and the Client Credentials grant'
const DPOP = 'this app requires DPoP: set `dpop` (or turn off "Require Demonstrating Proof of Possession (DPoP) header in token requests" in Applications → (your app) → General)'
const ORG_PRIVATE_KEY = 'Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method'

const ORG_SERVER = /^\/oauth2\/v1\/token$/
const CUSTOM_SERVER = /^\/oauth2\/[^/]+\/v1\/token$/
const OKTA_SCOPE = 'okta.'

const isOrgServer = (endpoint: string): boolean => ORG_SERVER.test(parseUrl(endpoint)?.pathname ?? '')

function customScopeRule (req: RequestContext): Violation[] {
  if (!isOrgServer(req.tokenEndpoint)) return []
  return req.scopes
    .filter((scope) => !scope.startsWith(OKTA_SCOPE))
    .map((scope) => providerRule(
      scope,
      'okta-custom-scope-server',
      `scope ${JSON.stringify(scope)} is a custom scope, but the token endpoint is Okta's org authorization server (/oauth2/v1/token), which mints only okta.* scopes and answers invalid_scope "Custom scopes are not allowed for this request."; use a custom authorization server's endpoint, /oauth2/<authorizationServerId>/v1/token (e.g. /oauth2/default/v1/token)`
    ))
}

const orgSecretMessage = (authMethod: string): string =>
  `the token endpoint is Okta's org authorization server (/oauth2/v1/token) and authMethod is ${authMethod}: Okta answers "${ORG_PRIVATE_KEY}"; set authMethod: private_key_jwt (Applications → (your app) → General → Client Credentials: Public key / Private key), or use a custom authorization server`

/** The org server takes client credentials only with private_key_jwt; null when that is not the question. */
function orgSecret (tokenEndpoint: string, authMethod: string | undefined): string | null {
  const method = authMethod ?? 'client_secret_basic'
  return isOrgServer(tokenEndpoint) && method !== 'private_key_jwt' ? method : null
}

function orgPrivateKeyRule (req: RequestContext): Violation[] {
  const method = orgSecret(req.tokenEndpoint, req.authMethod)
  return method === null ? [] : [providerRule('', 'okta-org-private-key-jwt', orgSecretMessage(method))]
}

function entryProblems ({ tokenEndpoint, scopes, authMethod }: EntryFacts): EntryProblem[] {
  const out: EntryProblem[] = []
  const method = orgSecret(tokenEndpoint, authMethod)
  if (method !== null) out.push({ severity: 'error', field: 'authMethod', message: `${orgSecretMessage(method)} (rule okta-org-private-key-jwt)` })
  const path = parseUrl(tokenEndpoint)?.pathname
  if (path !== undefined && !ORG_SERVER.test(path) && !CUSTOM_SERVER.test(path)) {
    out.push({
      severity: 'warning',
      field: 'tokenEndpoint',
      message: 'tokenEndpoint is not an Okta token endpoint: a custom authorization server answers at /oauth2/<authorizationServerId>/v1/token, the org server at /oauth2/v1/token (rule okta-endpoint)',
    })
  }
  if (scopes.length === 0) {
    out.push({
      severity: 'warning',
      field: 'scopes',
      message: 'no scope whitelisted: Okta refuses a client_credentials request without scope unless the authorization server has default scopes (rule okta-scope-required)',
    })
  }
  return out
}

export const okta: ProviderProfile = {
  name: 'okta',
  userScopeRule: true,
  roles: false,
  requestRules: [
    { name: 'okta-custom-scope-server', check: customScopeRule },
    { name: 'okta-org-private-key-jwt', check: orgPrivateKeyRule },
  ],
  entryProblems,
  readGrant: scopeGrant,
  readError (_status, body) {
    const e = oauthErrorBody(body)
    if (!e) return null
    switch (e.error) {
      case 'invalid_scope':
        return { ...e, hint: SCOPES }
      case 'invalid_dpop_proof':
        return { ...e, hint: DPOP }
      case 'invalid_client':
      case 'unauthorized_client':
        return { ...e, hint: CREDENTIALS }
      default:
        return { ...e, hint: POLICIES }
    }
  },
  hint: 'Okta Admin Console: Security → API → Authorization Servers → Access Policies',
}
