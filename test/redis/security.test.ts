// An attacker's pass over the shared store: whoever can write to Redis but lacks
// the client secret cannot get a token of theirs served; replicas with another
// secret never adopt each other's tokens; a holder retrying a slow server keeps
// its lock until it is done (counted at the token server).
import t, { type Test } from 'tap'
import { createHash, createHmac, hkdfSync, randomBytes, scryptSync } from 'node:crypto'
import { storeIdentity } from '../../plugin/token/store-key.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { assertNoSecrets } from '../helpers/log-capture.js'
import { dump, inspector, sleep, useRedis } from '../helpers/redis.js'
import { cacheFleet, type CacheFleet } from './fixtures/caches.js'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)
  const FORGED = 'ATTACKER-CHOSEN-TOKEN'

  const setup = (t: Test, ...script: Parameters<typeof startFaultServer>): Promise<CacheFleet> =>
    cacheFleet(t, redis, url as string, { clientId: 'sec-client', clientSecret: 'sec-secret-1' }, ...script)

  t.test('a value planted in Redis without the secret is never served: ignored, a real fetch, a warning without the value', async (t) => {
    const { server, prefix, replica } = await setup(t)
    const first = replica()
    const real = await first.cache.get({ scopes: ['read:a'] })
    const held = await dump(redis, prefix)
    const tokenKeys = [...held.keys()].filter((key) => key.includes('token'))
    t.equal(tokenKeys.length, 1, 'the token is shared')
    // The attacker overwrites it with a well-formed value of their own (no MAC, or a MAC of their making).
    const now = Date.now()
    const forged = { accessToken: FORGED, tokenType: 'Bearer', scopes: ['read:a'], usableUntil: now + 3_000_000, expiresAt: now + 3_600_000, refreshAt: now + 3_000_000 }
    for (const value of [forged, { ...forged, mac: randomBytes(32).toString('base64url') }]) {
      await redis.set(tokenKeys[0] as string, JSON.stringify(value), 'PX', 60_000)
      const other = replica()
      const got = await other.cache.get({ scopes: ['read:a'] })
      t.not(got.accessToken, FORGED, 'the planted token is not handed out')
      t.not(got.accessToken, real.accessToken, 'the replica fetched a token of its own')
      const warning = other.log.entries().find((e) => e.level === 40 && String(e.msg).includes('authentication'))
      t.ok(warning, 'a warning says a value failed its check')
      t.notOk(other.log.text().includes(FORGED), 'the log does not carry the planted value')
      assertNoSecrets(t, other.log, ['sec-secret-1', real.accessToken, got.accessToken])
    }
    t.equal(server.requests.length, 3, 'one real fetch per replica that found a planted value')
  })

  t.test('the key name is v3 with a hash tag: computable only through the documented scrypt of the secret, not HKDF (v2)', async (t) => {
    const { server, prefix, replica } = await setup(t)
    const { cache } = replica()
    await cache.get({ scopes: ['read:a'] })
    const held = await dump(redis, prefix)
    const keys = [...held.keys()].filter((key) => !key.endsWith(':lock'))
    t.equal(keys.length, 1)
    const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    t.match(keys[0], new RegExp(`^${escaped}v3:\\{[0-9a-f]{64}\\}:token$`))
    const [entry] = cache.stats().entries
    const identity = storeIdentity({ endpoint: server.tokenEndpoint, clientId: 'sec-client', authMethod: 'client_secret_basic', scopes: 'read:a' })
    t.equal(entry?.key, identity, 'the public identity, as stats() shows it')
    // What an attacker with the secret's guess computes: docs/redis.md's scrypt, written out here.
    const out = scryptSync('sec-secret-1', 'fastify-app-token shared store v3', 64, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
    const nameOf = (fingerprint: Buffer): string => createHash('sha256').update(identity).update('\n').update(fingerprint.toString('hex')).digest('hex')
    t.equal(keys[0], `${prefix}v3:{${nameOf(out.subarray(0, 32))}}:token`, 'the name: sha256(identity, first half of the scrypt output)')
    // The value's MAC is keyed by the second half of the same output.
    const value = JSON.parse(await redis.get(keys[0] as string) ?? '{}') as Record<string, unknown>
    const fields = [nameOf(out.subarray(0, 32)), value.accessToken, value.tokenType, value.scopes, value.usableUntil, value.expiresAt, value.refreshAt]
    t.equal(value.mac, createHmac('sha256', out.subarray(32)).update(JSON.stringify(fields)).digest('base64url'), 'the MAC: HMAC-SHA256 with the second half')
    // v2 derived the fingerprint with HKDF, ~24,000 guesses a second: that name is not used, under either prefix.
    const v2 = nameOf(Buffer.from(hkdfSync('sha256', 'sec-secret-1', 'fastify-app-token shared store v2', 'key name', 32)))
    t.notOk([...held.keys()].some((key) => key.includes(v2)), 'no key holds the HKDF-derived name')
    t.notOk(keys[0]?.includes('sec-secret-1'))
  })

  t.test('replicas with another client secret never adopt each other\'s tokens', async (t) => {
    const { server, replica } = await setup(t)
    const a = replica({ clientSecret: 'sec-secret-1' })
    const b = replica({ clientSecret: () => 'sec-secret-2' })
    const c = replica({ clientSecret: async () => 'sec-secret-1' })
    const ta = await a.cache.get()
    const tb = await b.cache.get()
    t.not(tb.accessToken, ta.accessToken, 'another secret: a token of its own')
    t.equal(server.requests.length, 2)
    t.equal((await c.cache.get()).accessToken, ta.accessToken, 'the same secret (from a function) shares')
    t.equal(server.requests.length, 2)
  })

  t.test('a holder retrying a slow 503, 503, 200 server keeps the lock: 3 token requests for two replicas, not 4', async (t) => {
    const slow503 = { status: 503, delay: 1700, body: { error: 'temporarily_unavailable' } }
    const { server, replica } = await setup(t, slow503, slow503, () => ({ body: tokenBody() }))
    // Two slow attempts (3.4 s) outlast a lock of timeout + 1 s (3 s).
    const options = { timeout: 2000, retry: { retries: 2, minDelay: 100, maxDelay: 200 } }
    const a = replica(options)
    const b = replica(options)
    const first = a.cache.get()
    await sleep(150)
    const [ta, tb] = await Promise.all([first, b.cache.get()])
    t.equal(tb.accessToken, ta.accessToken, 'the waiting replica adopted the holder\'s token')
    t.equal(server.requests.length, 3, 'the holder\'s three attempts, and no more')
  })
}
