// The token core's `metrics` option (docs/metrics.md, "Plugin metrics"): a
// TokenCache without Fastify reports the same instruments as the plugin.
import t from 'tap'
import { InvalidOptionError, TokenCache, tokenMetrics, type TokenMetrics } from '../../plugin/token/index.js'
import { startFaultServer } from '../helpers/fault-server.js'
import { installOtelSdk, valueOf } from '../helpers/otel.js'

t.test('TokenCache({ metrics: await tokenMetrics(name) }) reports under that name', async (t) => {
  const sdk = installOtelSdk(t)
  const server = await startFaultServer()
  t.teardown(() => server.close())
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'core', clientSecret: 'core-secret', metrics: await tokenMetrics('worker') })
  t.teardown(() => cache.close())
  await cache.get()
  await cache.get()
  const points = await sdk.collect()
  t.equal(valueOf(points, 'app_token.requests', { name: 'worker', outcome: 'ok' }), 1)
  t.equal(valueOf(points, 'app_token.cache.hits', { name: 'worker' }), 1)
  t.equal(valueOf(points, 'app_token.cache.misses', { name: 'worker' }), 1)
})

t.test('metrics must come from tokenMetrics()', async (t) => {
  const fake = { request () {}, fetched () {}, storeError () {}, observe: () => () => {} } satisfies TokenMetrics
  t.throws(() => new TokenCache({ tokenEndpoint: 'http://127.0.0.1:1/token', clientId: 'core', clientSecret: 's', metrics: fake }),
    new InvalidOptionError('metrics must be what tokenMetrics(name) resolves to'))
})
