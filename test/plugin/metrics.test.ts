// The plugin's OpenTelemetry metrics (docs/metrics.md, "Plugin metrics"), read
// through @opentelemetry/sdk-metrics' in-memory exporter set as the global
// MeterProvider: against oidc-provider and the fault server, a broken shared
// store, and after close().
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { AggregationTemporality } from '@opentelemetry/sdk-metrics'
import appToken, { type AppTokenDecorator, type AppTokenOptions, type SharedTokenStore } from '../../plugin/index.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { installOtelSdk, valueOf, type Point } from '../helpers/otel.js'
import { ALLOWED, CLIENT_ID, SECRET, policyFixture } from './fixtures/helpers.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function plugin (t: Test, options: AppTokenOptions): Promise<AppTokenDecorator> {
  const app = Fastify()
  await app.register(appToken, options)
  app.get('/calls', async (request) => ({ ok: (request as unknown as Record<string, unknown>)[options.name ?? 'appToken'] !== null }))
  await app.ready()
  t.teardown(() => app.close())
  return (app as unknown as Record<string, AppTokenDecorator>)[options.name ?? 'appToken']!
}

/** Every point has the attributes `name` (this one) and `outcome` at most: no scope, client, token or secret. */
function checkAttributes (t: Test, points: Point[], name: string, secrets: string[]): void {
  for (const point of points) {
    const keys = Object.keys(point.attributes)
    t.ok(keys.every((k) => k === 'name' || k === 'outcome') && point.attributes.name === name,
      `${point.instrument}: attributes ${JSON.stringify(point.attributes)}`)
  }
  const text = JSON.stringify(points)
  for (const secret of secrets) t.notOk(text.includes(secret), 'no secret or token in the metrics')
}

t.test('oidc-provider: requests, cache hits/misses/waits as stats() counts them, refresh duration, expiry falling', async (t) => {
  const sdk = installOtelSdk(t)
  const { oidc, base } = await policyFixture(t)
  const name = 'billingToken'
  const api = await plugin(t, { ...base, name })
  const attrs = { name }

  // Ten callers on a cold cache share one request: ten misses, ten waits.
  const [token] = await Promise.all(Array.from({ length: 10 }, () => api.get()))
  for (let i = 0; i < 25; i++) await api.get()
  await api.get({ scopes: [ALLOWED[1]!] })
  const stats = api.stats()
  t.equal(oidc.tokenRequests.length, 2)
  t.same({ hits: stats.hits, misses: stats.misses, waits: stats.waits }, { hits: 25, misses: 11, waits: 11 })

  const points = await sdk.collect()
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'ok' }), 2, 'two requests, ok')
  t.equal(valueOf(points, 'app_token.cache.hits', attrs), stats.hits)
  t.equal(valueOf(points, 'app_token.cache.misses', attrs), stats.misses)
  t.equal(valueOf(points, 'app_token.cache.waits', attrs), stats.waits)
  t.equal(valueOf(points, 'app_token.store.errors', attrs), undefined, 'no store, no store errors')
  const duration = valueOf(points, 'app_token.refresh.duration', { ...attrs, outcome: 'ok' }) as { count: number; sum: number }
  t.equal(duration.count, 2, 'one duration per fetch')
  t.ok(duration.sum > 0 && duration.sum < 10, `seconds: ${duration.sum}`)
  t.equal(points.find((p) => p.instrument === 'app_token.refresh.duration')?.unit, 's')
  const expiresIn = valueOf(points, 'app_token.expires_in', attrs) as number
  t.ok(expiresIn > 590 && expiresIn <= 600, `expires_in ${expiresIn} s of a 600 s token`)
  checkAttributes(t, points, name, [SECRET, token!.accessToken])

  // Hits through the request hook count too; nothing else moves.
  await sleep(1100)
  const again = await sdk.collect()
  t.ok((valueOf(again, 'app_token.expires_in', attrs) as number) <= expiresIn - 1, 'expires_in falls with time')
  t.equal(valueOf(again, 'app_token.requests', { ...attrs, outcome: 'ok' }), 2)
})

t.test('oidc-provider: invalid_client is counted as failed; a call answered by the remembered failure is a miss, not a wait', async (t) => {
  const sdk = installOtelSdk(t)
  const { base } = await policyFixture(t)
  const api = await plugin(t, { ...base, clientSecret: 'not-the-secret' })
  for (let i = 0; i < 2; i++) t.equal((await api.get().catch((err: { error?: string }) => err) as { error?: string }).error, 'invalid_client')
  const points = await sdk.collect()
  const attrs = { name: 'appToken' }
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'invalid_client' }), 1, 'one request, invalid_client')
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'ok' }), undefined, 'none ok')
  t.equal((valueOf(points, 'app_token.refresh.duration', { ...attrs, outcome: 'invalid_client' }) as { count: number }).count, 1)
  t.same([valueOf(points, 'app_token.cache.misses', attrs), valueOf(points, 'app_token.cache.waits', attrs)], [2, 1])
  t.equal(valueOf(points, 'app_token.expires_in', attrs), undefined, 'no token, no expiry')
  checkAttributes(t, points, 'appToken', [SECRET, 'not-the-secret'])
})

t.test('fault server: 503s are transient failures, a hang a timeout; each retry is a request, the fetch one duration', async (t) => {
  const sdk = installOtelSdk(t)
  const server = await startFaultServer({ status: 503, body: 'down' }, { status: 503, body: 'down' }, { hang: true }, () => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const api = await plugin(t, {
    clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, timeout: 300, retry: { retries: 1, minDelay: 10, maxDelay: 20 }
  })
  await t.rejects(api.get(), { code: 'FST_APP_TOKEN_HTTP' })
  await sleep(30) // the transient failure is remembered for retry.maxDelay
  const token = await api.get()
  const points = await sdk.collect()
  const attrs = { name: 'appToken' }
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'transient' }), 2, 'two 503s')
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'timeout' }), 1, 'one hang')
  t.equal(valueOf(points, 'app_token.requests', { ...attrs, outcome: 'ok' }), 1)
  t.equal(api.stats().fetches, 4, 'as many as stats() counts')
  t.equal((valueOf(points, 'app_token.refresh.duration', { ...attrs, outcome: 'transient' }) as { count: number }).count, 1, 'the failed fetch')
  const ok = valueOf(points, 'app_token.refresh.duration', { ...attrs, outcome: 'ok' }) as { count: number; sum: number }
  t.equal(ok.count, 1)
  t.ok(ok.sum >= 0.3, `the fetch that waited out a timeout took ${ok.sum} s`)
  checkAttributes(t, points, 'appToken', [SECRET, token.accessToken])
})

t.test('a broken shared store: each failed call is a store error', async (t) => {
  const sdk = installOtelSdk(t)
  const server = await startFaultServer()
  t.teardown(() => server.close())
  let calls = 0
  const refuse = async (): Promise<never> => { calls++; throw new Error('ECONNREFUSED 127.0.0.1:6379') }
  const store: SharedTokenStore = { get: refuse, set: refuse, lock: refuse, unlock: refuse, waitFor: refuse, close: async () => {} }
  const api = await plugin(t, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, store })
  const token = await api.get()
  await sleep(50) // the store write after the fetch is not awaited by get()
  t.ok(calls >= 2, `the store was called ${calls} times`)
  const points = await sdk.collect()
  t.equal(valueOf(points, 'app_token.store.errors', { name: 'appToken' }), calls)
  t.equal(valueOf(points, 'app_token.requests', { name: 'appToken', outcome: 'ok' }), 1, 'the cache fetched for itself')
  checkAttributes(t, points, 'appToken', [SECRET, token.accessToken, 'ECONNREFUSED'])
})

t.test('after close() the cache is no longer observed', async (t) => {
  // Delta: a point only for what was observed since the last collection (cumulative keeps the last values).
  const sdk = installOtelSdk(t, AggregationTemporality.DELTA)
  const { base } = await policyFixture(t)
  const app = Fastify()
  await app.register(appToken, base)
  await app.ready()
  await app.appToken.get()
  await app.appToken.get()
  const open = await sdk.collect()
  t.equal(valueOf(open, 'app_token.cache.hits', { name: 'appToken' }), 1)
  t.equal(valueOf(await sdk.collect(), 'app_token.cache.hits', { name: 'appToken' }), 0, 'observed again: no new hit')
  t.type(valueOf(open, 'app_token.expires_in', { name: 'appToken' }), 'number')
  await app.close()
  const closed = await sdk.collect()
  for (const instrument of ['app_token.cache.hits', 'app_token.cache.misses', 'app_token.cache.waits', 'app_token.expires_in']) {
    t.equal(valueOf(closed, instrument, { name: 'appToken' }), undefined, `${instrument}: no point`)
  }
})

// Against dist/ (`npm test` builds first), in a process without tap's loaders.
t.test('@opentelemetry/api cannot be imported: the plugin works, with no metrics', async (t) => {
  const server = await startFaultServer()
  t.teardown(() => server.close())
  const { NODE_OPTIONS: _tapLoaders, ...env } = process.env
  const fixture = fileURLToPath(new URL('./fixtures/without-otel.mjs', import.meta.url))
  const { stdout } = await promisify(execFile)(process.execPath, [fixture, server.tokenEndpoint],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), env, encoding: 'utf8' })
  t.same(JSON.parse(stdout), { refused: ['@opentelemetry/api'], tokenType: 'Bearer', fetches: 1, hits: 1 })
})
