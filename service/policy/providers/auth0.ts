// `provider: auth0` (docs/providers.md). Facts from Auth0's documentation:
// - "Call Your API Using the Client Credentials Flow" (auth0.com/docs/get-started/authentication-and-
//   authorization-flow/client-credentials-flow): the request carries `audience`, the API identifier;
//   support article "Client Credentials Grant Requires audience Parameter": no tenant default applies.
// - "Client Grants" (auth0.com/docs/get-started/applications/application-access-to-apis-client-credentials):
//   a scope is granted to one application for one API; anything else is a 403 `access_denied`.
import { oauthErrorBody, scopeGrant } from './common.js'
import type { ProviderProfile } from './profile.js'

const HINT = 'Auth0 Dashboard: Applications → APIs → (your API) → Machine to Machine Applications: authorize the app and tick the scope'

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
  requestRules: [
    {
      name: 'auth0-audience',
      check: (req) =>
        req.audience !== undefined
          ? []
          : [{
              scope: '',
              code: 'missing_audience',
              message:
                'Auth0 issues a client_credentials token for one API only, named by the `audience` parameter: without it Auth0 answers 403 access_denied "No audience parameter was provided"; set `audience:` to the API identifier (Applications → APIs → Settings → Identifier) (rule auth0-audience)',
            }],
    },
  ],
  entryProblems: () => [],
  readGrant: scopeGrant,
  readError (_status, body) {
    const e = oauthErrorBody(body)
    if (!e) return null
    const words = e.error_description ?? ''
    // A scope problem, not a credentials one: read it as RFC 6749 §5.2 invalid_scope, words kept.
    if (e.error === 'access_denied' && NOT_GRANTED.test(words)) return { ...e, error: 'invalid_scope', hint: HINT }
    if (NOT_AUTHORIZED.test(words)) return { ...e, hint: `${HINT} (the app has no grant for this audience)` }
    if (UNKNOWN_AUDIENCE.test(words)) {
      return { ...e, hint: 'Auth0 Dashboard: Applications → APIs: the audience must be an API identifier listed there' }
    }
    if (NO_AUDIENCE.test(words)) return { ...e, hint: 'set `audience:` in the policy entry to the API identifier (Applications → APIs)' }
    return { ...e, hint: HINT }
  },
  hint: 'Auth0 Dashboard: Applications → APIs → Machine to Machine Applications',
}
