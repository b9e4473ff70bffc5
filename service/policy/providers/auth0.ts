// `provider: auth0` (docs/providers.md). Facts from Auth0's documentation:
// - "Call Your API Using the Client Credentials Flow" (auth0.com/docs/get-started/authentication-and-
//   authorization-flow/client-credentials-flow): the request carries `audience`, the API identifier.
//   Without it a tenant with a Default Audience (Settings → API Authorization Settings) answers 200
//   for that API, one without answers 403 "No audience parameter was provided": a warning, not an error.
// - "Client Grants" (auth0.com/docs/get-started/applications/application-access-to-apis-client-credentials):
//   a scope is granted to one application for one API; anything else is a 403 `access_denied`.
// - A wrong client id or secret: 401 `access_denied` "Unauthorized" (users' reports quoting the body:
//   github.com/auth0/node-auth0/issues/682, auth0/laravel-auth0#42 "the only reason of this error is
//   if either client id or secret are wrong"). Read as invalid_client, so the credentials hint and the
//   secret re-read apply.
// - "Fine-grained M2M token quotas" (auth0.com/docs/fine-grained-m2m-token-quotas): per-application and
//   per-organization hourly/daily token quotas; answers carry `Auth0-Client-Quota-Limit` /
//   `Auth0-Organization-Quota-Limit` (`b=per_hour;q=10;r=7;t=3540,…`), and over the quota a 429 (its
//   body's words were not confirmed from a source: only the status and headers are relied on).
import { oauthErrorBody, scopeGrant } from './common.js'
import type { ProviderProfile } from './profile.js'

const HINT = 'Auth0 Dashboard: Applications → APIs → (your API) → Application Access (or the application\'s "APIs" tab): authorize the app and tick the scope'
const NO_AUDIENCE_WARNING = 'no `audience`: Auth0 issues a client_credentials token for one API, named by `audience`; without it the token is for the tenant\'s Default Audience ' +
  '(Dashboard: Settings → API Authorization Settings) when one is set, else Auth0 answers 403 access_denied "No audience parameter was provided"; ' +
  'set `audience:` to the API identifier (Applications → APIs → (your API) → Settings → Identifier) (rule auth0-audience)'
const QUOTA = 'Auth0 limits this application\'s token requests (M2M token quotas, per hour and per day): keep the token until it is due, share it between replicas (a shared store), ' +
  'and raise the quota in the application\'s token_quota (Management API) if the fleet needs more'
const CREDENTIALS = 'Auth0 Dashboard: Applications → Applications → (your app) → Settings (or Credentials): Client ID, Client Secret and the Token Endpoint Authentication Method'

// Auth0's 403 bodies, matched on their documented wording.
const NOT_GRANTED = /not been granted scopes/i
const NOT_AUTHORIZED = /Client is not authorized to access/i
const UNKNOWN_AUDIENCE = /Service not found/i
const NO_AUDIENCE = /No audience parameter/i

export const auth0: ProviderProfile = {
  name: 'auth0',
  // OIDC scopes (openid, profile, email, offline_access) are refused: the generic user_scope rule says so.
  userScopeRule: true,
  roles: false,
  requestRules: [],
  requestWarnings: (req) => req.audience !== undefined ? [] : [NO_AUDIENCE_WARNING],
  entryProblems: () => [],
  readGrant: scopeGrant,
  readError (status, body) {
    // "Fine-grained M2M token quotas": over an application's hourly or daily quota, 429.
    if (status === 429) return { ...oauthErrorBody(body) ?? { error: 'temporarily_unavailable' }, hint: QUOTA }
    const e = oauthErrorBody(body)
    if (!e) return null
    const words = e.error_description ?? ''
    // 401 is Auth0's answer to bad client credentials, whatever the code says.
    if (status === 401) return { ...e, error: 'invalid_client', hint: CREDENTIALS }
    // A scope problem, not a credentials one: read it as RFC 6749 §5.2 invalid_scope, words kept.
    if (e.error === 'access_denied' && NOT_GRANTED.test(words)) return { ...e, error: 'invalid_scope', hint: HINT }
    if (NOT_AUTHORIZED.test(words)) return { ...e, hint: `${HINT} (the app has no grant for this audience)` }
    if (UNKNOWN_AUDIENCE.test(words)) {
      return { ...e, hint: 'Auth0 Dashboard: Applications → APIs: the audience must be an API identifier listed there' }
    }
    if (NO_AUDIENCE.test(words)) return { ...e, hint: 'set `audience:` in the policy entry to the API identifier (Applications → APIs)' }
    return { ...e, hint: HINT }
  },
  hint: 'Auth0 Dashboard: Applications → APIs → (your API) → Application Access',
}
