// A fake Auth0 tenant's token endpoint (POST /oauth/token), answering client_credentials as
// Auth0 documents it. Sources:
// - "Call Your API Using the Client Credentials Flow" (auth0.com/docs/get-started/authentication-and-
//   authorization-flow/client-credentials-flow/call-your-api-using-the-client-credentials-flow):
//   the request names the API in `audience`; the answer is { access_token, token_type, expires_in }
//   with the granted permissions in the JWT's `scope` claim.
// - "Application Access to APIs: Client Grants" (auth0.com/docs/get-started/applications/application-access-to-apis-client-credentials):
//   an app gets a token for an API only through a client grant listing its scopes.
// - Auth0 Community/support threads on 403 access_denied from /oauth/token ("Client has not been
//   granted scopes", "Client is not authorized to access", "Service not found", "No audience
//   parameter was provided").
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, jwt, scopesOf, startProviderFake } from './common.js'

export interface Auth0Tenant {
  clientId: string
  clientSecret: string
  /** API identifier (audience) → the scopes granted to this client (no entry: no client grant). */
  grants: Record<string, string[]>
  /** APIs that exist without a grant for this client. */
  apis?: string[]
}

export async function startAuth0 (tenant: Auth0Tenant): Promise<FaultServer & { tokenEndpoint: string }> {
  const denied = (description: string) => json(403, { error: 'access_denied', error_description: description })
  const server = await startProviderFake((req) => {
    const client = clientOf(req)
    // Wrong credentials: 401 access_denied "Unauthorized" (Auth0's answer for a bad client secret).
    if (client.id !== tenant.clientId || client.secret !== tenant.clientSecret) return json(401, { error: 'access_denied', error_description: 'Unauthorized' })
    const audience = req.form.get('audience')
    // Support article "Client Credentials Grant Requires audience Parameter".
    if (audience === null) return denied('No audience parameter was provided, and no default audience has been configured')
    const granted = tenant.grants[audience]
    if (granted === undefined) {
      // Client Grants page: an API the tenant does not have is "Service not found"; one without a
      // grant for this app is "Client is not authorized to access".
      if (!(tenant.apis ?? []).includes(audience)) return denied(`Service not found: ${audience}`)
      return denied(`Client is not authorized to access "${audience}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants`)
    }
    const requested = scopesOf(req)
    const refused = requested.filter((s) => !granted.includes(s))
    // Client Grants page: a scope outside the app's grant for this API is refused, whole request.
    if (refused.length > 0) return denied(`Client has not been granted scopes: ${refused.join(' ')}`)
    // Client credentials flow page: no scope asked, the token carries every scope of the grant;
    // the answer is { access_token, expires_in, token_type } with the scopes in the JWT only.
    const scope = (requested.length > 0 ? requested : granted).join(' ')
    return json(200, {
      access_token: jwt({ iss: `${server.url}/`, sub: `${tenant.clientId}@clients`, aud: audience, azp: tenant.clientId, scope, gty: 'client-credentials' }, 86400),
      expires_in: 86400,
      token_type: 'Bearer'
    })
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/oauth/token` })
}
