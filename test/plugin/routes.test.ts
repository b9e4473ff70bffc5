// request.appToken on routes: defaults, per-route scopes, opt-out, global:
// false, hook choice, 404s, routes declared before the plugin, two names.
import t from 'tap'
import Fastify from 'fastify'
import appToken, { AppToken, type AppTokenDecorator } from '../../plugin/index.js'
import { ALLOWED, CLIENT_ID, SECRET, policyDir, register, tokenServer } from './helpers.js'

declare module 'fastify' {
  interface FastifyRequest { billingToken: AppToken }
  interface FastifyInstance { billingToken: AppTokenDecorator }
  interface FastifyContextConfig { billingToken?: false | { scopes?: string[] } }
}

t.test('routes', async (t) => {
  const oidc = await tokenServer(t)
  const policy = await policyDir(t, oidc.tokenEndpoint)
  const base = { clientId: CLIENT_ID, clientSecret: SECRET, policy, environment: 'test', scopes: ['read:interaction'] }

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

  t.test("hook 'preHandler' runs after the host's own preHandler hooks", async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const order: string[] = []
    app.addHook('onRequest', async (request) => { order.push(`onRequest:${request.appToken === null ? 'none' : 'token'}`) })
    await app.register(appToken, { ...base, hook: 'preHandler' })
    app.get('/calls', async (request) => { order.push(`handler:${request.appToken.scopes.join(' ')}`); return 'ok' })
    t.equal((await app.inject('/calls')).statusCode, 200)
    t.same(order, ['onRequest:none', 'handler:read:interaction'], 'no token yet in onRequest, one in the handler')
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
  })
})
