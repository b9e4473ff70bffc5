// Auth0's token quotas (docs/providers.md, "Auth0 quotas"): a 429 whose quota is used up is not
// retried, carries retryAfter and quota, and holds the entry off — in memory, and through a shared
// store's optional hold-off methods for the whole fleet (memory and Redis stores). Against the Auth0
// fake, which answers with Auth0's quota headers.
import t, { type Test } from 'tap'
import { HttpError, OAuthError, TokenCache, tokenMetrics, type SharedTokenStore } from '../../plugin/token/index.js'
import { readQuota, waitAfter429 } from '../../plugin/token/quota.js'
import { memoryStore } from '../../plugin/store/memory.js'
import { redisStore } from '../../plugin/store/redis.js'
import { startAuth0 } from '../helpers/providers/auth0.js'
import { installOtelSdk, valueOf } from '../helpers/otel.js'
import { cleanup, inspector, uniquePrefix, useRedis } from '../helpers/redis.js'

const CLIENT_ID = 'quota-client-9'
const SECRET = 'quota-s3cr3t-Lp2'
const API = 'https://orders.example.com/api'
const GRANT = ['read:orders', 'write:orders']

t.test('the headers: the emptiest bucket; Retry-After, else the quota\'s reset, else x-ratelimit-reset − now', async (t) => {
  const now = Date.UTC(2026, 11, 4, 17, 1, 0)
  const headers = { 'auth0-client-quota-limit': 'b=per_hour;q=10;r=0;t=3540,b=per_day;q=50;r=40;t=43200' }
  t.same(readQuota(headers, now), { bucket: 'per_hour', limit: 10, remaining: 0, resetAt: new Date(now + 3540_000) })
  t.same(readQuota({ 'auth0-organization-quota-limit': 'b=per_day;q=5;r=2;t=60' }, now)?.bucket, 'per_day', 'the organization\'s header too')
  t.equal(readQuota({ 'auth0-client-quota-limit': 'b=per_hour;q=x;r=0' }, now), undefined, 'unreadable: no quota')
  t.equal(readQuota({}, now), undefined)
  const quota = readQuota(headers, now)
  t.equal(waitAfter429({ ...headers, 'retry-after': '7' }, quota, now), 7, 'Retry-After first')
  t.equal(waitAfter429(headers, quota, now), 3540, 'then the used-up bucket\'s t')
  t.equal(waitAfter429({ 'x-ratelimit-reset': String(now / 1000 + 120) }, undefined, now), 120, 'then x-ratelimit-reset, a UTC epoch in seconds')
  t.equal(waitAfter429({}, undefined, now), undefined)
})

function cacheOf (t: Test, tokenEndpoint: string, store?: SharedTokenStore): TokenCache {
  const cache = new TokenCache({ tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, provider: 'auth0', ...(store !== undefined ? { store } : {}) })
  t.teardown(() => cache.close())
  return cache
}

t.test('a used-up quota: not retried within maxWait, retryAfter and quota on the error, the entry held off', async (t) => {
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: GRANT }, perHour: 1 })
  t.teardown(() => auth0.close())
  const cache = cacheOf(t, auth0.tokenEndpoint)
  await cache.get({ scopes: ['read:orders'], audience: API })
  t.match(cache.stats().entries[0]?.quota, { bucket: 'per_hour', limit: 1, remaining: 0 }, 'stats(): the quota the 200 reported')

  const started = Date.now()
  const err = await cache.get({ scopes: ['write:orders'], audience: API }).catch((e: unknown) => e) as OAuthError
  t.ok(err instanceof OAuthError)
  t.equal(err.status, 429)
  t.equal(err.transient, true)
  t.equal(auth0.requests.length, 2, 'one 429, not retried')
  t.ok(Date.now() - started < 2000, 'answered at once, not after maxWait')
  const nextHour = Math.ceil(Date.now() / 3_600_000) * 3_600_000
  t.ok(Math.abs(err.retryAfter! * 1000 - (nextHour - Date.now())) < 2000, `retryAfter ${err.retryAfter} s: until the next UTC hour`)
  t.match(err.quota, { bucket: 'per_hour', limit: 1, remaining: 0 })
  t.ok(err.quota!.resetAt instanceof Date && Math.abs(err.quota!.resetAt.getTime() - nextHour) < 2000, 'resetAt: a Date')
  t.match(err.message, /token quota per_hour of 1 used up until/)
  t.match(err.hint, /M2M token quotas.*share it between replicas/)

  for (let i = 0; i < 20; i++) {
    const again = await cache.get({ scopes: ['write:orders'], audience: API }).catch((e: unknown) => e)
    if (again !== err) t.fail('the remembered error, without a request')
  }
  t.equal(auth0.requests.length, 2, 'a hot path sends nothing until the reset (one request, not a storm)')
  t.match(cache.stats().entries.find((e) => e.scopes[0] === 'write:orders')?.quota, { bucket: 'per_hour', remaining: 0 })
})

/** Two replicas on one store, the second after the first was refused: how many requests the fleet made. */
async function fleet (t: Test, store: () => SharedTokenStore): Promise<{ requests: number; second: unknown }> {
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: GRANT }, perHour: 0 })
  t.teardown(() => auth0.close())
  const first = cacheOf(t, auth0.tokenEndpoint, store())
  t.match(await first.get({ scopes: ['read:orders'], audience: API }).catch((e: unknown) => e), { status: 429, quota: { remaining: 0 } }, 'the first replica is refused')
  const second = await cacheOf(t, auth0.tokenEndpoint, store()).get({ scopes: ['read:orders'], audience: API }).catch((e: unknown) => e)
  return { requests: auth0.requests.length, second }
}

t.test('a shared store with the hold-off methods: the fleet makes one request', async (t) => {
  const shared = memoryStore()
  const { requests, second } = await fleet(t, () => shared)
  t.equal(requests, 1, 'the second replica asked nothing')
  t.ok(second instanceof HttpError)
  t.match(second, { status: 429, transient: true, message: /held off until .*another replica/ })
  t.ok((second as HttpError).retryAfter! > 0, 'with the time left')
})

t.test('a store without them still works: each replica holds off on its own', async (t) => {
  const shared = memoryStore()
  const bare: SharedTokenStore = {
    get: (k) => shared.get(k),
    set: (k, v, ttl) => shared.set(k, v, ttl),
    lock: (k, o, ttl) => shared.lock(k, o, ttl),
    unlock: (k, o) => shared.unlock(k, o),
    waitFor: (k, ms, accept) => shared.waitFor(k, ms, accept),
    close: () => shared.close()
  }
  const { requests, second } = await fleet(t, () => bare)
  t.equal(requests, 2, 'one request per replica')
  t.match(second, { status: 429, quota: { remaining: 0 } })
})

t.test('redis: the hold-off is stored as …:holdoff with the quota\'s TTL', async (t) => {
  const url = await useRedis(t)
  if (url === undefined) return
  const keyPrefix = uniquePrefix('holdoff')
  const redis = inspector(t, url)
  t.teardown(() => cleanup(redis, keyPrefix))
  const stores: SharedTokenStore[] = []
  t.teardown(async () => { await Promise.all(stores.map((s) => s.close())) })
  const { requests, second } = await fleet(t, () => { const s = redisStore({ url, keyPrefix }); stores.push(s); return s })
  t.equal(requests, 1, 'one request for the fleet')
  t.match(second, { status: 429, message: /held off/ })
  const keys = await redis.keys(`${keyPrefix}*:holdoff`)
  t.equal(keys.length, 1)
  const ttl = await redis.pttl(keys[0]!)
  const untilNextHour = Math.ceil(Date.now() / 3_600_000) * 3_600_000 - Date.now()
  t.ok(ttl > 0 && Math.abs(ttl - untilNextHour) < 3000, `TTL ${ttl} ms: until the quota resets`)
})

t.test('OpenTelemetry: app_token.quota.remaining per bucket', async (t) => {
  const sdk = installOtelSdk(t)
  const auth0 = await startAuth0({ clientId: CLIENT_ID, clientSecret: SECRET, grants: { [API]: GRANT }, perHour: 5 })
  t.teardown(() => auth0.close())
  const cache = new TokenCache({ tokenEndpoint: auth0.tokenEndpoint, clientId: CLIENT_ID, clientSecret: SECRET, provider: 'auth0', metrics: await tokenMetrics('appToken') })
  t.teardown(() => cache.close())
  await cache.get({ scopes: ['read:orders'], audience: API })
  await cache.get({ scopes: ['write:orders'], audience: API })
  const points = await sdk.collect()
  t.equal(valueOf(points, 'app_token.quota.remaining', { name: 'appToken', bucket: 'per_hour' }), 3, 'the fewest left any answer reported')
})
