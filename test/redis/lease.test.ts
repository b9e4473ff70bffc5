// The refresh lock is a lease (docs/redis.md): a replica closed right after its
// fetch leaves no lock, a lock without expiry is taken over, a slow but live
// holder keeps its lease (also when the others' tokens run out meanwhile), a dead
// holder's lease is waited out by replicas whose token ran out, a renew that finds
// another owner stops (logged once),
// and invalidate({ token }) deletes the stored value only while it holds that token.
import t, { type Test } from 'tap'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { assertNoSecrets } from '../helpers/log-capture.js'
import { cleanup, inspector, sleep, uniquePrefix, useRedis } from '../helpers/redis.js'
import { cacheFleet, type CacheFleet } from './fixtures/caches.js'
import { call, fleet, newSecret, oidc, type Replica } from './fixtures/fleet.js'

const SECRET = 'lease-secret-1'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)

  const setup = (t: Test, ...script: Parameters<typeof startFaultServer>): Promise<CacheFleet> =>
    cacheFleet(t, redis, url as string, { clientId: 'lease-client', clientSecret: SECRET }, ...script)

  /** The one key under prefix that ends with suffix (the entry's name is a hash of the credential). */
  async function keyOf (prefix: string, suffix: ':token' | ':lock'): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const [key] = await redis.keys(`${prefix}*${suffix}`)
      if (key !== undefined) return key
      await sleep(10)
    }
    throw new Error(`no ${suffix} key under ${prefix}`)
  }

  /** Polls until check() holds, for up to 2 s (a holder stores, then unlocks, after its callers have their token). */
  async function eventually (check: () => Promise<boolean>): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (await check()) return true
      await sleep(20)
    }
    return false
  }

  t.test('a replica closed right after its fetch (app.close()) leaves no lock key behind', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret)
    const prefix = uniquePrefix('closed')
    t.teardown(() => cleanup(redis, prefix))
    const [first] = await fleet(t, { size: 1, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix } }) as [Replica]
    t.equal((await call(first)).status, 200)
    await first.app.close()
    t.equal((await redis.keys(`${prefix}*:lock`)).length, 0, 'no lock left')
    t.equal((await redis.keys(`${prefix}*:token`)).length, 1, 'the token was stored before the connection closed')

    // So the next replica takes the stored token at once, with no wait and no request.
    const [next] = await fleet(t, { size: 1, tokenEndpoint: server.tokenEndpoint, secret, store: { url, keyPrefix: prefix } }) as [Replica]
    t.equal((await call(next)).status, 200)
    t.equal(server.tokenRequests.length, 1, 'one token request for both')
  })

  t.test('a cache closed while its token request runs releases its lock at once', async (t) => {
    const { server, prefix, replica } = await setup(t, { hang: true })
    const { cache } = replica()
    const got = cache.get().catch((err: Error) => err)
    while (server.requests.length === 0) await sleep(10)
    const lockKey = await keyOf(prefix, ':lock')
    await cache.close()
    t.equal(await redis.exists(lockKey), 0, 'no lock once close() resolves')
    t.match(await got, { code: 'FST_APP_TOKEN_CLOSED' }, 'its caller learns the cache closed')
  })

  t.test('a lock planted without expiry: a cold get() takes it over and succeeds within one lease', async (t) => {
    const { server, prefix, replica } = await setup(t, () => ({ body: tokenBody() }))
    const lockTtl = 2_000
    const first = replica({ lockTtl })
    await first.cache.get()
    // The same entry, empty, with a lock no one will release.
    const tokenKey = await keyOf(prefix, ':token')
    const lockKey = tokenKey.replace(/:token$/, ':lock')
    await redis.del(tokenKey)
    await redis.set(lockKey, 'planted-by-someone')
    const cold = replica({ lockTtl, maxWait: 2 * lockTtl })
    const started = Date.now()
    const token = await cold.cache.get()
    const took = Date.now() - started
    t.ok(token.accessToken, 'a token')
    t.ok(took < lockTtl, `within one lease (${took} ms; lease ${lockTtl} ms)`)
    t.equal(server.requests.length, 2, 'fetched once')
    t.ok(await eventually(async () => (await redis.exists(lockKey)) === 0), 'and the lock it took is released')
  })

  t.test('a holder whose fetch takes 3 × lockTtl keeps its lease: the others wait, 1 token request', async (t) => {
    const lockTtl = 1_000
    const { server, prefix, replica } = await setup(t, () => ({ delay: 3 * lockTtl, body: tokenBody() }))
    const replicas = [1, 2, 3].map(() => replica({ lockTtl }))
    const [holder, ...others] = replicas as [typeof replicas[0], ...typeof replicas]
    const held = holder.cache.get()
    while (server.requests.length === 0) await sleep(10)
    const lockKey = await keyOf(prefix, ':lock')
    const owner = await redis.get(lockKey)
    const waiting = Promise.all(others.flatMap(({ cache }) => Array.from({ length: 5 }, () => cache.get())))
    await sleep(2 * lockTtl)
    // Two leases on: still the holder's, and still a short lease (a crash would free it within one).
    t.equal(await redis.get(lockKey), owner, 'the holder still owns the lock after two leases')
    const pttl = await redis.pttl(lockKey)
    t.ok(pttl > 0 && pttl <= lockTtl, `renewed as a lease, not reserved for the whole retry budget (pttl ${pttl} ms)`)
    const results = await Promise.all([held, ...await waiting])
    t.equal(new Set(results.map((token) => token.accessToken)).size, 1, 'one token for all')
    t.equal(server.requests.length, 1, 'one token request: no one raced the live holder')
    t.ok(await eventually(async () => (await redis.exists(lockKey)) === 0), 'the lease is released')
  })

  t.test('replicas whose token runs out while a dead holder\'s lease is live wait for it to lapse: one token request for them all', async (t) => {
    const lockTtl = 2_000
    // 3 s tokens: served 1.8 s (1 s rounding, 10 % skew), refreshed at 75–85 % of that.
    const { server, prefix, replica } = await setup(t, () => ({ body: tokenBody({ expires_in: 3 }) }))
    const survivors = [1, 2, 3].map(() => replica({ lockTtl, maxWait: 2 * lockTtl }))
    const first = await (survivors[0] as typeof survivors[0]).cache.get()
    for (const { cache } of survivors) t.equal((await cache.get()).accessToken, first.accessToken, 'shared')
    // A holder that took the refresh lock and died: it never renews, never unlocks.
    const lockKey = (await keyOf(prefix, ':token')).replace(/:token$/, ':lock')
    await redis.set(lockKey, 'dead-holder', 'PX', lockTtl)
    const lapses = Date.now() + lockTtl
    // Callers keep calling every 100 ms, past the tokens' end (~1.8 s) and the lease's (2 s).
    const waits: number[] = []
    const tokens = new Set<string>()
    while (Date.now() < lapses + 1_000) {
      for (const { cache } of survivors) {
        const started = Date.now()
        void cache.get().then((token) => { tokens.add(token.accessToken); waits.push(Date.now() - started) })
      }
      await sleep(100)
    }
    await Promise.all(survivors.map(({ cache }) => cache.get()))
    t.equal(server.requests.length, 2, 'one request after the first: no survivor fetched beside the lease')
    t.equal(tokens.size, 2, 'every caller got the first token or the one fetched after the lapse')
    const longest = Math.max(...waits)
    t.ok(longest < lockTtl + 1_000, `no caller waited past the lease and a second (${longest} ms)`)
  })

  t.test('a live holder slower than the others\' tokens is followed when they run out: one token request', async (t) => {
    const lockTtl = 1_000
    const { server, prefix, replica } = await setup(t, () => ({ body: tokenBody({ expires_in: 3 }) }))
    const replicas = [1, 2, 3].map(() => replica({ lockTtl, maxWait: 6_000 }))
    const [holder, ...others] = replicas as [typeof replicas[0], ...typeof replicas]
    const first = await holder.cache.get()
    for (const { cache } of others) t.equal((await cache.get()).accessToken, first.accessToken, 'shared')
    // The holder's next request takes 3 s: longer than the 1.8 s the others can serve their token.
    server.script(() => ({ delay: 3_000, body: tokenBody() }))
    holder.cache.invalidate()
    const held = holder.cache.get()
    while (server.requests.length < 2) await sleep(10)
    t.equal(await redis.exists(await keyOf(prefix, ':lock')), 1, 'the holder has the lock')
    // The others are in use (an idle entry is not refreshed) until their token has run out.
    const until = Date.now() + 2_000
    while (Date.now() < until) {
      for (const { cache } of others) void cache.get()
      await sleep(100)
    }
    const after = await Promise.all(others.map(({ cache }) => cache.get()))
    const renewed = await held
    for (const token of after) t.equal(token.accessToken, renewed.accessToken, 'the others took the holder\'s token')
    t.equal(server.requests.length, 2, 'the others waited for the live holder instead of fetching their own')
  })

  t.test('a renew that finds another owner stops renewing and logs once', async (t) => {
    const lockTtl = 600
    const { server, prefix, replica } = await setup(t, () => ({ delay: 3_000, body: tokenBody() }))
    const { cache, log } = replica({ lockTtl })
    const got = cache.get()
    while (server.requests.length === 0) await sleep(10)
    const lockKey = await keyOf(prefix, ':lock')
    // Someone else takes the lock while ours is held (as if our lease had lapsed).
    await redis.set(lockKey, 'another-owner', 'PX', 50_000)
    await sleep(4 * lockTtl)
    const pttl = await redis.pttl(lockKey)
    t.ok(pttl > 45_000, `the other owner's lock is not renewed by us (pttl ${pttl} ms)`)
    await got
    t.equal(await redis.get(lockKey), 'another-owner', 'nor released by us')
    const warned = log.entries().filter((e) => /refresh lock was taken by another owner/.test(String(e.msg)))
    t.equal(warned.length, 1, 'logged once')
    assertNoSecrets(t, log, [SECRET])
  })

  t.test('invalidate({ token }) deletes the stored token while it still holds that token, and never its successor', async (t) => {
    const { prefix, replica } = await setup(t, () => ({ body: tokenBody() }))
    const a = replica()
    const b = replica()
    const first = await a.cache.get()
    t.equal((await b.cache.get()).accessToken, first.accessToken, 'shared')
    const tokenKey = await keyOf(prefix, ':token')
    a.cache.invalidate({ token: first })
    t.ok(await eventually(async () => (await redis.exists(tokenKey)) === 0), 'the refused token is deleted from the store')

    const second = await b.cache.get()
    t.equal(second.accessToken, first.accessToken, 'b keeps its own copy in memory')
    b.cache.invalidate({ token: first })
    const fresh = await b.cache.get()
    t.not(fresh.accessToken, first.accessToken, 'b fetched a new one')
    await sleep(100)
    // A late 401 of a request that held the old token.
    a.cache.invalidate({ token: first })
    await sleep(300)
    t.equal(await redis.exists(tokenKey), 1, 'the successor stays in the store')
    t.equal((await a.cache.get()).accessToken, fresh.accessToken, 'and is shared')
  })
}
