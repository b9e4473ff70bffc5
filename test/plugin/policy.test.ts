// Scopes are checked against the policy (or the generic rules) before any
// token request: at register, when routes are added, and on every get().
import t from 'tap'
import Fastify from 'fastify'
import appToken, { AppTokenError, ScopePolicyError } from '../../plugin/index.js'
import { loadPolicySet } from '../../service/policy/index.js'
import { CLIENT_ID, SECRET, policyDir, policyFixture, register } from './fixtures/helpers.js'

t.test('policy', async (t) => {
  const { oidc, policy, base } = await policyFixture(t)

  t.test('a route asking for a disallowed scope fails ready() with the violation', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    const before = oidc.tokenRequests.length
    // Declaring the route does not throw: the violation is collected...
    app.get('/admin', { config: { appToken: { scopes: ['write:admin'] } } }, async () => 'x')
    app.get('/typo', { config: { appToken: { scopes: ['Read:Analytics'] } } }, async () => 'x')
    app.get('/fine', { config: { appToken: { scopes: ['read:analytics'] } } }, async () => 'x')
    // ...and reported by ready().
    const err = await app.ready().then(() => null, (e: unknown) => e) as (Error & { code: string }) | null
    t.ok(err, 'ready() rejects')
    t.equal(err?.code, 'FST_APP_TOKEN_ROUTE_SCOPES')
    t.match(err?.message, /^2 route\(s\) ask for scopes that are not allowed:/)
    t.match(err?.message, /GET, HEAD \/admin \[write:admin\]: not_whitelisted "write:admin"/)
    t.match(err?.message, /GET, HEAD \/typo \[Read:Analytics\]: case_mismatch "Read:Analytics"/)
    t.match(err?.message, /test-service\.yaml/, 'says where the whitelist is')
    t.notMatch(err?.message, /\/fine/)
    t.equal(oidc.tokenRequests.length, before, 'nothing was sent')
  })

  t.test('get() with a disallowed scope rejects without any token request', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    await app.ready()
    const before = oidc.tokenRequests.length
    for (const scopes of [['write:admin'], ['openid'], ['read:interaction,read:analytics'], ['read_interaction']]) {
      const err = await app.appToken.get({ scopes }).catch((e: unknown) => e)
      t.ok(err instanceof ScopePolicyError, `${scopes[0]} is refused`)
    }
    const err = await app.appToken.get({ scopes: ['openid', 'read:interaction'] }).catch((e: unknown) => e) as ScopePolicyError
    t.equal(err.code, 'FST_APP_TOKEN_SCOPE_POLICY')
    t.ok(err instanceof AppTokenError && err.transient === false, 'an AppTokenError, and permanent')
    t.same(err.violations.map((v) => [v.scope, v.code]), [['openid', 'user_scope']])
    t.equal(oidc.tokenRequests.length, before, 'zero token requests at the server')

    t.same((await app.appToken.get({ scopes: ['42'] }).catch((e: ScopePolicyError) => e.violations[0]?.code)), 'not_whitelisted')
    const notString = await app.appToken.get({ scopes: [42] as unknown as string[] }).catch((e: unknown) => e)
    t.ok(notString instanceof ScopePolicyError, 'a non-string scope is refused')
  })

  t.test('decisions are remembered per scope set and resource, never across them', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, base)
    await app.ready()
    const scopes = ['read:analytics']
    const first = await app.appToken.get({ scopes })
    t.equal(await app.appToken.get({ scopes: ['read:analytics'] }), first, 'the same set in a fresh array: the same token')
    t.equal(await app.appToken.get({ scopes: 'read:analytics' }), first, 'and as a string')
    scopes[0] = 'write:admin' // the caller reuses its array
    const changed = await app.appToken.get({ scopes }).catch((e: unknown) => e)
    t.ok(changed instanceof ScopePolicyError, 'a changed array is checked again')
    const twice = [await app.appToken.get({ scopes: ['openid'] }).catch((e: unknown) => e), await app.appToken.get({ scopes: ['openid'] }).catch((e: unknown) => e)]
    t.ok(twice.every((e) => e instanceof ScopePolicyError) && twice[0] !== twice[1], 'a refusal every time, a fresh error each')
    const both = await app.appToken.get({ scopes: ['read:analytics', 'read:interaction'] })
    t.equal(await app.appToken.get({ scopes: ['read:interaction', 'read:analytics', 'read:interaction'] }), both, 'order and repeats do not matter')
    t.not(both, first)
    const elsewhere = await app.appToken.get({ scopes: ['read:analytics'], resource: 'https://api.example.com' }).catch((e: unknown) => e)
    t.not(elsewhere, first, 'another resource is another token')
  })

  t.test('disallowed default scopes fail register', async (t) => {
    await t.rejects(register(t, { ...base, scopes: ['read:interaction', 'offline_access'] }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option scopes: .*user_scope "offline_access"/ })
  })

  t.test('the client must have a policy entry; its environment must match', async (t) => {
    await t.rejects(register(t, { ...base, clientId: 'someone-else' }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option clientId: "someone-else" has no entry in the policies/ })
    await t.rejects(register(t, { ...base, environment: 'prod' }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option environment: "prod" does not match .*test-service\/test/ })
    await t.rejects(register(t, { ...base, tokenEndpoint: 'https://elsewhere.example/token' }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option tokenEndpoint: .* differs from the policy entry/ })
  })

  t.test('an invalid policy folder fails register with its findings', async (t) => {
    const broken = await policyDir(t, 'http://10.0.0.1/token') // http: off loopback is an error in a policy
    await t.rejects(register(t, { ...base, policy: broken }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option policy: .*test-service\.yaml:\d+:\d+: error insecure-endpoint/s })
  })

  t.test('a loaded PolicySet works like a folder; the endpoint comes from it', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy: await loadPolicySet(policy), scopes: 'read:analytics' })
    app.get('/', async (request) => request.appToken.scopes)
    t.same((await app.inject('/')).json(), ['read:analytics'])
  })

  t.test('without a policy the generic rules apply and tokenEndpoint is required', async (t) => {
    await t.rejects(register(t, { clientId: CLIENT_ID, clientSecret: SECRET }),
      { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option tokenEndpoint: missing/ })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, global: false })
    app.get('/user', { config: { appToken: { scopes: ['openid'] } } }, async () => 'x')
    await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_ROUTE_SCOPES', message: /user_scope "openid"/ })
  })

  t.test('without a policy, allowed scopes are fetched', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:analytics'] })
    app.get('/', async (request) => request.appToken.scopes)
    t.same((await app.inject('/')).json(), ['read:analytics'])
    await t.rejects(app.appToken.get({ scopes: 'read:a,read:b' }), { code: 'FST_APP_TOKEN_SCOPE_POLICY', message: /malformed/ })
  })
})
