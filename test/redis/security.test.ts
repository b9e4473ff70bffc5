// An attacker's pass over the shared store: whoever can write to Redis but lacks
// the client secret cannot get a token of theirs served; replicas with another
// secret never adopt each other's tokens; a holder retrying a slow server keeps
// its lock until it is done (counted at the token server).
import t, { type Test } from 'tap'
import { createHash, randomBytes } from 'node:crypto'
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

  t.test('the key name is v2 with a hash tag and cannot be computed without the secret', async (t) => {
    const { server, prefix, replica } = await setup(t)
    const { cache } = replica()
    await cache.get({ scopes: ['read:a'] })
    const keys = [...(await dump(redis, prefix)).keys()].filter((key) => !key.endsWith(':lock'))
    t.equal(keys.length, 1)
    t.match(keys[0], new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}v2:\\{[0-9a-f]{64}\\}:token$`))
    // What v1 filed the entry under, computable from public facts alone, is not it.
    const v1 = createHash('sha256').update(JSON.stringify([server.tokenEndpoint, 'sec-client', 'client_secret_basic', 'read:a', null])).digest('hex')
    t.notOk(keys[0]?.includes(v1))
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
