// A token that cannot be had: 503 with Retry-After and a body for end users;
// the details (hint, endpoint) go to the log, and no secret or token anywhere.
import t from 'tap'
import Fastify from 'fastify'
import { request } from 'undici'
import appToken from '../../plugin/index.js'
import { CLIENT_ID, SECRET, deadEndpoint, policyDir, tokenServer } from './fixtures/helpers.js'
import { logCapture } from '../helpers/log-capture.js'

const BODY_KEYS = ['code', 'error', 'message', 'statusCode']

t.test('token server down: 503, Retry-After, short body; the log says why', async (t) => {
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: logs.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, {
    clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: await deadEndpoint(), scopes: ['read:interaction'], retry: { retries: 0 }
  })
  app.get('/calls', async () => 'never')
  app.get('/health', { config: { appToken: false } }, async () => 'ok')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`

  const res = await request(`${base}/calls`)
  const body = await res.body.json() as Record<string, unknown>
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5', 'a transient failure: retry soon')
  t.same(Object.keys(body).sort(), BODY_KEYS)
  t.same(body, {
    statusCode: 503,
    code: 'FST_APP_TOKEN_NETWORK',
    error: 'Service Unavailable',
    message: 'An upstream service cannot be reached right now. Try again later.'
  })
  t.equal((await (await request(`${base}/health`)).body.text()), 'ok', 'routes without a token still answer')
  const logged = logs.entries().find((e) => e.code === 'FST_APP_TOKEN_NETWORK' && /answering 503/.test(String(e.msg)))
  t.ok(logged, 'the 503 is logged with the reason')
  t.match(String(logged?.msg), /127\.0\.0\.1/, 'the log names the endpoint host; the body does not')
})

t.test('invalid_client: 503 without the hint; the hint is logged; nothing secret anywhere', async (t) => {
  const oidc = await tokenServer(t)
  const policy = await policyDir(t, oidc.tokenEndpoint)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'trace', stream: logs.stream } })
  t.teardown(() => app.close())
  const wrong = 'wrong-secret-value-123'
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: wrong, policy, scopes: ['read:interaction'] })
  app.get('/calls', async () => 'never')

  const res = await app.inject('/calls')
  t.equal(res.statusCode, 503)
  const body = res.json()
  t.same(Object.keys(body).sort(), BODY_KEYS)
  t.equal(body.code, 'FST_APP_TOKEN_OAUTH_ERROR')
  t.equal(body.message, 'An upstream service cannot be reached right now. Try again later.')
  t.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After is set')
  t.notMatch(res.body, /invalid_client|hint|client_secret|127\.0\.0\.1|\.yaml/i, 'no token-endpoint words, no path')
  t.notMatch(body.message, /token|oauth|client/i)

  const again = await app.inject('/calls')
  t.equal(again.statusCode, 503)
  t.equal(oidc.tokenRequests.length, 1, 'the permanent failure is remembered: no second request')

  const failure = logs.entries().find((e) => e.error === 'invalid_client' && typeof e.hint === 'string')
  t.ok(failure, 'the hint is in the log')
  t.match(String(failure?.hint), /client_secret_post/)
  t.notOk(logs.lines.some((l) => l.includes(wrong) || l.includes(encodeURIComponent(wrong))), 'the secret is not logged')
})

t.test('a token server answering 503 with Retry-After: the 503 passes its Retry-After on', async (t) => {
  const { createServer } = await import('node:http')
  const server = createServer((_req, res) => { res.writeHead(503, { 'retry-after': '42' }).end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, {
    clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}/token`
  })
  app.get('/', async () => 'never')
  const res = await app.inject('/')
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '42')
  t.equal(res.json().code, 'FST_APP_TOKEN_HTTP')
})
