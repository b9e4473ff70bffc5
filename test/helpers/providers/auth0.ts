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
//   parameter was provided"); a wrong client secret: 401 access_denied "Unauthorized"
//   (auth0/node-auth0#682, auth0/laravel-auth0#42).
// - The client gets its client grant's whole scope set whatever subset it asks, and the answer's
//   `scope` lists it (Auth0's client-credentials examples show `scope` in the answer).
// - Tenant Settings → API Authorization Settings → Default Audience: without `audience`, a tenant
//   with one issues a token for that API.
// - "Fine-grained M2M token quotas" (auth0.com/docs/fine-grained-m2m-token-quotas): hourly quota that
//   resets at the start of each UTC hour; answers carry `Auth0-Client-Quota-Limit:
//   b=per_hour;q=…;r=…;t=…` and over it a 429 (with `x-ratelimit-limit|remaining|reset`, reset a UTC
//   epoch in seconds). The 429 body's words are not from a source: only status and headers matter.
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, jwt, scopesOf, startProviderFake } from './common.js'

export interface Auth0Tenant {
  clientId: string
  clientSecret: string
  /** API identifier (audience) → the scopes granted to this client (no entry: no client grant). */
  grants: Record<string, string[]>
  /** APIs that exist without a grant for this client. */
  apis?: string[]
  /** The tenant's Default Audience (API Authorization Settings). */
  defaultAudience?: string
  /** The application's hourly token quota. */
  perHour?: number
}

export async function startAuth0 (tenant: Auth0Tenant): Promise<FaultServer & { tokenEndpoint: string }> {
  const denied = (description: string) => json(403, { error: 'access_denied', error_description: description })
  let issued = 0
  const quota = (remaining: number): Record<string, string> => {
    if (tenant.perHour === undefined) return {}
    const now = Date.now()
    const reset = Math.ceil(now / 3_600_000) * 3600 // the next UTC hour, epoch seconds
    return {
      'auth0-client-quota-limit': `b=per_hour;q=${tenant.perHour};r=${remaining};t=${reset - Math.floor(now / 1000)}`,
      'x-ratelimit-limit': String(tenant.perHour),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(reset)
    }
  }
  const server = await startProviderFake((req) => {
    const client = clientOf(req)
    // Wrong credentials: 401 access_denied "Unauthorized" (Auth0's answer for a bad client secret).
    if (client.id !== tenant.clientId || client.secret !== tenant.clientSecret) return json(401, { error: 'access_denied', error_description: 'Unauthorized' })
    // Token quotas page: over the hourly quota, 429 until the next UTC hour.
    if (tenant.perHour !== undefined && issued >= tenant.perHour) {
      return json(429, { error: 'too_many_requests', error_description: 'Too Many Requests' }, quota(0))
    }
    // Default Audience setting: the tenant's API when the request names none.
    const audience = req.form.get('audience') ?? tenant.defaultAudience ?? null
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
    // The token carries the grant's whole scope set, asked for or not, and the answer's `scope` lists it.
    const scope = granted.join(' ')
    issued++
    return json(200, {
      access_token: jwt({ iss: `${server.url}/`, sub: `${tenant.clientId}@clients`, aud: audience, azp: tenant.clientId, scope, gty: 'client-credentials' }, 86400),
      scope,
      expires_in: 86400,
      token_type: 'Bearer'
    }, quota(tenant.perHour === undefined ? 0 : tenant.perHour - issued))
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/oauth/token` })
}
