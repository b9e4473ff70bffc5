// The Redis store's two figures (docs/redis.md), on loopback against REDIS_URL
// (default redis://127.0.0.1:6379):
// 1. token requests per token lifetime for 4 replicas, with Redis and without;
// 2. latency of get() served by Redis (a replica's memory is cold) vs served
//    from memory (hot), and how many store calls hot reads make (0).
// Bounded: ~30 s in all.
import { randomUUID } from 'node:crypto'
import { Agent } from 'undici'
import { TokenCache, type SharedTokenStore } from '../plugin/token/index.js'
import { redisStore } from '../plugin/store/redis.js'
import { benchTokenServer } from './token-server.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const LIFETIME = 3 // seconds: expires_in of every token
const LIFETIMES = 4 // lifetimes per run
const REPLICAS = 4
const SCOPES = ['read:bench']

/** The store with every call reaching it counted (close() aside); optional methods stay as the store has them. */
function counting (store: SharedTokenStore): { store: SharedTokenStore, calls: () => number } {
  let calls = 0
  const counted = new Proxy(store, {
    get (target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver)
      if (typeof value !== 'function' || name === 'close') return value
      return (...args: unknown[]): unknown => { calls++; return Reflect.apply(value, target, args) }
    }
  })
  return { store: counted, calls: () => calls }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * 4 replicas (TokenCaches) under steady load for LIFETIMES token lifetimes:
 * token requests per lifetime, and how many came < 100 ms after another
 * (a second fetch for the same refresh).
 */
async function requestsPerLifetime (shared: boolean): Promise<{ perLifetime: number, doubles: number }> {
  const server = await benchTokenServer(LIFETIME)
  const prefix = `fastify-app-token-bench:${randomUUID()}:`
  const stores = shared ? Array.from({ length: REPLICAS }, () => redisStore({ url: REDIS_URL, keyPrefix: prefix })) : []
  const caches = Array.from({ length: REPLICAS }, (_, i) => new TokenCache({
    tokenEndpoint: server.url, clientId: 'bench-app', clientSecret: 'bench-secret', ...(shared ? { store: stores[i] } : {})
  }))
  const end = Date.now() + LIFETIME * LIFETIMES * 1000
  await Promise.all(caches.map(async (cache) => {
    while (Date.now() < end) {
      await cache.get({ scopes: SCOPES })
      await sleep(10)
    }
  }))
  const requests = server.requests.length
  const doubles = server.requests.filter((ms, i) => i > 0 && ms - (server.requests[i - 1] as number) < 100).length
  await Promise.all(caches.map((cache) => cache.close()))
  await Promise.all(stores.map((store) => store.close()))
  await server.close()
  return { perLifetime: requests / LIFETIMES, doubles }
}

function stats (samples: number[]): { median: number, p99: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  return { median: sorted[Math.floor(sorted.length / 2)] ?? NaN, p99: sorted[Math.floor(sorted.length * 0.99)] ?? NaN }
}

/** get() latency: served by Redis into a cold replica, vs served from a warm replica's memory. */
async function latency (): Promise<void> {
  const server = await benchTokenServer(60)
  const prefix = `fastify-app-token-bench:${randomUUID()}:`
  const dispatcher = new Agent()
  const { store, calls } = counting(redisStore({ url: REDIS_URL, keyPrefix: prefix }))
  // A 60 s token: no refresh during the measurement (~10 s), gone from Redis soon after.
  const options = { tokenEndpoint: server.url, clientId: 'bench-app', clientSecret: 'bench-secret', store, dispatcher }
  const warm = new TokenCache(options)
  await warm.get({ scopes: SCOPES })

  // Shared hit: a replica whose memory holds nothing reads the token from Redis.
  const shared: number[] = []
  for (let i = 0; i < 2_000; i++) {
    const cold = new TokenCache(options)
    const t0 = process.hrtime.bigint()
    await cold.get({ scopes: SCOPES })
    if (i >= 200) shared.push(Number(process.hrtime.bigint() - t0) / 1000)
    await cold.close()
  }
  // Memory hit: the same call on a replica that holds the token.
  const memory: number[] = []
  const before = calls()
  for (let i = 0; i < 200_000; i++) {
    const t0 = process.hrtime.bigint()
    await warm.get({ scopes: SCOPES })
    if (i >= 20_000) memory.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  const hotCalls = calls() - before
  const fetched = server.requests.length

  const s = stats(shared)
  const m = stats(memory)
  console.log(`get() served by Redis (cold replica): median ${s.median.toFixed(1)} µs, p99 ${s.p99.toFixed(1)} µs (${shared.length} samples)`)
  console.log(`get() served from memory (warm):      median ${m.median.toFixed(2)} µs, p99 ${m.p99.toFixed(2)} µs (${memory.length} samples)`)
  console.log(`ratio Redis / memory (medians): ${(s.median / m.median).toFixed(0)}×`)
  console.log(`store calls during ${memory.length + 20_000} warm get()s: ${hotCalls}; token requests in all: ${fetched}`)

  await warm.close()
  await store.close()
  await dispatcher.close()
  await server.close()
}

const shared = await requestsPerLifetime(true)
const alone = await requestsPerLifetime(false)
console.log(`token requests per ${LIFETIME} s lifetime, ${REPLICAS} replicas: with Redis ${shared.perLifetime.toFixed(2)}, without ${alone.perLifetime.toFixed(2)} (${(alone.perLifetime / shared.perLifetime).toFixed(1)}× fewer with Redis)`)
console.log(`  with Redis, ${shared.doubles} of ${shared.perLifetime * LIFETIMES} requests came < 100 ms after another (two replicas fetching for one refresh)`)
console.log(`  one replica on its own: ${(alone.perLifetime / REPLICAS).toFixed(2)} per lifetime (the cache refreshes before expiry): the fleet with Redis should match it`)
await latency()
