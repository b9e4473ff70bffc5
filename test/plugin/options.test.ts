// Options and their environment fallbacks: the APP_TOKEN_* variables, a
// mounted secret file and its rotation, and register failures that name the
// option and the fix.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import Fastify from 'fastify'
import fastifyEnv from '@fastify/env'
import appToken, { type AppTokenOptions } from '../../plugin/index.js'
import { ALLOWED, CLIENT_ID, SECRET, policyDir, register, setEnv, tempDir, tokenServer } from './fixtures/helpers.js'

t.test('environment variables', async (t) => {
  const oidc = await tokenServer(t)

  t.test('APP_TOKEN_* with a mounted secret file ending in a newline', async (t) => {
    const dir = await tempDir(t)
    const secretFile = join(dir, 'client-secret')
    await writeFile(secretFile, `${SECRET}\n`)
    setEnv(t, {
      APP_TOKEN_CLIENT_ID: CLIENT_ID,
      APP_TOKEN_CLIENT_SECRET_FILE: secretFile,
      APP_TOKEN_ENDPOINT: oidc.tokenEndpoint,
      APP_TOKEN_SCOPES: ALLOWED.join(' ')
    })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken)
    app.get('/', async (request) => request.appToken.scopes.toSorted())
    const res = await app.inject('/')
    t.equal(res.statusCode, 200, 'the secret was read without its trailing newline')
    t.same(res.json(), ALLOWED.toSorted(), 'APP_TOKEN_SCOPES is space-delimited')
    t.notOk(app.hasDecorator('config'), 'no config decorator')
  })

  t.test('APP_TOKEN_POLICY and APP_TOKEN_ENV; an option wins over its variable', async (t) => {
    setEnv(t, {
      APP_TOKEN_CLIENT_ID: CLIENT_ID,
      APP_TOKEN_CLIENT_SECRET: 'not-this-one',
      APP_TOKEN_POLICY: await policyDir(t, oidc.tokenEndpoint),
      APP_TOKEN_ENV: 'test'
    })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { clientSecret: SECRET, scopes: ['read:analytics'] })
    app.get('/', async (request) => request.appToken.scopes)
    t.same((await app.inject('/')).json(), ['read:analytics'])
  })

  t.test('a rotated secret file is read again after invalid_client', async (t) => {
    const dir = await tempDir(t)
    const secretFile = join(dir, 'client-secret')
    await writeFile(secretFile, 'the-old-secret\n')
    setEnv(t, { APP_TOKEN_CLIENT_ID: CLIENT_ID, APP_TOKEN_CLIENT_SECRET_FILE: secretFile, APP_TOKEN_ENDPOINT: oidc.tokenEndpoint })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(appToken, { scopes: ['read:interaction'] })
    app.get('/', async (request) => request.appToken.scopes)

    const before = oidc.tokenRequests.length
    const refused = await app.inject('/')
    t.equal(refused.statusCode, 503)
    t.equal(refused.json().code, 'FST_APP_TOKEN_OAUTH_ERROR')
    await writeFile(secretFile, `${SECRET}\n`) // the orchestrator mounts the new secret
    // The permanent failure is remembered for a second, so a hot route cannot hammer the endpoint.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const res = await app.inject('/')
    t.equal(res.statusCode, 200, 'the new secret is used without a restart')
    t.equal(oidc.tokenRequests.length, before + 2)
  })

  t.test('the host may use @fastify/env for its own config', async (t) => {
    setEnv(t, { APP_TOKEN_CLIENT_ID: CLIENT_ID, APP_TOKEN_CLIENT_SECRET: SECRET, APP_TOKEN_ENDPOINT: oidc.tokenEndpoint })
    process.env.HOST_SETTING = 'from-env'
    t.teardown(() => { delete process.env.HOST_SETTING })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyEnv, { schema: { type: 'object', required: ['HOST_SETTING'], properties: { HOST_SETTING: { type: 'string' } } } })
    await app.register(appToken, { scopes: ['read:interaction'] })
    app.get('/', async (request) => ({ setting: (app as unknown as { config: { HOST_SETTING: string } }).config.HOST_SETTING, scopes: request.appToken.scopes }))
    t.same((await app.inject('/')).json(), { setting: 'from-env', scopes: ['read:interaction'] })
  })
})

t.test('register fails with the option and the fix', async (t) => {
  const ok = { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: 'https://auth.example.com/oauth/token' }
  const cases: Array<[string, Record<string, unknown>, RegExp, Record<string, string>?]> = [
    ['missing clientId', { ...ok, clientId: undefined }, /option clientId: missing: pass clientId or set APP_TOKEN_CLIENT_ID/],
    ['missing secret', { ...ok, clientSecret: undefined }, /option clientSecret: missing: pass clientSecret, or set APP_TOKEN_CLIENT_SECRET or APP_TOKEN_CLIENT_SECRET_FILE/],
    ['misspelt option', { ...ok, scope: ['read:interaction'] }, /option scope: unknown option; the options are: clientId, environment, scopes, /],
    ['wrong hook', { ...ok, hook: 'onSend' }, /option hook: must be 'onRequest' or 'preHandler' \(got "onSend"\)/],
    ['wrong prefetch', { ...ok, prefetch: true }, /option prefetch: must be 'block', 'background' or false \(got true\)/],
    ['wrong authMethod', { ...ok, authMethod: 'basic' }, /option authMethod: must be one of client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth, self_signed_tls_client_auth, got "basic"/],
    ['wrong provider', { ...ok, provider: 'azure' }, /option provider: must be one of generic, auth0, entra, okta, keycloak, genesys \(or env APP_TOKEN_PROVIDER\)/],
    ['wrong name', { ...ok, name: 'billing-token' }, /option name: must be a JavaScript identifier/],
    ['wrong timeout', { ...ok, timeout: -1 }, /option timeout: must be a positive number/],
    ['wrong maxWait', { ...ok, maxWait: 0 }, /option maxWait: must be a positive number/],
    ['lockTtl above maxWait / 2', { ...ok, maxWait: 4000, lockTtl: 3000 }, /option lockTtl: must be at most maxWait \/ 2 \(2000 ms with maxWait 4000 ms\): lower lockTtl or raise maxWait/],
    ['maxLifetime past setTimeout', { ...ok, maxLifetime: 3e6 }, /option maxLifetime: must be a positive number ≤ 2147483/],
    ['wrong maxEntries', { ...ok, maxEntries: 0.5 }, /option maxEntries: must be a whole number ≥ 1/],
    ['wrong retry', { ...ok, retry: { minDelay: 'fast' } }, /option retry.minDelay: must be a positive number/],
    ['wrong store', { ...ok, store: {} }, /option store: must be a SharedTokenStore/],
    ['misspelt retry field', { ...ok, retry: { retry: 3 } }, /option retry: must be \{ retries\?, minDelay\?, maxDelay\? \}/],
    ['wrong dispatcher', { ...ok, dispatcher: {} }, /option dispatcher: must be an undici Dispatcher/],
    ['http off loopback', { ...ok, tokenEndpoint: 'http://auth.example.com/token' }, /option tokenEndpoint: refusing http: token endpoint on auth\.example\.com.*Use https:/],
    ['not a URL', { ...ok, tokenEndpoint: 'auth.example.com/token' }, /option tokenEndpoint: tokenEndpoint is not an absolute URL/],
    ['policy folder missing', { ...ok, policy: '/nonexistent/policies' }, /option policy: .*\/nonexistent\/policies/s],
    ['http off loopback from the env', { ...ok, tokenEndpoint: undefined }, /option APP_TOKEN_ENDPOINT: refusing http:/, { APP_TOKEN_ENDPOINT: 'http://10.1.2.3/token' }],
    ['empty variable', ok, /environment variable APP_TOKEN_SCOPES is set but empty/, { APP_TOKEN_SCOPES: '' }],
    ['two secret variables', { ...ok, clientSecret: undefined }, /both APP_TOKEN_CLIENT_SECRET and APP_TOKEN_CLIENT_SECRET_FILE are set/, { APP_TOKEN_CLIENT_SECRET: 'a', APP_TOKEN_CLIENT_SECRET_FILE: '/x' }],
    ['unreadable secret file', { ...ok, clientSecret: undefined }, /cannot read the client secret file \/nonexistent\/secret .*ENOENT/, { APP_TOKEN_CLIENT_SECRET_FILE: '/nonexistent/secret' }]
  ]
  for (const [name, options, message, env] of cases) {
    t.test(name, async (t) => {
      setEnv(t, env ?? {})
      await t.rejects(register(t, options as AppTokenOptions), { code: 'FST_APP_TOKEN_INVALID_OPTION', message })
    })
  }

  t.test('a secret given in a wrong shape is not echoed', async (t) => {
    setEnv(t, {})
    const err = await register(t, { ...ok, clientSecret: 12345678 as unknown as string }).catch((e: unknown) => e) as Error
    t.match(err.message, /option clientSecret: must be a non-empty string or a function/)
    t.notMatch(err.message, /12345678/)
  })
})
