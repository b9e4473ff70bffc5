// What goes on the wire: RFC 6749 §4.4.2 form body, §2.3.1 Basic credentials,
// RFC 8707 resource, and the https-or-loopback rule.
import t from 'tap'
import { fetchToken, InsecureEndpointError, InvalidOptionError, TokenCache } from '../../plugin/token/index.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'

const clientId = 'id:with +/=%&'
const clientSecret = 'secret:+/=%& x'

t.test('client_secret_basic: form-encoded id and secret, then base64 (RFC 6749 §2.3.1)', async (t) => {
  const server = await startFaultServer({ body: tokenBody() })
  t.teardown(() => server.close())
  await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, scopes: ['b:read', 'a:read', 'b:read'] })
  const req = server.requests[0]!
  t.equal(req.method, 'POST')
  t.equal(req.headers['content-type'], 'application/x-www-form-urlencoded')
  t.equal(req.headers.accept, 'application/json')
  const basic = Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64').toString()
  t.equal(basic, 'id%3Awith+%2B%2F%3D%25%26:secret%3A%2B%2F%3D%25%26+x')
  const [id, secret] = basic.split(':').map((part) => new URLSearchParams(`v=${part}`).get('v'))
  t.equal(id, clientId, 'the id decodes back')
  t.equal(secret, clientSecret, 'the secret decodes back')
  t.equal(req.form.get('grant_type'), 'client_credentials')
  t.equal(req.form.get('scope'), 'a:read b:read', 'space-delimited, de-duplicated')
  t.notOk(req.form.has('client_secret'))
  t.notOk(req.form.has('resource'))
})

t.test('client_secret_post: credentials in the form body; no scope parameter when no scope', async (t) => {
  const server = await startFaultServer({ body: tokenBody() })
  t.teardown(() => server.close())
  await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, authMethod: 'client_secret_post', resource: 'https://api.example.com/' })
  const req = server.requests[0]!
  t.equal(req.headers.authorization, undefined)
  t.equal(req.form.get('client_id'), clientId)
  t.equal(req.form.get('client_secret'), clientSecret)
  t.notOk(req.form.has('scope'))
  t.equal(req.form.get('resource'), 'https://api.example.com/')
})

t.test('the secret function is called before each request', async (t) => {
  const server = await startFaultServer({ body: tokenBody({ expires_in: 0 }) })
  t.teardown(() => server.close())
  let calls = 0
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret: () => `s${++calls}`, authMethod: 'client_secret_post' })
  t.teardown(() => cache.close())
  await cache.get()
  await cache.get()
  t.same(server.requests.map((r) => r.form.get('client_secret')), ['s1', 's2'])
})

t.test('http: only on loopback', async (t) => {
  const options = { clientId, clientSecret }
  t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'http://auth.example.com/token' }), { code: 'FST_APP_TOKEN_INSECURE_ENDPOINT' })
  t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'http://10.0.0.1/token' }), { code: 'FST_APP_TOKEN_INSECURE_ENDPOINT' })
  await t.rejects(fetchToken({ ...options, tokenEndpoint: 'http://auth.example.com/token' }), { code: 'FST_APP_TOKEN_INSECURE_ENDPOINT' })
  for (const ok of ['http://localhost:1/token', 'http://127.0.0.1/token', 'http://127.8.9.10/token', 'http://[::1]:8080/token', 'https://auth.example.com/token']) {
    const cache = new TokenCache({ ...options, tokenEndpoint: ok })
    await cache.close()
    t.pass(`${ok} accepted`)
  }
  t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'https://user:pw@auth.example.com/token' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'ftp://auth.example.com/token' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'not a url' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  const insecure = t.throws(() => new TokenCache({ ...options, tokenEndpoint: 'http://auth.example.com/token' }))
  t.ok(insecure instanceof InsecureEndpointError, 'instanceof the exported class')
  t.notOk(insecure instanceof InvalidOptionError)
})

t.test('arguments that cannot work are refused before any request', async (t) => {
  const server = await startFaultServer({ body: tokenBody() })
  t.teardown(() => server.close())
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret })
  t.teardown(() => cache.close())
  await t.rejects(cache.get({ scopes: ['read write'] }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  await t.rejects(cache.get({ scopes: ['"quoted"'] }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  await t.rejects(cache.get({ resource: 'not-absolute' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  await t.rejects(cache.get({ resource: 'https://api.example.com/#frag' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.equal(server.requests.length, 0)
  await cache.get()
  await t.rejects(cache.get({ scopes: [''] }), { code: 'FST_APP_TOKEN_INVALID_OPTION' }, 'an empty scope is not the empty set, even with that cached')
  await t.rejects(cache.get({ scopes: ['b', 'a b'] }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  await cache.get({ scopes: ['a', 'b', 'c'] })
  for (const scopes of [['a b c'], ['a', 'b c'], [1, 2, 3]]) {
    await t.rejects(cache.get({ scopes: scopes as string[] }), { code: 'FST_APP_TOKEN_INVALID_OPTION' },
      `${JSON.stringify(scopes)} is refused, not read as the cached ["a","b","c"]`)
  }
  t.equal(server.requests.length, 2)
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: '', clientSecret }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret: '' }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, authMethod: 'client_secret_jwt' as never }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, timeout: 0 }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
})

t.test('a clientSecret function that fails → FST_APP_TOKEN_SECRET_UNAVAILABLE, no request', async (t) => {
  const server = await startFaultServer({ body: tokenBody() })
  t.teardown(() => server.close())
  await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret: () => { throw new Error('ENOENT') } }), { code: 'FST_APP_TOKEN_SECRET_UNAVAILABLE' })
  await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret: async () => '' }), { code: 'FST_APP_TOKEN_SECRET_UNAVAILABLE' })
  t.equal(server.requests.length, 0)
})
