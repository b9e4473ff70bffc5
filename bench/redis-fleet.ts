// The shared store at fleet scale (docs/redis.md, "Sizing"), against REDIS_URL
// (default redis://127.0.0.1:6379): 100 clients × 3 scope sets on 4 replicas
// (in-process TokenCaches, one store per replica) for two token lifetimes —
// token requests per key per lifetime (target 1) — and Redis memory per entry
// (MEMORY USAGE of the token key), plain and sealed. Bounded: ~50 s.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { Agent } from 'undici'
import { TokenCache } from '../plugin/token/index.js'
import { redisStore } from '../plugin/store/redis.js'
import { benchTokenServer } from './token-server.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const CLIENTS = 100
const REPLICAS = 4
const SCOPE_SETS = [['read:a'], ['read:a', 'write:a'], ['admin:b']]
const LIFETIME = 20 // seconds
const KEYS = CLIENTS * SCOPE_SETS.length

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const inspect = new Redis(REDIS_URL)

/** Runs the fleet for `seconds`; returns token requests and the bytes Redis uses per stored entry. */
async function run (seconds: number, encryptionKey: string | undefined): Promise<{ requests: number, bytes: number[] }> {
  const server = await benchTokenServer(LIFETIME)
  const prefix = `fastify-app-token-bench:${randomUUID()}:`
  const replicas = Array.from({ length: REPLICAS }, () => {
    const store = redisStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeout: 5_000, ...(encryptionKey === undefined ? {} : { encryptionKey }) })
    const dispatcher = new Agent()
    const caches = Array.from({ length: CLIENTS }, (_, c) =>
      new TokenCache({ tokenEndpoint: server.url, clientId: `bench-client-${c}`, clientSecret: `bench-secret-${c}`, store, dispatcher, storeTimeout: 6_000 }))
    return { store, dispatcher, caches }
  })
  const end = Date.now() + seconds * 1000
  do {
    await Promise.all(replicas.flatMap(({ caches }) => caches.flatMap((cache) => SCOPE_SETS.map((scopes) => cache.get({ scopes })))))
    await sleep(1000)
  } while (Date.now() < end)
  const requests = server.requests.length
  const keys = (await inspect.keys(`${prefix}*`)).filter((key) => key.endsWith(':token'))
  const bytes = await Promise.all(keys.map(async (key) => Number(await inspect.memory('USAGE', key, 'SAMPLES', 0))))
  for (const { store, dispatcher, caches } of replicas) {
    await Promise.all(caches.map((cache) => cache.close()))
    await store.close()
    await dispatcher.close()
  }
  if (keys.length > 0) await inspect.del(...keys)
  await server.close()
  return { requests, bytes }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)

const lifetimes = 2
const plain = await run(LIFETIME * lifetimes * 0.9, undefined)
console.log(`${CLIENTS} clients × ${SCOPE_SETS.length} scope sets on ${REPLICAS} replicas, ${LIFETIME} s tokens, ${(lifetimes * 0.9).toFixed(1)} lifetimes:`)
// A cache refreshes at 75–85 % of the usable lifetime (lifetime − 10 %): what one replica alone would send per key.
const seconds = LIFETIME * lifetimes * 0.9
const alone = 1 + Math.floor(seconds / (0.8 * 0.9 * LIFETIME))
console.log(`  token requests: ${plain.requests} for ${KEYS} keys = ${(plain.requests / KEYS).toFixed(2)} per key over ${seconds.toFixed(0)} s ` +
  `(one replica alone: ~${alone}, the cold fetch and a refresh every ~${(0.8 * 0.9 * LIFETIME).toFixed(1)} s; one per replica would be ~${alone * REPLICAS})`)
console.log(`  Redis memory per entry (MEMORY USAGE of the token key), plain JSON + MAC: ${mean(plain.bytes).toFixed(0)} bytes (${plain.bytes.length} entries)`)
const sealed = await run(0, Buffer.from(randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''), 'hex').toString('base64'))
console.log(`  Redis memory per entry, sealed (AES-256-GCM): ${mean(sealed.bytes).toFixed(0)} bytes (${sealed.bytes.length} entries)`)
console.log(`  the lock key exists only while a refresh runs; ${KEYS} entries ≈ ${((KEYS * mean(sealed.bytes)) / 1024).toFixed(0)} KiB sealed`)
inspect.disconnect()
