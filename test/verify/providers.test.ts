// verify per provider (docs/verify.md): what it asks each provider for and how it reads the grant,
// through the real token-core client the bin injects, against the provider fakes.
import t, { type Test } from 'tap'
import { verifyOneEntry } from './fixtures.js'
import { startAuth0 } from '../helpers/providers/auth0.js'
import { startEntra } from '../helpers/providers/entra.js'
import { startGenesys } from '../helpers/providers/genesys.js'
import { startKeycloak } from '../helpers/providers/keycloak.js'

const CLIENT_ID = 'verify-provider-client'
const SECRET = 'verify-provider-s3cr3t'
const env = { SCOPE_POLICY_SECRET_PROV_APP_PROD: SECRET }

async function verifyOne (t: Test, provider: string, tokenEndpoint: string, fields: string[]) {
  return await verifyOneEntry(t, { app: 'prov-app', provider, clientId: CLIENT_ID, tokenEndpoint, fields, env })
}

t.test('auth0: no scope asked, the audience sent, the grant compared both ways', async (t) => {
  const API = 'https://orders.example.com/api'
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders', 'delete:orders'] } })
  t.teardown(() => auth0.close())
  const result = await verifyOne(t, 'auth0', auth0.tokenEndpoint, [`audience: ${API}`, 'scopes:', '  read:orders: x (SEC-1)', '  write:orders: x (SEC-2)'])
  const sent = auth0.requests[0]!.form
  t.equal(sent.get('audience'), API)
  t.notOk(sent.has('scope'), 'no scope: Auth0 answers with every scope granted for the audience')
  t.equal(result.status, 'narrowed')
  t.same(result.missing, ['write:orders'])
  t.same(result.extra, ['delete:orders'])
})

t.test('keycloak: default scopes in the token are not a widening', async (t) => {
  const kc = await startKeycloak({ realm: 'acme', clientId: CLIENT_ID, clientSecret: SECRET, defaultScopes: ['profile', 'email'], optionalScopes: ['orders:read'] })
  t.teardown(() => kc.close())
  const result = await verifyOne(t, 'keycloak', kc.tokenEndpoint, ['scopes:', '  orders:read: x (SEC-1)'])
  t.equal(result.status, 'ok')
  t.same(result.extra, [])
})

t.test('entra: the roles claim against roles:', async (t) => {
  const RESOURCE = 'api://orders-api'
  const entra = await startEntra({ tenant: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, clientSecret: SECRET, consented: { [RESOURCE]: ['Orders.Read.All', 'Orders.Admin'] } })
  t.teardown(() => entra.close())
  const fields = (roles: string[]) => ['scopes:', `  ${RESOURCE}/.default: x (SEC-1)`, 'roles:', ...roles.map((r) => `  ${r}: x (SEC-1)`)]
  const drift = await verifyOne(t, 'entra', entra.tokenEndpoint, fields(['Orders.Read.All', 'Orders.Write.All']))
  t.equal(drift.status, 'narrowed')
  t.same(drift.missing, ['Orders.Write.All'])
  t.same(drift.extra, ['Orders.Admin'])
  t.same(drift.roles, ['Orders.Read.All', 'Orders.Admin'])
  const exact = await verifyOne(t, 'entra', entra.tokenEndpoint, fields(['Orders.Admin', 'Orders.Read.All']))
  t.equal(exact.status, 'ok')
})

t.test('a wrong credential is invalid_client on every provider, never refused (no false drift alarm)', async (t) => {
  const API = 'https://orders.example.com/api'
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: 'rotated-away', grants: { [API]: ['read:orders'] } })
  const kc = await startKeycloak({ realm: 'acme', clientId: CLIENT_ID, clientSecret: 'rotated-away', defaultScopes: [], optionalScopes: ['orders:read'] })
  const unknown = await startKeycloak({ realm: 'acme', clientId: 'another-client', clientSecret: SECRET, defaultScopes: [], optionalScopes: ['orders:read'] })
  const genesys = await startGenesys({ clientId: CLIENT_ID, clientSecret: 'rotated-away' })
  t.teardown(async () => { await Promise.all([auth0.close(), kc.close(), unknown.close(), genesys.close()]) })
  const scopes = ['scopes:', '  orders:read: x (SEC-1)']
  const cases = [
    ['auth0', auth0.tokenEndpoint, [`audience: ${API}`, ...scopes], 'access_denied', 'Unauthorized'],
    ['keycloak', kc.tokenEndpoint, scopes, 'invalid_client', 'Invalid client or Invalid client credentials'],
    ['keycloak', unknown.tokenEndpoint, scopes, 'invalid_client', 'Invalid client or Invalid client credentials'],
    ['genesys', genesys.tokenEndpoint, ['scopes: {}'], 'invalid_client', 'authentication failed'],
  ] as const
  for (const [provider, endpoint, fields, , words] of cases) {
    const result = await verifyOne(t, provider, endpoint, [...fields])
    t.equal(result.status, 'invalid_client', `${provider}: ${words}`)
    t.equal(result.error, 'invalid_client', `${provider}: read as invalid_client`)
    t.equal(result.error_description, words, `${provider}: the server's words verbatim`)
    t.match(result.message, /rejected the client.*SCOPE_POLICY_SECRET_PROV_APP_PROD/)
  }
  t.equal(auth0.requests.length, 1, 'one request, not retried')
})
