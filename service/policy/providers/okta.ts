// `provider: okta` (docs/providers.md). Facts from Okta's documentation:
// - "Authorization servers" (developer.okta.com/docs/concepts/auth-servers/): the org authorization
//   server (`/oauth2/v1/token`) mints only Okta's own `okta.*` scopes; custom scopes need a custom
//   authorization server (`/oauth2/<id>/v1/token`); its answer otherwise: invalid_scope
//   "Custom scopes are not allowed for this request."
// - "Implement the Client Credentials flow" (developer.okta.com/docs/guides/implement-grant-type/clientcreds/):
//   no OIDC scopes; a request without scope gets the server's default scopes or is refused.
// - "Troubleshooting for API Access Management": one scope the access policy does not allow
//   refuses the whole request; no matching rule reads "Policy evaluation failed for this request".
// - "OpenID Connect & OAuth 2.0 API", possible errors: match the code, not the wording.
import { oauthErrorBody, parseUrl, providerRule, scopeGrant } from './common.js'
import type { EntryProblem, ProviderProfile, RequestContext } from './profile.js'
import type { Violation } from '../types.js'

const POLICIES = 'Okta Admin Console: Security → API → Authorization Servers → (your server) → Access Policies: a rule must allow this client and every scope it asks for'

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

function entryProblems ({ tokenEndpoint, scopes }: { tokenEndpoint: string; scopes: readonly string[] }): EntryProblem[] {
  const out: EntryProblem[] = []
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
  requestRules: [{ name: 'okta-custom-scope-server', check: customScopeRule }],
  entryProblems,
  readGrant: scopeGrant,
  readError (_status, body) {
    const e = oauthErrorBody(body)
    if (!e) return null
    switch (e.error) {
      case 'invalid_scope':
      case 'access_denied':
        return { ...e, hint: POLICIES }
      case 'invalid_client':
      case 'unauthorized_client':
        return { ...e, hint: 'Okta Admin Console: Applications → (your API Services app) → General: client credentials and the Client Credentials grant' }
      default:
        return { ...e, hint: POLICIES }
    }
  },
  hint: 'Okta Admin Console: Security → API → Authorization Servers → Access Policies',
}
