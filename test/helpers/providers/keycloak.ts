// A fake Keycloak realm's token endpoint (POST /realms/<realm>/protocol/openid-connect/token).
// Sources, Keycloak Server Administration Guide (keycloak.org/docs/latest/server_admin/):
// - "Client scopes": default client scopes are always in the token; optional ones when asked;
//   anything else: 400 invalid_scope "Invalid scopes: X"; `openid` is accepted.
// - "Service accounts": without "Service accounts roles": 401 unauthorized_client
//   "Client not enabled to retrieve service account" (ClientCredentialsGrantType answers it with
//   UNAUTHORIZED); a wrong secret: 401 unauthorized_client "Invalid client or Invalid client
//   credentials" (keycloak/keycloak#16923); an unknown client: 401 invalid_client, same words
//   (users' reports of Keycloak 24+).
// - The token response: { access_token, expires_in, refresh_expires_in, token_type, not-before-policy, scope }.
import type { FaultServer } from '../fault-server.js'
import { clientOf, json, jwt, scopesOf, startProviderFake } from './common.js'

export interface KeycloakRealm {
  realm: string
  clientId: string
  clientSecret: string
  defaultScopes: string[]
  optionalScopes: string[]
  serviceAccounts?: boolean
}

export async function startKeycloak (realm: KeycloakRealm): Promise<FaultServer & { tokenEndpoint: string }> {
  const server = await startProviderFake((req) => {
    const client = clientOf(req)
    // Service accounts chapter: bad client credentials.
    if (client.id !== realm.clientId) return json(401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' })
    if (client.secret !== realm.clientSecret) return json(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' })
    // Service accounts chapter: client_credentials needs "Service accounts roles".
    if (realm.serviceAccounts === false) return json(401, { error: 'unauthorized_client', error_description: 'Client not enabled to retrieve service account' })
    const requested = scopesOf(req)
    const known = new Set(['openid', ...realm.defaultScopes, ...realm.optionalScopes])
    const invalid = requested.filter((s) => !known.has(s))
    // Client scopes chapter: a scope not linked to the client refuses the request, naming what was asked.
    if (invalid.length > 0) return json(400, { error: 'invalid_scope', error_description: `Invalid scopes: ${requested.join(' ')}` })
    // Client scopes chapter: default scopes always come with the token.
    const scope = [...new Set([...requested, ...realm.defaultScopes])].join(' ')
    return json(200, {
      access_token: jwt({ iss: `${server.url}/realms/${realm.realm}`, azp: realm.clientId, typ: 'Bearer', scope }, 300),
      expires_in: 300,
      refresh_expires_in: 0,
      token_type: 'Bearer',
      'not-before-policy': 0,
      scope
    })
  })
  return Object.assign(server, { tokenEndpoint: `${server.url}/realms/${realm.realm}/protocol/openid-connect/token` })
}
