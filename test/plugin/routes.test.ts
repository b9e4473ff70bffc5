// request.appToken on routes: defaults, per-route scopes, opt-out, global:
// false, hook choice, 404s, routes declared before the plugin, two names.
import t from 'tap'
import Fastify from 'fastify'
import appToken, { AppToken, type AppTokenDecorator, type AppTokenRouteConfig } from '../../plugin/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { ALLOWED, CLIENT_ID, SECRET, policyFixture } from './fixtures/helpers.js'

declare module 'fastify' {
  interface FastifyRequest { billingToken: AppToken }
  interface FastifyInstance { billingToken: AppTokenDecorator }
  interface FastifyContextConfig { billingToken?: AppTokenRouteConfig }
}

t.test('routes', async (t) => {
  const { oidc, base } = await policyFixture(t)

  t.test('every route gets a token with the default scopes; opt-out gets null; 404 never fetches', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    app.get('/calls', async (request) => ({
      isToken: request.appToken instanceof AppToken,
      authorization: request.appToken.authorization.startsWith('Bearer '),
      scopes: request.appToken.scopes
    }))
    app.get('/stats', { config: { appToken: { scopes: ['read:analytics'] } } }, async (request) => ({ scopes: request.appToken.scopes }))
    app.get('/health', { config: { appToken: false } }, async (request) => ({ token: request.appToken }))
    await app.ready()

    const before = oidc.tokenRequests.length
    t.same((await app.inject('/health')).json(), { token: null })
    t.equal((await app.inject('/nope')).statusCode, 404)
    t.equal(oidc.tokenRequests.length, before, 'neither the opt-out route nor a 404 fetched')

    t.same((await app.inject('/calls')).json(), { isToken: true, authorization: true, scopes: ['read:interaction'] })
    t.same((await app.inject('/stats')).json(), { scopes: ['read:analytics'] }, 'per-route scopes replace the defaults')
    t.same((await app.inject('/calls')).json().scopes, ['read:interaction'])
    t.equal(oidc.tokenRequests.length, before + 2, 'one request per scope set, then cached')
  })

  t.test('global: false gives tokens only to routes that ask', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { ...base, global: false })
    app.get('/plain', async (request) => ({ token: request.appToken }))
    app.get('/default', { config: { appToken: {} } }, async (request) => ({ scopes: request.appToken.scopes }))
    app.get('/analytics', { config: { appToken: { scopes: 'read:analytics' } } }, async (request) => ({ scopes: request.appToken.scopes }))
    t.same((await app.inject('/plain')).json(), { token: null })
    t.same((await app.inject('/default')).json(), { scopes: ['read:interaction'] })
    t.same((await app.inject('/analytics')).json(), { scopes: ['read:analytics'] })
  })

  t.test("hook 'preHandler' runs after the host's auth hooks: a refused request fetches no token", async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const order: string[] = []
    await app.register(appToken, { ...base, hook: 'preHandler' })
    // The host's auth hook, added after the plugin: with hook 'onRequest' the plugin's hook would run first.
    app.addHook('onRequest', async (request, reply) => {
      order.push(`onRequest:${request.appToken === null ? 'none' : 'token'}`)
      if (request.headers.authorization !== 'Bearer host-key') await reply.code(401).send({ error: 'unauthorized' })
    })
    app.get('/calls', async (request) => { order.push(`handler:${request.appToken.scopes.join(' ')}`); return 'ok' })
    const before = oidc.tokenRequests.length
    t.equal((await app.inject('/calls')).statusCode, 401)
    t.equal(oidc.tokenRequests.length, before, 'the host refused the request: no token was fetched for it')
    t.equal((await app.inject({ url: '/calls', headers: { authorization: 'Bearer host-key' } })).statusCode, 200)
    t.same(order, ['onRequest:none', 'onRequest:none', 'handler:read:interaction'], 'no token yet in onRequest, one in the handler')
  })

  t.test('routes declared before the plugin are checked on their first request and fail closed', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    app.get('/early-ok', { config: { appToken: { scopes: ['read:analytics'] } } }, async (request) => ({ scopes: request.appToken.scopes }))
    app.get('/early-bad', { config: { appToken: { scopes: ['write:admin'] } } }, async () => 'handler ran')
    await app.register(appToken, base)
    await app.ready() // unseen by onRoute: ready() cannot know

    const before = oidc.tokenRequests.length
    const bad = await app.inject('/early-bad')
    t.equal(bad.statusCode, 503)
    t.equal(bad.json().code, 'FST_APP_TOKEN_SCOPE_POLICY')
    t.equal(bad.headers['retry-after'], '30', 'a permanent refusal: Retry-After is long')
    t.equal(oidc.tokenRequests.length, before, 'no token request for a disallowed route')
    t.equal((await app.inject('/early-bad')).statusCode, 503, 'still closed on the next request')
    t.same((await app.inject('/early-ok')).json(), { scopes: ['read:analytics'] })
  })

  t.test('two registrations under different names, for two upstream APIs', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    await app.register(appToken, { ...base, name: 'billingToken', scopes: ['read:analytics'] })
    app.get('/both', async (request) => ({ app: request.appToken.scopes, billing: request.billingToken.scopes }))
    app.get('/billing-off', { config: { billingToken: false } }, async (request) => ({ app: request.appToken.scopes, billing: request.billingToken }))
    await app.ready()
    t.same((await app.inject('/both')).json(), { app: ['read:interaction'], billing: ['read:analytics'] })
    t.same((await app.inject('/billing-off')).json(), { app: ['read:interaction'], billing: null })
    t.same((await app.billingToken.get()).scopes, ['read:analytics'])
    t.equal(typeof app.billingToken.stats, 'function')
  })

  t.test('the same name twice fails register with the fix', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    await t.rejects(async () => { await app.register(appToken, base) }, { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /name.*another name/ })
  })

  t.test('per-call scopes and invalidate(): a fresh token, one request', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    await app.ready()
    const first = await app.appToken.get()
    t.same(first.scopes, ['read:interaction'])
    t.same((await app.appToken.get({ scopes: ALLOWED })).scopes.toSorted(), ALLOWED.toSorted())
    t.equal((await app.appToken.get()).accessToken, first.accessToken, 'cached')
    const before = oidc.tokenRequests.length
    app.appToken.invalidate()
    const again = await Promise.all([app.appToken.get(), app.appToken.get(), app.appToken.get()])
    t.not(again[0].accessToken, first.accessToken, 'a new token after invalidate()')
    t.equal(oidc.tokenRequests.length, before + 1, 'one request for all waiters')

    const analytics = await app.appToken.get({ scopes: ['read:analytics'] })
    app.appToken.invalidate({ token: analytics }) // found with its own scopes, not the defaults
    app.appToken.invalidate({ token: analytics }) // a late 401 for the same token: nothing more to drop
    const renewed = await app.appToken.get({ scopes: ['read:analytics'] })
    t.not(renewed.accessToken, analytics.accessToken, 'invalidate({ token }) dropped that token')
    t.equal((await app.appToken.get()).accessToken, again[0].accessToken, 'and only that one')
    t.equal(oidc.tokenRequests.length, before + 3, 'one request for the refused token, none for a repeated 401')
  })
})

t.test('per-route and per-call resource (RFC 8707): the token is for that audience', async (t) => {
  const resource = 'https://api.example.com'
  const oidc = await startOidcServer({
    clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ALLOWED }],
    jwt: { resource, scopes: ALLOWED }
  })
  t.teardown(() => oidc.close())
  const audience = (token: AppToken): unknown =>
    JSON.parse(Buffer.from(token.accessToken.split('.')[1] ?? '', 'base64url').toString()).aud
  const app = Fastify()
  t.teardown(() => app.close())
  // Without a policy, a route's or call's resource must be the option's or listed in `resources` (docs/providers.md).
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:interaction'], global: false, resources: [resource] })
  app.get('/api', { config: { appToken: { resource } } }, async (request) => audience(request.appToken))
  app.get('/bad', { config: { appToken: { resource: 'not a uri' } } }, async () => 'x')
  await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /GET, HEAD \/bad .*config.appToken.resource must be an absolute URI \(RFC 8707 §2\)/ })

  const good = Fastify()
  t.teardown(() => good.close())
  await good.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:interaction'], resources: [resource] })
  good.get('/api', { config: { appToken: { resource } } }, async (request) => audience(request.appToken))
  good.get('/plain', async (request) => request.appToken.scopes)
  t.equal((await good.inject('/api')).body, resource)
  t.same((await good.inject('/plain')).json(), ['read:interaction'])
  t.equal(audience(await good.appToken.get({ resource })), resource)
  t.same(good.appToken.stats().entries.map((e) => e.resource).sort(), [resource, null],
    'one cached token for the route with a resource, one for the route without; get({ resource }) reused the first')
})

t.test('a route config of the wrong shape fails ready()', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: 'https://auth.example.com/token' })
  app.get('/x', { config: { appToken: { scopes: [42] } as unknown as { scopes: string[] } } }, async () => 'x')
  await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /GET, HEAD \/x .*config\.appToken must be false, true or \{ scopes/ })
})
