// 100 clients × 3 scope sets on 4 replicas sharing one Redis: one token request
// per (client, scope set) per token lifetime for the whole fleet, counted at the
// token server — never one per replica.
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { redisStore } from '../../plugin/store/redis.js'
import { TokenCache } from '../../plugin/token/cache.js'
import { startFaultServer, tokenBody, type RecordedRequest } from '../helpers/fault-server.js'
import { cleanup, inspector, sleep, uniquePrefix, useRedis } from '../helpers/redis.js'

const CLIENTS = Number(process.env.FLEET_CLIENTS ?? 100)
const REPLICAS = 4
const SCOPE_SETS = [['read:a'], ['read:a', 'write:a'], ['admin:b']]
const LIFETIME = 30 // seconds: a refresh leaves replicas 15–25 % of it to wait for the holder, on a loaded machine too

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)

  /** "client scope" of a token request (client from the Basic credentials, RFC 6749 §2.3.1). */
  function keyOf (request: RecordedRequest): string {
    const basic = Buffer.from(String(request.headers.authorization).replace(/^Basic /, ''), 'base64').toString()
    return `${decodeURIComponent(basic.split(':')[0] ?? '')} ${request.form.get('scope') ?? ''}`
  }

  function fleet (t: Test, tokenEndpoint: string, prefix: string): TokenCache[][] {
    return Array.from({ length: REPLICAS }, () => {
      // One process: one store (its connections) and one HTTP agent for all its clients. The four
      // replicas share this test's one event loop: generous bounds keep a store call that waits
      // behind 1,200 others at the cold start (seen: over 5 s on a loaded machine) from counting as
      // an outage (an outage would make replicas fetch for themselves),
      // and maxWait covers the cold start's scrypt derivations of the v3 store key (docs/redis.md): one
      // per secret, 100 on this one thread pool, where real replicas each derive only their own.
      const store = redisStore({ url, keyPrefix: prefix, commandTimeout: 15_000 })
      const dispatcher = new Agent()
      const caches = Array.from({ length: CLIENTS }, (_, c) =>
        new TokenCache({ tokenEndpoint, clientId: `client-${c}`, clientSecret: `secret-${c}-of-many`, store, storeTimeout: 16_000, maxWait: 60_000, dispatcher }))
      t.teardown(async () => { await Promise.all(caches.map((cache) => cache.close())); await store.close(); await dispatcher.close() })
      return caches
    })
  }

  t.test(`${CLIENTS} clients × ${SCOPE_SETS.length} scope sets on ${REPLICAS} replicas: one token request per key per lifetime`, async (t) => {
    const server = await startFaultServer(() => ({ body: tokenBody({ expires_in: LIFETIME }) }))
    const prefix = uniquePrefix('many')
    t.teardown(async () => { await server.close(); await cleanup(redis, prefix) })
    const replicas = fleet(t, server.tokenEndpoint, prefix)
    const everyone = (): Array<Promise<unknown>> => replicas.flatMap((caches) => caches.flatMap((cache) => SCOPE_SETS.map((scopes) => cache.get({ scopes }))))

    await Promise.all(everyone())
    const keys = CLIENTS * SCOPE_SETS.length
    t.equal(server.requests.length, keys, `cold start: ${keys} token requests for ${keys * REPLICAS} replica entries`)
    t.equal(new Set(server.requests.map(keyOf)).size, keys, 'one per (client, scope set)')

    // Keep every entry in use for a little over one more lifetime: each key is refreshed once, by one replica.
    const end = Date.now() + LIFETIME * 0.9 * 1000
    while (Date.now() < end) {
      await Promise.all(everyone())
      await sleep(2000)
    }
    // One request per key per lifetime: consecutive requests for a key are a refresh apart, never two
    // replicas' fetches for one refresh moments apart; and no more than the lifetimes that went by.
    const times = new Map<string, number[]>()
    for (const request of server.requests) times.set(keyOf(request), [...(times.get(keyOf(request)) ?? []), request.at])
    const gaps = [...times.values()].flatMap((at) => at.slice(1).map((ms, i) => ms - (at[i] as number)))
    t.ok(gaps.length >= keys, `every key was refreshed (${gaps.length} refreshes)`)
    const shortest = Math.min(...gaps)
    t.ok(shortest >= 1000, `shortest gap between two requests for one key: ${shortest} ms (a lifetime is ${LIFETIME * 1000} ms)`)
    const span = (Math.max(...server.requests.map((r) => r.at)) - Math.min(...server.requests.map((r) => r.at))) / 1000
    // A refresh starts at 75–85 % of the usable lifetime (lifetime − 10 %): at most one per 0.75 × 0.9 × LIFETIME.
    const allowed = keys * (1 + Math.ceil(span / (0.75 * 0.9 * LIFETIME)))
    t.ok(server.requests.length <= allowed, `${server.requests.length} token requests over ${span.toFixed(1)} s for ${keys} keys (at most ${allowed}; one per replica would be ${REPLICAS}× as many)`)
  })
}
