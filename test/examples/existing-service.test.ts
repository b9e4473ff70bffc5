// examples/existing-service against oidc-provider and an upstream API that
// introspects every token it is shown.
import t from 'tap'
import { request } from 'undici'
import { buildService } from '../../examples/existing-service/app.js'
import { CLIENT_ID, SECRET, policyDir, tokenServer } from '../plugin/fixtures/helpers.js'
import { startUpstream } from './fixtures/upstream.js'

t.test('the existing service calls its upstream API with request.appToken', async (t) => {
  const oidc = await tokenServer(t)
  const upstream = await startUpstream(oidc, { id: CLIENT_ID, secret: SECRET })
  t.teardown(() => upstream.app.close())
  const app = await buildService({
    upstreamUrl: upstream.url,
    appToken: { clientId: CLIENT_ID, clientSecret: SECRET, policy: await policyDir(t, oidc.tokenEndpoint) },
    logger: false
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const tokenRequests = () => oidc.tokenRequests.length
  const get = async (path: string) => {
    const res = await request(`${base}${path}`)
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
  }

  t.same(await get('/health'), { status: 200, body: { ok: true } })
  t.equal(tokenRequests(), 0, '/health needs no token')
  t.same(await get('/calls'), { status: 200, body: { path: '/api/v2/interactions', items: [] } })
  t.same(await get('/queues/stats'), { status: 200, body: { path: '/api/v2/analytics/queues', items: [] } })
  t.same(await get('/calls'), { status: 200, body: { path: '/api/v2/interactions', items: [] } })
  t.equal(tokenRequests(), 2, 'one token per scope set, reused')

  // The upstream API revokes the token: the service drops it and retries once with a fresh one.
  upstream.rejectNext()
  t.same(await get('/calls'), { status: 200, body: { path: '/api/v2/interactions', items: [] } })
  t.equal(tokenRequests(), 3, 'one new token after the 401')
  const [rejected, retried] = upstream.seen.slice(-2)
  t.not(rejected, retried, 'the retry carried the new token')
  t.same(await get('/queues/stats'), { status: 200, body: { path: '/api/v2/analytics/queues', items: [] } })
  t.equal(tokenRequests(), 3, 'only the refused token was dropped: the other route kept its own')
})
