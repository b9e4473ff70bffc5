// A fake Okta org with one custom authorization server. Sources:
// - "Implement authorization by grant type: Client Credentials"
//   (developer.okta.com/docs/guides/implement-grant-type/clientcreds/main/): POST to the custom
//   authorization server's /oauth2/<id>/v1/token with at least one custom scope; the answer
//   { token_type, expires_in, access_token, scope }; the JWT carries `scp` as an array.
// - "Authorization servers" (developer.okta.com/docs/concepts/auth-servers/): the org server
//   (/oauth2/v1/token) mints no custom scopes: invalid_scope "Custom scopes are not allowed for this request."
// - "OpenID Connect & OAuth 2.0 API", /token error responses: invalid_scope "One or more scopes are not
//   configured for the authorization server resource." (a scope the server does not have);
//   invalid_client for a wrong secret.
// - Support article "Tokens not issued with lifetime configured in access rule": a scope the server
//   has but no access-policy rule grants this client matches no rule: access_denied "Policy
//   evaluation failed for this request, please check the policy configurations." (400, as the
//   /token errors are; the profile matches the code only).
// - Support article "The DPoP Proof JWT Header Is Missing": an app that requires DPoP answers
//   400 invalid_dpop_proof "The DPoP proof JWT header is missing." without a DPoP header.
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, jwt, scopesOf, startProviderFake } from './common.js'

export interface OktaOrg {
  clientId: string
  clientSecret: string
  /** The custom authorization server's id, e.g. `default`. */
  server: string
  /** Scopes its access policy grants this client. */
  allowed: string[]
  /** Scopes the server has (default: `allowed`); one of these that `allowed` lacks is a policy denial. */
  serverScopes?: string[]
  /** The app's "Require DPoP header in token requests" (on by default for new API Services apps). */
  dpop?: boolean
}

export async function startOkta (org: OktaOrg): Promise<FaultServer & { tokenEndpoint: string; orgEndpoint: string }> {
  const invalidScope = (description: string) => json(400, { error: 'invalid_scope', error_description: description })
  const known = new Set([...org.allowed, ...org.serverScopes ?? []])
  const server = await startProviderFake((req) => {
    const client = clientOf(req)
    // OIDC & OAuth 2.0 API, /token errors: a wrong secret is 401 invalid_client.
    if (client.id !== org.clientId || client.secret !== org.clientSecret) {
      return json(401, { error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' })
    }
    // DPoP support article: the app requires a DPoP proof.
    if (org.dpop === true && req.headers.dpop === undefined) {
      return json(400, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' })
    }
    const scopes = scopesOf(req)
    // Authorization servers page: the org server mints only okta.* scopes.
    if (req.url.startsWith('/oauth2/v1/')) {
      if (scopes.some((s) => !s.startsWith('okta.'))) return invalidScope('Custom scopes are not allowed for this request.')
    } else if (!req.url.startsWith(`/oauth2/${org.server}/v1/`)) {
      return json(404, { errorCode: 'E0000022', errorSummary: 'The endpoint does not support the provided HTTP method' })
    }
    // Client credentials guide: at least one scope, unless the server has default scopes.
    if (scopes.length === 0) return invalidScope("The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
    // /token errors: a scope the server does not have.
    if (scopes.some((s) => !known.has(s))) return invalidScope('One or more scopes are not configured for the authorization server resource.')
    // Access-rule article: one scope no rule grants this client refuses the whole request.
    if (scopes.some((s) => !org.allowed.includes(s))) {
      return json(400, { error: 'access_denied', error_description: 'Policy evaluation failed for this request, please check the policy configurations.' })
    }
    // Client credentials guide: the answer and its JWT (`scp` an array).
    return json(200, {
      token_type: org.dpop === true ? 'DPoP' : 'Bearer',
      expires_in: 3600,
      access_token: jwt({ ver: 1, iss: `${server.url}/oauth2/${org.server}`, aud: 'api://default', cid: org.clientId, sub: org.clientId, scp: scopes }),
      scope: scopes.join(' ')
    })
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/oauth2/${org.server}/v1/token`, orgEndpoint: `${server.url}/oauth2/v1/token` })
}
