// A fake Genesys Cloud login service (POST https://login.<region>/oauth/token). Sources:
// - "Client Credentials Grant" (developer.genesys.cloud/authorization/platform-auth/use-client-credentials):
//   Basic credentials, grant_type=client_credentials; the answer { access_token, token_type: "bearer",
//   expires_in } with an opaque token; a bad client: 400/401 with an OAuth error body.
// - "Rate limits" (developer.genesys.cloud/platform/api/rate-limits): over the limit, 429 with
//   Retry-After and the platform's error body { message, code: "too.many.requests", status }.
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, opaqueToken, startProviderFake } from './common.js'

export interface GenesysOrg {
  clientId: string
  clientSecret: string
  /** Requests answered 429 first, with this Retry-After (seconds). */
  rateLimited?: { count: number; retryAfter: number }
}

export async function startGenesys (org: GenesysOrg): Promise<FaultServer & { tokenEndpoint: string }> {
  let limited = org.rateLimited?.count ?? 0
  const server = await startProviderFake((req) => {
    // Rate limits page: 429, Retry-After in seconds, the platform's error body.
    if (limited > 0) {
      limited--
      const retryAfter = org.rateLimited!.retryAfter
      return json(429, { message: `Rate limit exceeded the maximum. Retry the request in [${retryAfter}] seconds`, code: 'too.many.requests', status: 429 },
        { 'retry-after': String(retryAfter) })
    }
    const client = clientOf(req)
    // An unknown client (another region's) or a wrong secret: 401 invalid_client. Users' reports quote
    // "authentication failed" / "Client authentication failed" (not confirmed from Genesys's own pages;
    // the profile matches the code only).
    if (client.id !== org.clientId || client.secret !== org.clientSecret) {
      return json(401, { error: 'invalid_client', description: 'authentication failed', error_description: 'authentication failed' })
    }
    // Client Credentials Grant page: an opaque bearer token, lowercase token_type.
    return json(200, { access_token: opaqueToken(), token_type: 'bearer', expires_in: 86399 })
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/oauth/token` })
}
