// The dispatcher with DPoP-bound tokens (docs/plugin.md, "Calling the API"; RFC 9449 §7.1,
// §9): oidc-provider's features.dPoP issues them, a resource server checks every proof with
// jose. Needs the plugin's `dpop` option: without it, the test skips and says so.
import t from 'tap'
import Fastify from 'fastify'
import { request } from 'undici'
import appToken, { type AppTokenOptions } from '../../plugin/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { startResourceServer } from '../helpers/resource-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { CLIENT_ID, SECRET } from './fixtures/helpers.js'

const INTROSPECTOR = { clientId: 'resource-server', clientSecret: 'rs-secret-0c1f' }

t.test('DPoP: a proof per request, the resource server\'s nonce answered once, a 401 retried with a fresh token', async (t) => {
  const oidc = await startOidcServer({
    clients: [
      { clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:interaction'] },
      { clientId: INTROSPECTOR.clientId, clientSecret: INTROSPECTOR.clientSecret, scopes: ['introspect'] }
    ],
    dpop: {}
  } as Parameters<typeof startOidcServer>[0])
  t.teardown(() => oidc.close())
  const introspection = { endpoint: oidc.introspectionEndpoint, ...INTROSPECTOR }
  const [api, other] = await Promise.all([startResourceServer({ introspection, requireDpopNonce: true }), startResourceServer({ introspection })])
  t.teardown(() => Promise.all([api.close(), other.close()]))
  const log = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: log.stream } })
  t.teardown(() => app.close())
  const options = { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:interaction'], origins: [api.origin], dpop: true }
  try {
    await app.register(appToken, options as AppTokenOptions)
  } catch (err) {
    if (!/unknown option/.test((err as Error).message)) throw err
    t.plan(0, 'the dpop option is not in this build (it comes with DPoP, RFC 9449)')
    return
  }
  const first = await app.appToken.get()
  t.equal(first.tokenType, 'DPoP', 'oidc-provider bound the token')
  const dispatcher = app.appToken.dispatcher()

  const res = await request(`${api.origin}/v1/calls?page=2`, { dispatcher, method: 'POST', body: 'note' })
  t.equal(res.statusCode, 200)
  t.same(await res.body.json(), { method: 'POST', path: '/v1/calls?page=2', body: 'note' })
  t.same(api.proofs, ['use_dpop_nonce', 'ok'], 'the nonce challenge answered once with a proof carrying it')
  t.match(api.seen[1]!.authorization, /^DPoP /)
  t.equal(oidc.tokenRequests.length, 1, 'a nonce costs no new token')

  const next = await request(`${api.origin}/v1/calls`, { dispatcher })
  await next.body.dump()
  t.equal(next.statusCode, 200)
  t.same(api.proofs.slice(2), ['ok'], 'the origin\'s nonce is remembered for the next proof')

  api.rotateNonce()
  api.script() // nothing scripted: the server's own nonce check answers
  const rotated = await request(`${api.origin}/v1/calls`, { dispatcher })
  await rotated.body.dump()
  t.equal(rotated.statusCode, 200)
  t.same(api.proofs.slice(3), ['use_dpop_nonce', 'ok'], 'a new nonce: one more challenge, answered once')

  api.revoke(first.accessToken)
  const revoked = await request(`${api.origin}/v1/calls`, { dispatcher })
  await revoked.body.dump()
  t.equal(revoked.statusCode, 200)
  t.same(api.proofs.slice(5), ['inactive token', 'ok'], 'invalid_token: a fresh token with its own proof')
  t.equal(oidc.tokenRequests.length, 2)

  const elsewhere = await request(`${other.origin}/v1/calls`, { dispatcher })
  await elsewhere.body.dump()
  t.same([other.seen[0]!.authorization, other.seen[0]!.dpop], [undefined, undefined], 'neither token nor proof to another origin')

  const tokens = api.seen.flatMap((s) => s.authorization === undefined ? [] : [s.authorization.replace(/^DPoP /, '')])
  assertNoSecrets(t, log, [SECRET, ...tokens])
})
