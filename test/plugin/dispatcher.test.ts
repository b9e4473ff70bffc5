// app.appToken.dispatcher() and fetch() (docs/plugin.md, "Calling the API") against real
// parts: oidc-provider issues the tokens, resource servers on node:http introspect them,
// answer scripted 401s and redirect; a second origin must never see a token.
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { interceptors, request, type Dispatcher } from 'undici'
import appToken, { type AppTokenOptions } from '../../plugin/index.js'
import { AppTokenError } from '../../plugin/token/errors.js'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { startFaultServer } from '../helpers/fault-server.js'
import { startResourceServer, type ResourceServer } from '../helpers/resource-server.js'
import { challengeErrors, insufficientScope, useDpopNonce } from '../../plugin/dispatcher/challenges.js'
import { makeCertificates } from '../helpers/certificates.js'
import { assertNoSecrets, logCapture, type LogCapture } from '../helpers/log-capture.js'
import { ALLOWED, CLIENT_ID, deadEndpoint, policyDir, SECRET, setEnv } from './fixtures/helpers.js'

const INTROSPECTOR = { clientId: 'resource-server', clientSecret: 'rs-secret-0c1f' }

interface Setup {
  oidc: OidcServer
  api: ResourceServer
  /** An origin that is not listed: it must never see a token. */
  other: ResourceServer
  app: FastifyInstance
  log: LogCapture
  /** Every token the servers were shown, for the log check. */
  tokens: () => string[]
}

async function setup (t: Test, options: Partial<AppTokenOptions> = {}): Promise<Setup> {
  const oidc = await startOidcServer({
    clients: [
      { clientId: CLIENT_ID, clientSecret: SECRET, scopes: ALLOWED },
      { clientId: INTROSPECTOR.clientId, clientSecret: INTROSPECTOR.clientSecret, scopes: ['introspect'] }
    ],
    extraScopes: ['write:admin']
  })
  t.teardown(() => oidc.close())
  const introspection = { endpoint: oidc.introspectionEndpoint, ...INTROSPECTOR }
  const [api, other] = await Promise.all([startResourceServer({ introspection }), startResourceServer({ introspection })])
  t.teardown(() => Promise.all([api.close(), other.close()]))
  const log = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
  t.teardown(() => app.close())
  const policy = await policyDir(t, oidc.tokenEndpoint)
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'], origins: [api.origin], ...options })
  await app.ready()
  const tokens = (): string[] => [...api.seen, ...other.seen].flatMap((s) => s.authorization === undefined ? [] : [s.authorization.replace(/^Bearer /, '')])
  return { oidc, api, other, app, log, tokens }
}

t.test('the token goes to the listed origin only', async (t) => {
  const { app, api, other, oidc, log, tokens } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const res = await request(`${api.origin}/v1/calls?x=1`, { dispatcher })
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { method: 'GET', path: '/v1/calls?x=1', body: '' })
  const token = await app.appToken.get()
  t.equal(api.seen[0]!.authorization, token.authorization, 'the cached token of the default scopes')

  const elsewhere = await request(`${other.origin}/v1/calls`, { dispatcher })
  t.equal(elsewhere.statusCode, 401, 'the other origin answers as to anyone without a token')
  await elsewhere.body.dump()
  t.equal(other.seen[0]!.authorization, undefined, 'no token to another origin')
  t.equal(oidc.tokenRequests.length, 1)
  t.equal(app.appToken.dispatcher(), dispatcher, 'made once per options, then reused')
  assertNoSecrets(t, log, [SECRET, ...tokens()])
})

t.test('every header form undici takes; the caller\'s headers are not changed', async (t) => {
  const { app, api } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const object = { 'x-form': 'object' }
  const forms = [object, ['x-form', 'flat'], new Map([['x-form', 'map']]), [['x-form', 'pairs']] as unknown as string[]]
  for (const headers of forms) {
    const res = await request(`${api.origin}/v1/calls`, { dispatcher, headers })
    t.equal(res.statusCode, 200)
    await res.body.dump()
  }
  t.ok(api.seen.every((s) => s.authorization?.startsWith('Bearer ')), 'the token in each form')
  t.same(object, { 'x-form': 'object' }, 'the caller\'s object is not changed')
})

t.test('WWW-Authenticate challenges are read per scheme (RFC 9110 §11.6.1)', async (t) => {
  const read = (header: string | string[]): Array<[string, string | undefined]> => [...challengeErrors(header)]
  t.strictSame(read('Bearer realm="api", error="insufficient_scope", scope="a b"'), [['bearer', 'insufficient_scope']])
  t.strictSame(read('DPoP algs="ES256 PS256", error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", Bearer realm="x"'),
    [['dpop', 'use_dpop_nonce'], ['bearer', undefined]])
  t.strictSame(read(['Basic realm="a"', 'Bearer error=invalid_token']), [['basic', undefined], ['bearer', 'invalid_token']], 'several headers; a token value')
  t.strictSame(read('Negotiate YWJj==, Bearer error="a\\"b"'), [['negotiate', undefined], ['bearer', 'a"b']], 'token68 skipped; a quoted-pair unescaped')
  t.strictSame(read('Negotiate YWJj, Basic'), [['negotiate', undefined], ['basic', undefined]], 'an unpadded token68 is no scheme')
  t.ok(insufficientScope(challengeErrors('Bearer error="insufficient_scope"')))
  t.notOk(insufficientScope(challengeErrors('Bearer error="invalid_token", error_description="insufficient_scope"')))
  t.ok(useDpopNonce(challengeErrors('DPoP error="use_dpop_nonce"')))
  t.notOk(useDpopNonce(challengeErrors('Bearer error="use_dpop_nonce"')), 'only the DPoP scheme\'s')
})

t.test('never across a redirect to another origin', async (t) => {
  const { app, api, other, log, tokens } = await setup(t)
  api.script({ status: 302, location: `${other.origin}/landing` }, { status: 307, location: `${other.origin}/landing` })

  const viaFetch = await app.appToken.fetch(`${api.origin}/moved`)
  t.equal(viaFetch.status, 401, 'fetch followed the redirect; the other origin saw no token')
  await viaFetch.arrayBuffer()
  const redirecting = app.appToken.dispatcher().compose(interceptors.redirect({ maxRedirections: 2 }))
  const viaRequest = await request(`${api.origin}/moved`, { dispatcher: redirecting })
  t.equal(viaRequest.statusCode, 401, 'the redirect interceptor followed it too')
  await viaRequest.body.dump()

  t.equal(api.seen.length, 2)
  t.ok(api.seen.every((s) => s.authorization?.startsWith('Bearer ')), 'the listed origin got the token')
  t.same(other.seen.map((s) => [s.path, s.authorization]), [['/landing', undefined], ['/landing', undefined]], 'the other origin never did')

  api.script({ status: 302, location: '/here' })
  const sameOrigin = await app.appToken.fetch(`${api.origin}/moved`)
  t.equal(sameOrigin.status, 200, 'a redirect within the origin keeps the token')
  t.same(await sameOrigin.json(), { method: 'GET', path: '/here', body: '' })
  assertNoSecrets(t, log, [SECRET, ...tokens()])
})

t.test('a 401 costs one retry with one new token; the body is sent again', async (t) => {
  const { app, api, oidc, log, tokens } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const first = await app.appToken.get()
  api.revoke(first.accessToken)

  const res = await request(`${api.origin}/v1/notes`, { dispatcher, method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } })
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { method: 'POST', path: '/v1/notes', body: 'hello' }, 'the string body was sent again')
  t.equal(api.seen.length, 2, 'exactly one retry')
  t.equal(api.seen[0]!.authorization, first.authorization)
  const second = await app.appToken.get()
  t.not(second.accessToken, first.accessToken)
  t.equal(api.seen[1]!.authorization, second.authorization, 'the retry carried the fresh token')
  t.equal(oidc.tokenRequests.length, 2, 'one new token')

  // A Buffer body, and a 401 on the retry too: returned, no third request.
  api.revoke(second.accessToken)
  api.script({ status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' }) // the retry's answer comes from the revocation below
  const again = await request(`${api.origin}/v1/notes`, { dispatcher, method: 'PUT', body: Buffer.from('bytes') })
  await again.body.dump()
  t.equal(again.statusCode, 200, 'scripted 401, then the fresh token is accepted')
  t.same(api.seen.slice(2).map((s) => s.body), ['bytes', 'bytes'])

  const third = await app.appToken.get()
  api.revoke(third.accessToken)
  api.script({ status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' }, { status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' })
  const twice = await request(`${api.origin}/v1/notes`, { dispatcher })
  t.equal(twice.statusCode, 401, 'a 401 on the retry goes to the caller')
  t.same(await twice.body.json(), { error: 'scripted' })
  t.equal(api.seen.length, 6, 'and is not retried again')
  assertNoSecrets(t, log, [SECRET, ...tokens()])
})

t.test('insufficient_scope is returned as it is, with the token kept', async (t) => {
  const { app, api, oidc } = await setup(t)
  api.script({ status: 401, wwwAuthenticate: 'Bearer realm="api", error="insufficient_scope", scope="write:admin"' })
  const res = await request(`${api.origin}/v1/admin`, { dispatcher: app.appToken.dispatcher() })
  t.equal(res.statusCode, 401)
  t.match(res.headers['www-authenticate'], /insufficient_scope/)
  await res.body.dump()
  t.equal(api.seen.length, 1, 'no retry: a fresh token of the same scopes would not help (RFC 6750 §3.1)')
  t.equal(oidc.tokenRequests.length, 1)
  const res2 = await request(`${api.origin}/v1/calls`, { dispatcher: app.appToken.dispatcher() })
  await res2.body.dump()
  t.equal(res2.statusCode, 200)
  t.equal(oidc.tokenRequests.length, 1, 'the token was not dropped')
})

t.test('20 concurrent 401s for one token cost one new token', async (t) => {
  const { app, api, oidc, log, tokens } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const first = await app.appToken.get()
  api.revoke(first.accessToken)
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const res = await request(`${api.origin}/v1/calls/${i}`, { dispatcher })
    await res.body.dump()
    return res.statusCode
  }))
  t.same(answers, Array(20).fill(200))
  t.equal(oidc.tokenRequests.length, 2, 'the first token and one new one')
  const refused = api.seen.filter((s) => s.authorization === first.authorization)
  t.equal(refused.length, 20)
  t.equal(api.seen.length, 40, 'each request retried once')
  t.equal(new Set(api.seen.filter((s) => s.authorization !== first.authorization).map((s) => s.authorization)).size, 1, 'all retries share the new token')
  assertNoSecrets(t, log, [SECRET, ...tokens()])
})

t.test('a stream body is not sent again: the 401 is returned, the token dropped', async (t) => {
  const { app, api, oidc } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const first = await app.appToken.get()
  api.revoke(first.accessToken)
  const res = await request(`${api.origin}/v1/upload`, { dispatcher, method: 'POST', body: Readable.from(['one ', 'shot']) })
  t.equal(res.statusCode, 401)
  t.same(await res.body.json(), { error: 'invalid_token' })
  t.equal(api.seen.length, 1, 'no retry')
  t.equal(api.seen[0]!.body, 'one shot')
  const next = await request(`${api.origin}/v1/calls`, { dispatcher })
  await next.body.dump()
  t.equal(next.statusCode, 200, 'the next request has a fresh token')
  t.equal(oidc.tokenRequests.length, 2)
})

t.test('a caller\'s own Authorization is left alone', async (t) => {
  const { app, api, oidc } = await setup(t)
  const res = await request(`${api.origin}/v1/calls`, { dispatcher: app.appToken.dispatcher(), headers: { Authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(res.statusCode, 401)
  await res.body.dump()
  t.equal(api.seen.length, 1, 'not retried with our token')
  t.equal(api.seen[0]!.authorization, 'Basic dXNlcjpwYXNz')
  t.equal(oidc.tokenRequests.length, 0)
})

t.test('fetch(): bodies kept for the retry, scopes checked as for get()', async (t) => {
  const { app, api, oidc, log, tokens } = await setup(t)
  api.revoke((await app.appToken.get()).accessToken)
  const form = new URLSearchParams({ a: '1', b: 'two words' })
  const res = await app.appToken.fetch(`${api.origin}/v1/form`, { method: 'POST', body: form })
  t.equal(res.status, 200)
  t.same(await res.json(), { method: 'POST', path: '/v1/form', body: 'a=1&b=two+words' }, 'URLSearchParams sent again')
  t.equal(oidc.tokenRequests.length, 2)

  api.revoke((await app.appToken.get()).accessToken)
  const stream = new ReadableStream({ start (c) { c.enqueue(new TextEncoder().encode('streamed')); c.close() } })
  const streamed = await app.appToken.fetch(`${api.origin}/v1/stream`, { method: 'POST', body: stream, duplex: 'half' })
  t.equal(streamed.status, 401, 'a stream body: the 401 is returned')
  await streamed.arrayBuffer()

  const analytics = await app.appToken.fetch(`${api.origin}/v1/queues`, {}, { scopes: ['read:analytics'] })
  t.equal(analytics.status, 200)
  await analytics.arrayBuffer()
  t.same(api.seen.at(-1)!.authorization, (await app.appToken.get({ scopes: ['read:analytics'] })).authorization, 'a token of those scopes')

  const before = oidc.tokenRequests.length
  await t.rejects(app.appToken.fetch(`${api.origin}/v1/admin`, {}, { scopes: ['write:admin'] }), { code: 'FST_APP_TOKEN_SCOPE_POLICY' })
  t.throws(() => app.appToken.dispatcher({ scopes: ['write:admin'] }), { code: 'FST_APP_TOKEN_SCOPE_POLICY' })
  t.equal(oidc.tokenRequests.length, before, 'a disallowed scope never reaches the token endpoint')

  await t.rejects(app.appToken.fetch(`${api.origin}/x`, { dispatcher: app.appToken.dispatcher() }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /init.dispatcher is not used/ })
  // Node 20's global Request and FormData are another undici's: refused with a clear error.
  await t.rejects(app.appToken.fetch(new globalThis.Request(`${api.origin}/x`) as never), { message: /import \{ Request \} from 'undici'/ })
  await t.rejects(app.appToken.fetch(`${api.origin}/x`, { method: 'POST', body: new globalThis.FormData() as never }), { message: /import \{ FormData \} from 'undici'/ })
  assertNoSecrets(t, log, [SECRET, ...tokens()])
})

t.test('tls_client_auth: the client certificate on API calls too (RFC 8705 §3)', async (t) => {
  const certs = await makeCertificates(t)
  const [tokenPem, apiPem, client] = await Promise.all([
    certs.signed('token-server', { ip: '127.0.0.1' }), certs.signed('api-server', { ip: '127.0.0.1' }), certs.signed('tls-app')
  ])
  const ca = certs.ca.cert
  const oidc = await startOidcServer({
    https: { ...tokenPem, ca },
    clients: [
      { clientId: 'tls-app', authMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=tls-app', scopes: ['read:interaction'] },
      { clientId: INTROSPECTOR.clientId, clientSecret: INTROSPECTOR.clientSecret, scopes: ['introspect'] }
    ]
  })
  t.teardown(() => oidc.close())
  const api = await startResourceServer({ https: { ...apiPem, ca }, introspection: { endpoint: oidc.introspectionEndpoint, ...INTROSPECTOR, ca } })
  t.teardown(() => api.close())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, {
    clientId: 'tls-app', authMethod: 'tls_client_auth', tokenEndpoint: oidc.tokenEndpoint, tls: { ...client, ca }, scopes: ['read:interaction'], origins: [api.origin]
  })
  const res = await app.appToken.fetch(`${api.origin}/v1/calls`)
  t.equal(res.status, 200)
  await res.arrayBuffer()
  t.equal(api.seen[0]!.clientCertificate, 'tls-app', 'the API saw the client certificate')
})

t.test('origins: checked at register and by dispatcher()', async (t) => {
  const policyless = { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: 'https://auth.example.com/token' }
  const register = async (origins: unknown): Promise<unknown> => {
    const app = Fastify()
    t.teardown(() => app.close())
    return await app.register(appToken, { ...policyless, origins } as never)
  }
  await t.rejects(register(['http://api.example.com']), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /option origins: refusing http: origin http:\/\/api\.example\.com/ })
  await t.rejects(register(['https://api.example.com/v1?key=s3cr3t']), { message: /https:\/\/api\.example\.com… is not an origin/ })
  await t.rejects(register(['https://user:pw@api.example.com']), { message: /must not carry credentials/ })
  await t.rejects(register('https://api.example.com'), { message: /option origins: must be/ })
  await t.rejects(register([]), { message: /non-empty array/ })
  const errors: string[] = []
  for (const origins of [['https://api.example.com/v1?key=s3cr3t'], ['https://user:pw@api.example.com']]) {
    await register(origins).catch((err: Error) => errors.push(err.message))
  }
  t.notMatch(errors.join('\n'), /s3cr3t|pw@/, 'no path, query or password is echoed')

  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { ...policyless, origins: ['HTTPS://API.example.com:443/', 'http://localhost:8080', 'http://[::1]:9'] })
  t.ok(app.appToken.dispatcher(), 'https:, and http: on loopback; case and default port as URL.origin writes them')
  const none = Fastify()
  t.teardown(() => none.close())
  await none.register(appToken, policyless)
  t.throws(() => none.appToken.dispatcher(), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /no origins to send the token to/ })
  await t.rejects(none.appToken.fetch('https://api.example.com/'), { message: /no origins/ })
  t.ok(none.appToken.dispatcher({ origins: ['https://api.example.com'] }), 'origins of its own')
  t.throws(() => none.appToken.dispatcher({ origins: ['ftp://api.example.com'] }), { message: /dispatcher\(\): origins: / })
  t.throws(() => none.appToken.dispatcher({ scope: ['x'] } as never), { message: /unknown option scope/ })
})

t.test('APP_TOKEN_ORIGINS (space-delimited) lists the origins when the option is not given', async (t) => {
  const { oidc, api, other } = await setup(t)
  setEnv(t, { APP_TOKEN_ORIGINS: ` ${api.origin}/  https://api.example.com ` })
  const client = { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:interaction'] }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, client)
  t.equal((await app.appToken.fetch(`${api.origin}/v1/calls`)).status, 200)
  t.equal(api.seen.at(-1)?.authorization, (await app.appToken.get()).authorization, 'the listed origin got the token')
  await (await app.appToken.fetch(`${other.origin}/v1/calls`)).text()
  t.equal(other.seen.at(-1)?.authorization, undefined, 'an origin not listed gets none')

  const own = Fastify()
  t.teardown(() => own.close())
  await own.register(appToken, { ...client, origins: [other.origin] })
  await (await own.appToken.fetch(`${api.origin}/v1/calls`)).text()
  t.equal(api.seen.at(-1)?.authorization, undefined, 'the option wins over the variable')

  const refused = async (value: string): Promise<unknown> => {
    process.env.APP_TOKEN_ORIGINS = value
    const bad = Fastify()
    t.teardown(() => bad.close())
    return await bad.register(appToken, client).then(() => undefined, (err: unknown) => err)
  }
  t.match(await refused('http://api.example.com'), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /^APP_TOKEN_ORIGINS: refusing http: origin http:\/\/api\.example\.com/ }, 'a bad origin fails register, naming the variable')
  t.match(await refused('  '), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /^environment variable APP_TOKEN_ORIGINS holds no origin: unset it or list origins/ }, 'blanks only: says what to write')
})

t.test('no token to be had: the token error, and the request is not sent', async (t) => {
  const api = await startResourceServer()
  t.teardown(() => api.close())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: await deadEndpoint(), origins: [api.origin], retry: { retries: 0 } })
  await t.rejects(request(`${api.origin}/v1/calls`, { dispatcher: app.appToken.dispatcher() }), { code: 'FST_APP_TOKEN_NETWORK' })
  const failed = await app.appToken.fetch(`${api.origin}/v1/calls`).catch((err: unknown) => err)
  t.ok(failed instanceof AppTokenError, 'fetch: an AppTokenError, not undici\'s TypeError')
  t.match(failed, { code: 'FST_APP_TOKEN_NETWORK', statusCode: 503, transient: true, cause: { code: 'FST_APP_TOKEN_NETWORK', message: /ECONNREFUSED/ } }, 'the token error is its cause')
  // An origin not listed gets no token: its own failure stays fetch's TypeError.
  await t.rejects(app.appToken.fetch(await deadEndpoint()), { name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } },
    'a failure of the API call itself stays fetch\'s TypeError')
  t.equal(api.seen.length, 0)
})

t.test('fetch() in a route: no token is a 503 with Retry-After in our words, never the token endpoint\'s', async (t) => {
  const WORDS = 'client billing-7 secret expired on 2025-01-01 (tenant 42)'
  const server = await startFaultServer(() => ({ status: 401, body: { error: 'invalid_client', error_description: WORDS } }))
  t.teardown(() => server.close())
  const api = await startResourceServer()
  t.teardown(() => api.close())
  const log = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: log.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, origins: [api.origin] })
  app.get('/calls', async () => (await app.appToken.fetch(`${api.origin}/v1/calls`)).json())
  const res = await app.inject('/calls')
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '30', 'a permanent failure: try again in 30 s, as the request hook says')
  t.same(res.json(), { statusCode: 503, code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'Service Unavailable', message: 'An upstream service cannot be reached right now. Try again later.' })
  t.notMatch(res.body, /billing-7|invalid_client|127\.0\.0\.1/, 'nothing of the token endpoint in the answer')
  t.ok(log.entries().some((e) => JSON.stringify(e).includes('billing-7')), 'its words are in the log')
  assertNoSecrets(t, log, [SECRET])
  t.equal(api.seen.length, 0)
})

t.test('app.close() closes the agent', async (t) => {
  const { app, api, other } = await setup(t)
  const dispatcher = app.appToken.dispatcher()
  const res = await request(`${api.origin}/v1/calls`, { dispatcher })
  await res.body.dump()
  await app.close()
  t.ok((dispatcher as Dispatcher & { closed: boolean }).closed, 'closed')
  await t.rejects(request(`${other.origin}/v1/calls`, { dispatcher }), { code: 'UND_ERR_DESTROYED' }, 'the Agent is closed for good')
  await t.rejects(request(`${api.origin}/v1/calls`, { dispatcher }), { code: 'FST_APP_TOKEN_CLOSED' }, 'nor does the token cache')
  t.throws(() => app.appToken.dispatcher(), { code: 'FST_APP_TOKEN_CLOSED' })
})
