// Four replicas (separate Fastify apps, each with its own Redis connections)
// against one oidc-provider: one token request for the fleet, not one per replica.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { cleanup, dump, inspector, sleep, uniquePrefix, useRedis } from '../helpers/redis.js'
import { call, fleet, newSecret, oidc, type Replica } from './fixtures/fleet.js'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)

  /** Nothing secret in Redis keys (nor in values, when sealed) or in any replica's log. */
  async function nothingLeaks (t: Test, prefix: string, secret: string, tokens: Iterable<string>, replicas: Replica[], sealed: boolean): Promise<void> {
    const held = await dump(redis, prefix)
    t.ok(held.size > 0, 'the fleet shared through Redis')
    const needles = [secret, encodeURIComponent(secret), ...tokens]
    for (const [key, value] of held) {
      for (const needle of needles) {
        t.notOk(key.includes(needle), `no secret or token in key ${key}`)
        if (sealed) t.notOk(value?.includes(needle), `no secret or token in the sealed value of ${key}`)
      }
    }
    const logs = replicas.flatMap((r) => r.logs).join('\n')
    t.ok(logs.length > 0, 'the replicas logged')
    for (const needle of needles) t.notOk(logs.includes(needle), 'no secret or token in the logs')
  }

  t.test('a cold burst of 1,000 requests over 4 replicas → 1 token request', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret)
    const prefix = uniquePrefix('burst')
    t.teardown(() => cleanup(redis, prefix))
    const replicas = await fleet(t, { size: 4, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix, encryptionKey: randomBytes(32) } })

    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => call(replicas[i % 4] as Replica)))
    t.equal(results.filter((r) => r.status === 200).length, 1000, 'every request got a token')
    const tokens = new Set(results.map((r) => r.token))
    t.equal(tokens.size, 1, 'one token for the whole fleet')
    t.equal(server.tokenRequests.length, 1, 'one token request')
    await nothingLeaks(t, prefix, secret, tokens as Set<string>, replicas, true)
  })

  t.test('replicas with different encryption keys do not share, and keep serving', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret)
    const prefix = uniquePrefix('keys')
    t.teardown(() => cleanup(redis, prefix))
    const [a] = await fleet(t, { size: 1, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix, encryptionKey: randomBytes(32) } })
    const [b] = await fleet(t, { size: 1, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix, encryptionKey: randomBytes(32) } })
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => call((i % 2 === 0 ? a : b) as Replica)))
    t.equal(results.filter((r) => r.status === 200).length, 100, 'every request got a token')
    t.equal(server.tokenRequests.length, 2, 'each fetched its own: a value sealed with another key is a miss, not a token')
  })

  t.test('3 s tokens over 15 s: the fleet refreshes about once per lifetime, not once per replica', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret, 3)
    const prefix = uniquePrefix('ttl')
    t.teardown(() => cleanup(redis, prefix))
    const replicas = await fleet(t, { size: 4, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix } })

    const tokens = new Set<string>()
    let failed = 0
    let served = 0
    const end = Date.now() + 15_000
    await Promise.all(replicas.map(async (replica) => {
      while (Date.now() < end) {
        const { status, token } = await call(replica)
        if (status === 200 && token !== undefined) { served++; tokens.add(token) } else failed++
        await sleep(25)
      }
    }))
    const requests = server.tokenRequests.length
    // A 3 s token is usable ~1.8 s (1 s rounding, 10 % skew) and refreshed at 75–85 % of that:
    // one fleet refreshes every ≥1.35 s, ≤ 1 + 15 / 1.35 ≈ 12 requests, plus a few when two
    // replicas race for one refresh (read, then lock after the other's unlock). Unshared: ~44.
    t.comment(`${requests} token requests for ${served} requests over 15 s; ${tokens.size} distinct tokens`)
    t.equal(failed, 0, 'no request failed')
    t.ok(requests >= 5, `the fleet kept refreshing (${requests})`)
    t.ok(requests <= 16, `one refresh per lifetime for the fleet (${requests} token requests; ~44 without sharing)`)
  })
}
