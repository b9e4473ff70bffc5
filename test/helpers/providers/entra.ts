// A fake Microsoft Entra ID tenant's v2.0 token endpoint (POST /<tenant>/oauth2/v2.0/token).
// Sources:
// - "Microsoft identity platform and the OAuth 2.0 client credentials flow"
//   (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow): `scope` is
//   `<application ID URI>/.default`; the answer { token_type, expires_in, ext_expires_in,
//   access_token }; application permissions in the token's `roles` claim; the error body
//   { error, error_description, error_codes, timestamp, trace_id, correlation_id }.
// - "Microsoft Entra authentication and authorization error codes"
//   (learn.microsoft.com/entra/identity-platform/reference-error-codes): AADSTS1002012, 70011,
//   7000215, 700016, 500011, 901002.
// - `refresh_in` (seconds) beside `expires_in`: Entra's proactive-refresh hint that MSAL honours
//   (AzureAD/microsoft-authentication-library-for-js#6085, for client_credentials too).
import { randomUUID } from 'node:crypto'
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, jwt, scopesOf, startProviderFake } from './common.js'

export interface EntraTenant {
  tenant: string
  clientId: string
  clientSecret: string
  /** Application ID URI → the application permissions admin consent granted this app. */
  consented: Record<string, string[]>
  /** Token lifetime in seconds (default 3599). */
  lifetime?: number
  /** `refresh_in` seconds in each answer (MSAL's proactive refresh: Entra sends it with long-lived tokens). */
  refreshIn?: number
}

export async function startEntra (tenant: EntraTenant): Promise<FaultServer & { tokenEndpoint: string }> {
  const fail = (status: number, error: string, code: number, text: string) => json(status, {
    error,
    error_description: `AADSTS${code}: ${text} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID()
  })
  const server = await startProviderFake((req) => {
    const client = clientOf(req)
    // Error codes reference: AADSTS700016 (unknown app id), AADSTS7000215 (a wrong secret, 401).
    if (client.id !== tenant.clientId) return fail(400, 'unauthorized_client', 700016, `Application with identifier '${client.id ?? ''}' was not found in the directory '${tenant.tenant}'.`)
    if (client.secret !== tenant.clientSecret) return fail(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.')
    // The v2.0 endpoint takes no `resource` parameter: AADSTS9010010 now (users' reports, 2026), formerly
    // AADSTS901002. The `error` code beside it is not confirmed from a source.
    if (req.form.has('resource')) return fail(400, 'invalid_request', 9010010, "The resource parameter provided in the request doesn't match with the requested scopes.")
    const scopes = scopesOf(req)
    // Client credentials page: one resource per request (AADSTS70011 otherwise), as `<resource>/.default` (AADSTS1002012).
    if (scopes.length > 1) return fail(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scopes.join(' ')} is not valid.`)
    const scope = scopes[0] ?? ''
    if (!scope.endsWith('/.default')) {
      return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`)
    }
    const resource = scope.slice(0, -'/.default'.length)
    const roles = tenant.consented[resource]
    // AADSTS500011: no service principal for that resource in the tenant.
    if (roles === undefined) return fail(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant.tenant}.`)
    // An app token carries `roles` (when any are consented) and no `scp`.
    const claims = { aud: resource, iss: `https://sts.windows.net/${tenant.tenant}/`, appid: tenant.clientId, tid: tenant.tenant, ...(roles.length > 0 ? { roles } : {}) }
    const lifetime = tenant.lifetime ?? 3599
    return json(200, {
      token_type: 'Bearer',
      expires_in: lifetime,
      ext_expires_in: lifetime,
      ...(tenant.refreshIn !== undefined ? { refresh_in: tenant.refreshIn } : {}),
      access_token: jwt(claims, lifetime)
    })
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/${tenant.tenant}/oauth2/v2.0/token` })
}
