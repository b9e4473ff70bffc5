// The token core's provider options without the plugin (docs/token-core.md): `provider`,
// `audience` and `expectedRoles` on fetchToken and TokenCache, against the provider fakes.
import t from 'tap'
import { fetchToken, OAuthError, ScopeNarrowedError, TokenCache } from '../../plugin/token/index.js'
import { startAuth0 } from '../helpers/providers/auth0.js'
import { startEntra } from '../helpers/providers/entra.js'

const CLIENT_ID = 'core-provider-client'
const SECRET = 'core-provider-s3cr3t'
const API = 'https://orders.example.com/api'

t.test('fetchToken sends audience; an Auth0 scope refusal reads as invalid_scope', async (t) => {
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders'] } })
  t.teardown(() => auth0.close())
  const base = { tokenEndpoint: auth0.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, provider: 'auth0' as const }
  const fetched = await fetchToken({ ...base, audience: API, scopes: ['read:orders'] })
  t.same(fetched.token.scopes, ['read:orders'])
  t.equal(auth0.requests[0]?.form.get('audience'), API)
  const err = await fetchToken({ ...base, audience: API, scopes: ['write:orders'] }).catch((e: unknown) => e) as OAuthError
  t.ok(err instanceof OAuthError)
  t.equal(err.error, 'invalid_scope')
  t.equal(err.serverError, 'access_denied')
  // The same answer under generic: RFC 6749 only, as before.
  const generic = await fetchToken({ ...base, provider: 'generic', audience: API, scopes: ['write:orders'] }).catch((e: unknown) => e) as OAuthError
  t.equal(generic.error, 'access_denied')
  t.notOk(generic.providerCode)
  await t.rejects(fetchToken({ ...base, provider: 'azure' as 'entra' }), { code: 'FST_APP_TOKEN_INVALID_OPTION', option: 'provider' })
})

t.test('TokenCache: entra drops resource, checks expectedRoles, keys entries by audience', async (t) => {
  const RESOURCE = 'api://orders-api'
  const entra = await startEntra({ tenant: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, clientSecret: SECRET, consented: { [RESOURCE]: ['Orders.Read.All'] } })
  t.teardown(() => entra.close())
  const options = { tokenEndpoint: entra.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, provider: 'entra' as const }
  const cache = new TokenCache({ ...options, expectedRoles: ['Orders.Read.All'] })
  t.teardown(() => cache.close())
  const token = await cache.get({ scopes: [`${RESOURCE}/.default`], resource: 'https://orders.example.com' })
  t.same(token.roles, ['Orders.Read.All'])
  t.notOk(entra.requests[0]?.form.has('resource'), 'no resource parameter (AADSTS901002)')

  const strict = new TokenCache({ ...options, expectedRoles: ['Orders.Read.All', 'Orders.Write.All'] })
  t.teardown(() => strict.close())
  const err = await strict.get({ scopes: [`${RESOURCE}/.default`] }).catch((e: unknown) => e) as ScopeNarrowedError
  t.ok(err instanceof ScopeNarrowedError)
  t.same(err.missingRoles, ['Orders.Write.All'])
  t.same(err.requested, [`${RESOURCE}/.default`])

  const warn = new TokenCache({ ...options, expectedRoles: ['Orders.Write.All'], onScopeNarrowed: 'warn' })
  t.teardown(() => warn.close())
  t.same((await warn.get({ scopes: [`${RESOURCE}/.default`] })).roles, ['Orders.Read.All'], "'warn': the token, with a warning")
})

t.test('entra: a refresh_in earlier than the computed point sets the refresh; a later one does not', async (t) => {
  const RESOURCE = 'api://orders-api'
  const tenant = { tenant: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, clientSecret: SECRET, consented: { [RESOURCE]: ['Orders.Read.All'] } }
  const early = await startEntra({ ...tenant, lifetime: 3600, refreshIn: 600 })
  const late = await startEntra({ ...tenant, lifetime: 3600, refreshIn: 3500 })
  t.teardown(async () => { await Promise.all([early.close(), late.close()]) })
  for (const [server, expected] of [[early, [590, 610]], [late, [0.75 * 3569, 0.85 * 3569 + 5]]] as const) {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, provider: 'entra' })
    t.teardown(() => cache.close())
    const before = Date.now()
    await cache.get({ scopes: [`${RESOURCE}/.default`] })
    const refreshIn = (cache.stats().entries[0]!.refreshAt!.getTime() - before) / 1000
    t.ok(refreshIn >= expected[0] && refreshIn <= expected[1], `refresh after ${refreshIn} s, expected within [${expected[0]}, ${expected[1]}]`)
  }
})
