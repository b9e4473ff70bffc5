// Each provider profile through the plugin, against a fake of that provider (test/helpers/providers):
// what is sent, what is refused before sending, and how the provider's answers are read
// (docs/providers.md). oidc-provider stays the real server of the RFC path (the other tests).
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import appToken, { OAuthError, ScopeNarrowedError, ScopePolicyError, type AppTokenOptions } from '../../plugin/index.js'
import { loadPolicyFiles } from '../../service/policy/index.js'
import type { PolicySet } from '../../service/policy/types.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { startAuth0 } from '../helpers/providers/auth0.js'
import { startEntra } from '../helpers/providers/entra.js'
import { startGenesys } from '../helpers/providers/genesys.js'
import { startKeycloak } from '../helpers/providers/keycloak.js'
import { startOkta } from '../helpers/providers/okta.js'
import { jwt } from '../helpers/providers/common.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'

const CLIENT_ID = 'svc-provider-7'
const SECRET = 'sk_provider_Qx81'
const API = 'https://orders.example.com/api'
const OTHER_API = 'https://billing.example.com/api'

/** A policy set of one app (environment `test`) for `provider`; `fields` are the entry's YAML lines. */
function policyOf (provider: string, tokenEndpoint: string, fields: string[]): PolicySet {
  const text = [
    'app: provider-test',
    'description: provider tests',
    'owner: "@team/test"',
    `provider: ${provider}`,
    'environments:',
    '  test:',
    `    clientId: ${CLIENT_ID}`,
    `    tokenEndpoint: ${tokenEndpoint}`,
    ...fields.map((line) => `    ${line}`)
  ].join('\n') + '\n'
  const { policies, findings } = loadPolicyFiles([{ file: 'provider-test.yaml', text }])
  if (policies === null) throw new Error(findings.map((f) => f.message).join('\n'))
  return policies
}

async function appWith (t: Test, options: AppTokenOptions): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, ...options })
  return app
}

t.test('auth0', async (t) => {
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders'], [OTHER_API]: ['read:invoices'] } })
  t.teardown(() => auth0.close())
  const policy = policyOf('auth0', auth0.tokenEndpoint, [
    `audience: ${API}`,
    'audiences:',
    `  - ${OTHER_API}`,
    'scopes:',
    '  read:orders: list orders (SEC-1)',
    '  write:orders: not granted at Auth0 yet (SEC-2)',
    '  read:invoices: the billing API (SEC-3)'
  ])

  t.test('the audience is sent, and is part of the cache key', async (t) => {
    const app = await appWith(t, { policy, scopes: ['read:orders'] })
    await app.ready()
    const token = await app.appToken.get()
    t.same(token.scopes, ['read:orders'], 'granted scopes from the JWT scope claim')
    t.same(token.roles, [])
    t.equal(auth0.requests.at(-1)?.form.get('audience'), API, 'audience form parameter')
    t.notOk(auth0.requests.at(-1)?.form.has('resource'))
    await app.appToken.get({ scopes: ['read:invoices'], audience: OTHER_API })
    t.equal(auth0.requests.at(-1)?.form.get('audience'), OTHER_API, 'an allowed per-call audience is sent')
    t.same(app.appToken.stats().entries.map((e) => e.audience).sort(), [OTHER_API, API].sort(), 'one entry per audience')
  })

  t.test('the client gets its grant\'s whole scope set: more than asked is normal, never a warning', async (t) => {
    const wide = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders', 'delete:orders', 'read:stock'] } })
    t.teardown(() => wide.close())
    const log = logCapture()
    const app = Fastify({ logger: { stream: log.stream } })
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, provider: 'auth0', audience: API, tokenEndpoint: wide.tokenEndpoint, scopes: 'read:orders' })
    const token = await app.appToken.get()
    t.same(token.scopes, ['read:orders', 'delete:orders', 'read:stock'], 'the answer\'s scope: the whole grant')
    t.equal(wide.requests[0]?.form.get('scope'), 'read:orders', 'only the subset was asked')
    t.same(log.entries().filter((e) => (e.level as number) >= 40), [], 'no warning, no error')
  })

  t.test('403 access_denied "not been granted scopes" is a permanent invalid_scope, not a credentials error', async (t) => {
    let invalidClient = 0
    const app = await appWith(t, { policy, scopes: ['read:orders'], onInvalidClient: () => { invalidClient++ } })
    await app.ready()
    const before = auth0.requests.length
    const err = await app.appToken.get({ scopes: ['write:orders'] }).catch((e: unknown) => e) as OAuthError
    t.ok(err instanceof OAuthError)
    t.equal(err.status, 403)
    t.equal(err.error, 'invalid_scope', 'normalised')
    t.equal(err.serverError, 'access_denied', 'the server\'s own code kept')
    t.equal(err.error_description, 'Client has not been granted scopes: write:orders', 'the server\'s words verbatim')
    t.equal(err.transient, false)
    t.match(err.hint, /Applications → APIs → \(your API\) → Application Access/, 'names the console page')
    t.equal(invalidClient, 0, 'no invalid_client handling (no secret re-read)')
    t.equal(auth0.requests.length, before + 1, 'not retried')
  })

  t.test('an audience or resource the policy does not allow: refused, nothing sent, nothing cached', async (t) => {
    const app = await appWith(t, { policy, scopes: ['read:orders'] })
    await app.ready()
    const before = auth0.requests.length
    const err = await app.appToken.get({ audience: 'https://evil.example.com/' }).catch((e: unknown) => e) as ScopePolicyError
    t.ok(err instanceof ScopePolicyError)
    t.same(err.violations.map((v) => v.code), ['audience_not_allowed'])
    for (let i = 0; i < 200; i++) {
      const refused = await app.appToken.get({ resource: `https://api-${i}.example.com/` }).catch((e: unknown) => e) as ScopePolicyError
      if (!(refused instanceof ScopePolicyError) || refused.violations[0]?.code !== 'resource_not_allowed') t.fail(`resource ${i} was not refused`)
    }
    t.equal(auth0.requests.length, before, '200 distinct resources → 0 token requests')
    t.equal(app.appToken.stats().entries.length, 0, '0 cache entries')
  })

  t.test('a route\'s audience: an allowed one is sent, another fails ready() with nothing sent', async (t) => {
    const app = await appWith(t, { policy, scopes: ['read:orders'] })
    app.get('/invoices', { config: { appToken: { scopes: ['read:invoices'], audience: OTHER_API } } }, async (request) => request.appToken.scopes)
    await app.ready()
    t.same((await app.inject('/invoices')).json(), ['read:invoices'])
    t.equal(auth0.requests.at(-1)?.form.get('audience'), OTHER_API)
    const before = auth0.requests.length
    const bad = await appWith(t, { policy, scopes: ['read:orders'] })
    bad.get('/x', { config: { appToken: { audience: 'https://evil.example.com/' } } }, async () => 'x')
    await t.rejects(async () => { await bad.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /GET, HEAD \/x .*audience_not_allowed/ })
    t.equal(auth0.requests.length, before)
  })

  t.test('APP_TOKEN_PROVIDER and APP_TOKEN_AUDIENCE serve users without a policy', async (t) => {
    const saved = { provider: process.env.APP_TOKEN_PROVIDER, audience: process.env.APP_TOKEN_AUDIENCE }
    t.teardown(() => {
      for (const [key, value] of [['APP_TOKEN_PROVIDER', saved.provider], ['APP_TOKEN_AUDIENCE', saved.audience]] as const) {
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      }
    })
    process.env.APP_TOKEN_PROVIDER = 'auth0'
    process.env.APP_TOKEN_AUDIENCE = API
    const app = await appWith(t, { tokenEndpoint: auth0.tokenEndpoint, scopes: 'read:orders' })
    await app.appToken.get()
    t.equal(auth0.requests.at(-1)?.form.get('audience'), API)
    process.env.APP_TOKEN_PROVIDER = 'azure'
    await t.rejects(appWith(t, { tokenEndpoint: auth0.tokenEndpoint }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option APP_TOKEN_PROVIDER: must be one of generic, auth0, entra/ })
  })

  t.test('options that contradict the policy entry fail at register', async (t) => {
    for (const [option, value] of [['audience', OTHER_API], ['resource', API], ['authMethod', 'client_secret_post'], ['provider', 'okta']] as const) {
      await t.rejects(appWith(t, { policy, [option]: value }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: new RegExp(`option ${option}: .*differs from the policy entry`) }, option)
    }
  })

  t.test('without an audience: one warning at register, none sent, the tenant\'s Default Audience answers', async (t) => {
    const tenant = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: ['read:orders'] }, defaultAudience: API })
    t.teardown(() => tenant.close())
    const log = logCapture()
    const noAudience = Fastify({ logger: { stream: log.stream } })
    t.teardown(() => noAudience.close())
    await noAudience.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, provider: 'auth0', tokenEndpoint: tenant.tokenEndpoint, scopes: 'read:orders' })
    noAudience.get('/orders', { config: { appToken: { scopes: ['read:orders'] } } }, async (request) => request.appToken.scopes)
    noAudience.get('/more', async (request) => request.appToken.scopes)
    await noAudience.ready()
    t.same((await noAudience.inject('/orders')).json(), ['read:orders'])
    t.same((await noAudience.inject('/more')).json(), ['read:orders'])
    t.notOk(tenant.requests.at(-1)?.form.has('audience'), 'no audience sent')
    const warnings = log.entries().filter((e) => e.level === 40 && /audience/.test(String(e.msg)))
    t.equal(warnings.length, 1, 'one warning, at register (not per route or request)')
    t.match(warnings[0]?.msg, /no `audience`.*Default Audience.*rule auth0-audience/)
    assertNoSecrets(t, log, [SECRET])
  })

  t.test('an audience option', async (t) => {
    const app = await appWith(t, { provider: 'auth0', audience: API, tokenEndpoint: auth0.tokenEndpoint, scopes: 'read:orders' })
    t.same((await app.appToken.get()).scopes, ['read:orders'])
    t.equal(auth0.requests.at(-1)?.form.get('audience'), API)
    const before = auth0.requests.length
    await t.rejects(app.appToken.get({ audience: OTHER_API }), { code: 'FST_APP_TOKEN_SCOPE_POLICY', violations: [{ code: 'audience_not_allowed' }] })
    for (let i = 0; i < 50; i++) {
      await t.rejects(app.appToken.get({ resource: `https://api-${i}.example.com/` }), { code: 'FST_APP_TOKEN_SCOPE_POLICY', violations: [{ code: 'resource_not_allowed' }] })
    }
    t.equal(auth0.requests.length, before, 'nothing sent')
    t.equal(app.appToken.stats().entries.length, 1, 'only the default entry')
  })

  t.test('the server\'s words are kept verbatim, but capped and scrubbed of the secret', async (t) => {
    const echo = await startFaultServer({ status: 403, body: { error: 'access_denied', error_description: `Client has not been granted scopes: read:orders ${SECRET} ${'x'.repeat(3000)}` } })
    t.teardown(() => echo.close())
    const app = await appWith(t, { provider: 'auth0', audience: API, tokenEndpoint: echo.tokenEndpoint, scopes: 'read:orders' })
    const err = await app.appToken.get().catch((e: unknown) => e) as OAuthError
    t.equal(err.error, 'invalid_scope')
    t.notMatch(err.error_description, SECRET)
    t.match(err.error_description, /^Client has not been granted scopes: read:orders \[redacted\] x+…$/)
    t.ok(err.error_description!.length <= 1000, 'capped')
    t.notMatch(err.message, SECRET)
  })
})

t.test('entra', async (t) => {
  const RESOURCE = 'api://orders-api'
  const entra = await startEntra({ tenant: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, clientSecret: SECRET, consented: { [RESOURCE]: ['Orders.Read.All'] } })
  t.teardown(() => entra.close())
  const entry = (roles: string[]) => policyOf('entra', entra.tokenEndpoint, [
    'scopes:',
    `  ${RESOURCE}/.default: the one scope Entra takes (SEC-1)`,
    'roles:',
    ...roles.map((r) => `  ${r}: needed (SEC-1)`)
  ])

  t.test('/.default, roles read from the JWT', async (t) => {
    const app = await appWith(t, { policy: entry(['Orders.Read.All']), scopes: [`${RESOURCE}/.default`] })
    await app.ready()
    const token = await app.appToken.get()
    t.same(token.roles, ['Orders.Read.All'])
    t.same(token.scopes, [`${RESOURCE}/.default`])
  })

  t.test('a policy role missing from the token: ScopeNarrowedError with missingRoles', async (t) => {
    const app = await appWith(t, { policy: entry(['Orders.Read.All', 'Orders.Write.All']), scopes: [`${RESOURCE}/.default`] })
    await app.ready()
    const err = await app.appToken.get().catch((e: unknown) => e) as ScopeNarrowedError
    t.ok(err instanceof ScopeNarrowedError)
    t.same(err.missingRoles, ['Orders.Write.All'])
    t.match(err.message, /Orders\.Write\.All/)
    t.match(err.hint, /API permissions/)
  })

  t.test('a route asking for a scope without /.default fails ready() (provider_rule), nothing sent', async (t) => {
    const before = entra.requests.length
    const app = await appWith(t, { provider: 'entra', tokenEndpoint: entra.tokenEndpoint, scopes: [`${RESOURCE}/.default`] })
    app.get('/users', { config: { appToken: { scopes: ['User.Read.All'] } } }, async () => 'x')
    await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /provider_rule "User\.Read\.All".*AADSTS1002012/ })
    t.equal(entra.requests.length, before)
  })

  t.test('resource is never sent; AADSTS codes pick the hint', async (t) => {
    const app = await appWith(t, { provider: 'entra', tokenEndpoint: entra.tokenEndpoint, scopes: [`${RESOURCE}/.default`], resource: 'https://orders.example.com' })
    await app.appToken.get()
    t.notOk(entra.requests.at(-1)?.form.has('resource'), 'no resource parameter (AADSTS901002)')
    const wrong = await appWith(t, { provider: 'entra', tokenEndpoint: entra.tokenEndpoint, scopes: [`${RESOURCE}/.default`], clientSecret: 'the-secret-id-not-its-value' })
    const err = await wrong.appToken.get().catch((e: unknown) => e) as OAuthError
    t.equal(err.error, 'invalid_client')
    t.equal(err.providerCode, 'AADSTS7000215')
    t.match(err.hint, /Certificates & secrets/)
  })

  t.test('a token that is not a readable JWT: roles unknown, not missing', async (t) => {
    const opaque = await startFaultServer({ body: tokenBody() })
    t.teardown(() => opaque.close())
    const app = await appWith(t, { policy: policyOf('entra', opaque.tokenEndpoint, ['scopes:', `  ${RESOURCE}/.default: x (SEC-1)`, 'roles:', '  Orders.Read.All: x (SEC-1)']), scopes: [`${RESOURCE}/.default`] })
    t.same((await app.appToken.get()).roles, [])
  })
})

t.test('keycloak: default scopes in the token are no narrowing; openid is fine; invalid scopes read', async (t) => {
  const kc = await startKeycloak({ realm: 'acme', clientId: CLIENT_ID, clientSecret: SECRET, defaultScopes: ['profile', 'email'], optionalScopes: ['orders:read'] })
  t.teardown(() => kc.close())
  const policy = policyOf('keycloak', kc.tokenEndpoint, ['scopes:', '  orders:read: x (SEC-1)', '  openid: x (SEC-1)', '  orders:write: not assigned yet (SEC-2)'])
  const app = await appWith(t, { policy, scopes: ['orders:read', 'openid'] })
  await app.ready()
  const token = await app.appToken.get()
  t.same([...token.scopes].sort(), ['email', 'openid', 'orders:read', 'profile'], 'extra default scopes granted, no error')
  const err = await app.appToken.get({ scopes: ['orders:write'] }).catch((e: unknown) => e) as OAuthError
  t.equal(err.error, 'invalid_scope')
  t.equal(err.error_description, 'Invalid scopes: orders:write')
  t.match(err.hint, /Clients → \(your client\) → Client scopes/)
})

t.test('okta', async (t) => {
  const okta = await startOkta({ clientId: CLIENT_ID, clientSecret: SECRET, server: 'default', allowed: ['orders:read'], serverScopes: ['orders:write'] })
  t.teardown(() => okta.close())

  t.test('a scope no access-policy rule grants: access_denied kept, the Access Policies hint; a scope the server lacks: invalid_scope', async (t) => {
    const policy = policyOf('okta', okta.tokenEndpoint, ['scopes:', '  orders:read: x (SEC-1)', '  orders:write: x (SEC-2)', '  orders:admin: x (SEC-3)'])
    const app = await appWith(t, { policy, scopes: ['orders:read'] })
    t.same((await app.appToken.get()).scopes, ['orders:read'])
    const denied = await app.appToken.get({ scopes: ['orders:write'] }).catch((e: unknown) => e) as OAuthError
    t.equal(denied.error, 'access_denied', 'kept as access_denied')
    t.equal(denied.error_description, 'Policy evaluation failed for this request, please check the policy configurations.')
    t.match(denied.hint, /Security → API → Authorization Servers → \(your server\) → Access Policies: a rule must allow this client/)
    const missing = await app.appToken.get({ scopes: ['orders:admin'] }).catch((e: unknown) => e) as OAuthError
    t.equal(missing.error, 'invalid_scope')
    t.equal(missing.error_description, 'One or more scopes are not configured for the authorization server resource.')
    t.match(missing.hint, /Authorization Servers → \(your server\) → Scopes: the scope must exist on this server/)
  })

  t.test('an app that requires DPoP: the hint names the dpop option', async (t) => {
    const dpop = await startOkta({ clientId: CLIENT_ID, clientSecret: SECRET, server: 'default', allowed: ['orders:read'], dpop: true })
    t.teardown(() => dpop.close())
    const app = await appWith(t, { provider: 'okta', tokenEndpoint: dpop.tokenEndpoint, scopes: ['orders:read'] })
    const err = await app.appToken.get().catch((e: unknown) => e) as OAuthError
    t.equal(err.status, 400)
    t.equal(err.error, 'invalid_dpop_proof')
    t.equal(err.error_description, 'The DPoP proof JWT header is missing.')
    t.match(err.hint, /^this app requires DPoP: set `dpop`/)
    t.equal(err.transient, false)
  })

  t.test('the org server with a secret fails at register, nothing sent', async (t) => {
    const before = okta.requests.length
    await t.rejects(appWith(t, { provider: 'okta', tokenEndpoint: okta.orgEndpoint, scopes: ['okta.users.read'] }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /provider_rule.*must use the private_key_jwt token_endpoint_auth_method/ })
    t.equal(okta.requests.length, before)
  })

  t.test('custom scopes on the org server fail ready(), nothing sent', async (t) => {
    const before = okta.requests.length
    const app = await appWith(t, { provider: 'okta', tokenEndpoint: okta.orgEndpoint })
    app.get('/orders', { config: { appToken: { scopes: ['orders:read'] } } }, async () => 'x')
    await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /provider_rule "orders:read"/ })
    t.equal(okta.requests.length, before)
  })
})

t.test('genesys: 429 with Retry-After is waited out and retried', async (t) => {
  const genesys = await startGenesys({ clientId: CLIENT_ID, clientSecret: SECRET, rateLimited: { count: 1, retryAfter: 1 } })
  t.teardown(() => genesys.close())
  const policy = policyOf('genesys', genesys.tokenEndpoint, ['scopes: {}'])
  const app = await appWith(t, { policy, retry: { maxDelay: 2000 } })
  const token = await app.appToken.get()
  t.equal(token.tokenType, 'Bearer')
  t.same(token.roles, [], 'an opaque token has no readable roles')
  t.equal(genesys.requests.length, 2, 'one 429, one retry')
  t.ok(genesys.requests[1]!.at - genesys.requests[0]!.at >= 1000, 'after Retry-After')
})

t.test('the JWT roles claim reaches AppToken on any provider', async (t) => {
  const server = await startFaultServer({ body: { access_token: jwt({ roles: ['a', 'b'] }), token_type: 'Bearer', expires_in: 3600 } })
  t.teardown(() => server.close())
  const app = await appWith(t, { tokenEndpoint: server.tokenEndpoint })
  t.same((await app.appToken.get()).roles, ['a', 'b'])
})
