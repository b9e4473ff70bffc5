// The Redis store against the SharedTokenStore contract, on a real Redis.
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { redisStore, type RedisStoreOptions } from '../../plugin/store/redis.js'
import type { SharedTokenStore, StoredToken } from '../../plugin/token/shared-store.js'
import { cleanup, dump, inspector, sleep, uniquePrefix, useRedis } from '../helpers/redis.js'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)

  function token (accessToken = `at-${randomBytes(12).toString('hex')}`): StoredToken {
    const now = Date.now()
    return { accessToken, tokenType: 'Bearer', scopes: ['read:a', 'read:b'], usableUntil: now + 50_000, expiresAt: now + 60_000, refreshAt: now + 40_000 }
  }

  /** A store with its own prefix, closed (and its keys removed) at the end of the test. */
  function store (tt: Test, options: Partial<RedisStoreOptions> = {}): { store: SharedTokenStore, prefix: string } {
    const prefix = options.keyPrefix ?? uniquePrefix('store')
    const s = redisStore({ url, keyPrefix: prefix, ...options })
    tt.teardown(async () => { await s.close(); await cleanup(redis, prefix) })
    return { store: s, prefix }
  }

  t.test('get is a miss until set, then returns the token', async (t) => {
    const { store: s } = store(t)
    t.equal(await s.get('k1'), undefined)
    const value = token()
    await s.set('k1', value, 10_000)
    t.same(await s.get('k1'), value)
    t.equal(await s.get('k2'), undefined, 'keys are separate')
  })

  t.test('a value expires from Redis with its ttl', async (t) => {
    const { store: s, prefix } = store(t)
    await s.set('k', token(), 300)
    const pttl = await redis.pttl(`${prefix}v3:{k}:token`)
    t.ok(pttl > 0 && pttl <= 300, `PX set (${pttl} ms)`)
    await sleep(450)
    t.equal(await s.get('k'), undefined)
  })

  t.test('a ttl of zero or less stores nothing', async (t) => {
    const { store: s, prefix } = store(t)
    await s.set('k', token(), 0)
    t.equal((await dump(redis, prefix)).size, 0)
  })

  t.test('the lock has one owner at a time and only the owner releases it', async (t) => {
    const { store: s } = store(t)
    t.equal(await s.lock('k', 'a', 10_000), true, 'a takes it')
    t.equal(await s.lock('k', 'b', 10_000), false, 'b cannot while a holds it')
    t.equal(await s.lock('k', 'a', 10_000), false, 'not re-entrant')
    await s.unlock('k', 'b')
    t.equal(await s.lock('k', 'b', 10_000), false, 'b did not release a\'s lock')
    await s.unlock('k', 'a')
    t.equal(await s.lock('k', 'b', 10_000), true, 'released by a, b takes it')
    t.equal(await s.lock('other', 'a', 10_000), true, 'locks are per key')
  })

  t.test('a lock expires after its ttl (a holder that died)', async (t) => {
    const { store: s } = store(t)
    t.equal(await s.lock('k', 'dead', 250), true)
    t.equal(await s.lock('k', 'b', 10_000), false)
    await sleep(400)
    t.equal(await s.lock('k', 'b', 10_000), true)
  })

  t.test('the lease: renewed only by its owner; lockRemaining is the PTTL', async (t) => {
    const { store: s, prefix } = store(t)
    const lockKey = `${prefix}v3:{k}:lock`
    t.equal(await s.lockRemaining?.('k'), -2, 'no lock')
    t.equal(await s.lock('k', 'a', 1_000), true)
    const left = await s.lockRemaining?.('k') as number
    t.ok(left > 0 && left <= 1_000, `remaining ${left} ms`)
    t.equal(await s.renew?.('k', 'a', 5_000), true, 'the owner renews')
    t.ok(await redis.pttl(lockKey) > 1_000, 'to the new ttl')
    t.equal(await s.renew?.('k', 'b', 60_000), false, 'another owner does not')
    t.ok(await redis.pttl(lockKey) <= 5_000)
    t.equal(await redis.get(lockKey), 'a')
    await s.unlock('k', 'a')
    t.equal(await s.renew?.('k', 'a', 5_000), false, 'nor does anyone once it is gone')
    t.equal(await redis.exists(lockKey), 0, 'and renewing does not bring it back')
  })

  t.test('a lapsed lock (no expiry, or one beyond 60 s) is taken over by lock(); a live one is not', async (t) => {
    const { store: s, prefix } = store(t)
    const lockKey = `${prefix}v3:{k}:lock`
    await redis.set(lockKey, 'planted')
    t.equal(await s.lockRemaining?.('k'), -1)
    t.equal(await s.lock('k', 'a', 1_000), true, 'no ttl: lapsed')
    t.equal(await redis.get(lockKey), 'a')
    t.ok(await redis.pttl(lockKey) <= 1_000, 'with our ttl')
    await redis.set(lockKey, 'planted', 'PX', 3_600_000)
    t.equal(await s.lock('k', 'b', 1_000), true, 'an hour: lapsed')
    await redis.set(lockKey, 'old-replica', 'PX', 35_500)
    t.equal(await s.lock('k', 'c', 1_000), false, 'an old replica\'s 35.5 s lock is respected')
    t.equal(await redis.get(lockKey), 'old-replica')
  })

  t.test('a waiter on a lock without expiry ends its wait at once (the lock is lapsed)', async (t) => {
    const { store: s, prefix } = store(t)
    await redis.set(`${prefix}v3:{k}:lock`, 'planted')
    const started = Date.now()
    t.equal(await s.waitFor('k', 10_000), undefined)
    t.ok(Date.now() - started < 2_500)
  })

  t.test('deleteIfHolds deletes the stored token only while it holds that access token', async (t) => {
    const { store: s, prefix } = store(t, { encryptionKey: randomBytes(32) })
    const first = token()
    await s.set('k', first, 10_000)
    await s.deleteIfHolds?.('k', 'at-someone-else')
    t.same(await s.get('k'), first, 'another token: kept')
    await s.deleteIfHolds?.('k', first.accessToken)
    t.equal(await redis.exists(`${prefix}v3:{k}:token`), 0, 'that token: deleted')
  })

  t.test('waitFor ends at once on a stored token the caller accepts, though the lock stays (a holder whose unlock was lost)', async (t) => {
    const { store: s } = store(t)
    await s.lock('k', 'lost-unlock', 60_000)
    const value = token()
    await s.set('k', value, 10_000)
    const started = Date.now()
    t.same(await s.waitFor('k', 5_000, (v) => v.accessToken === value.accessToken), value)
    t.ok(Date.now() - started < 1_000, `at once (${Date.now() - started} ms), not when the lock expires`)
    t.equal(await s.waitFor('k', 300, () => false), undefined, 'a token the caller does not take: waits on, to its timeout')
  })

  t.test('waitFor wakes when the holder stores its token', async (t) => {
    // Two stores (two replicas' connections) on one prefix.
    const prefix = uniquePrefix('wait')
    const { store: a } = store(t, { keyPrefix: prefix })
    const { store: b } = store(t, { keyPrefix: prefix })

    t.equal(await a.lock('k', 'a', 10_000), true)
    const started = Date.now()
    const waiting = b.waitFor('k', 5_000)
    await sleep(200)
    const value = token()
    await a.set('k', value, 10_000)
    t.same(await waiting, value)
    const took = Date.now() - started
    t.ok(took < 2_500, `woke ${took} ms after the wait began (set at 200 ms), not at the timeout`)
  })

  t.test('waiters listen on one pub/sub channel, subscribed on first wait and left on close', async (t) => {
    const prefix = uniquePrefix('pubsub')
    const s = redisStore({ url, keyPrefix: prefix })
    t.teardown(() => cleanup(redis, prefix))
    const subscribers = async (): Promise<unknown> => ((await redis.pubsub('NUMSUB', `${prefix}stored`)) as unknown[])[1]
    await s.set('k', token(), 10_000)
    t.equal(await subscribers(), 0, 'no subscriber connection before a wait')
    await s.lock('w', 'a', 10_000)
    const waiting = s.waitFor('w', 5_000)
    let count: unknown = 0
    for (let i = 0; i < 50 && count === 0; i++) { await sleep(20); count = await subscribers() }
    t.equal(count, 1, 'one subscriber while waiting')
    await s.close()
    t.equal(await waiting, undefined)
    for (let i = 0; i < 50 && count !== 0; i++) { await sleep(20); count = await subscribers() }
    t.equal(count, 0, 'unsubscribed on close')
  })

  t.test('waitFor returns the new token, not the one stored before the wait', async (t) => {
    const { store: s } = store(t)
    const old = token('old-token')
    await s.set('k', old, 10_000)
    await s.lock('k', 'a', 10_000)
    const waiting = s.waitFor('k', 5_000)
    await sleep(250)
    const fresh = token('new-token')
    await s.set('k', fresh, 10_000)
    t.same(await waiting, fresh)
  })

  t.test('waitFor returns the holder\'s token when it was stored before the wait began and the lock goes later', async (t) => {
    const { store: s } = store(t)
    await s.lock('k', 'a', 10_000)
    const value = token()
    await s.set('k', value, 10_000)
    const waiting = s.waitFor('k', 5_000)
    await sleep(150)
    await s.unlock('k', 'a')
    t.same(await waiting, value)
  })

  t.test('waitFor times out with undefined while the lock is held', async (t) => {
    const { store: s } = store(t)
    await s.lock('k', 'a', 10_000)
    const started = Date.now()
    t.equal(await s.waitFor('k', 300), undefined)
    const took = Date.now() - started
    t.ok(took >= 280 && took < 2_000, `gave up after ${took} ms`)
  })

  t.test('lockTtl and waitTimeout are deprecated: one warning per process, then ignored', async (t) => {
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => { warnings.push(warning) }
    process.on('warning', onWarning)
    t.teardown(() => { process.off('warning', onWarning) })
    const { store: s, prefix } = store(t, { lockTtl: 200, waitTimeout: 100 })
    store(t, { lockTtl: 300 })
    await s.lock('k', 'a', 5_000)
    t.ok(await redis.pttl(`${prefix}v3:{k}:lock`) > 1_000, 'the cache\'s ttl, not lockTtl')
    const started = Date.now()
    t.equal(await s.waitFor('k', 600), undefined)
    t.ok(Date.now() - started >= 550, 'the cache\'s wait, not waitTimeout')
    await sleep(10)
    const ours = warnings.filter((w) => (w as { code?: string }).code === 'FST_APP_TOKEN_REDIS_LOCK_OPTIONS')
    t.equal(ours.length, 1, 'one warning')
    t.equal(ours[0]?.name, 'DeprecationWarning')
    t.match(ours[0]?.message, /lockTtl and waitTimeout are ignored.*plugin/)
  })

  t.test('waitFor returns undefined soon after the holder unlocks without a token', async (t) => {
    const { store: s } = store(t)
    await s.lock('k', 'a', 10_000)
    const started = Date.now()
    const waiting = s.waitFor('k', 5_000)
    await sleep(150)
    await s.unlock('k', 'a')
    t.equal(await waiting, undefined)
    t.ok(Date.now() - started < 2_500, 'well before the timeout')
  })

  t.test('waitFor returns undefined soon after a dead holder\'s lock expires', async (t) => {
    const { store: s } = store(t)
    await s.lock('k', 'dead', 300)
    const started = Date.now()
    t.equal(await s.waitFor('k', 5_000), undefined)
    const took = Date.now() - started
    t.ok(took >= 250 && took < 2_500, `released ${took} ms after the wait began (lock ttl 300 ms)`)
  })

  t.test('waitFor without a lock answers at once with what is stored', async (t) => {
    const { store: s } = store(t)
    const started = Date.now()
    t.equal(await s.waitFor('k', 5_000), undefined, 'nothing stored, no one fetching')
    const value = token()
    await s.set('k', value, 10_000)
    t.same(await s.waitFor('k', 5_000), value)
    t.ok(Date.now() - started < 2_500)
  })

  t.test('close ends pending waits and the store refuses further calls', async (t) => {
    const prefix = uniquePrefix('close')
    const s = redisStore({ url, keyPrefix: prefix })
    t.teardown(() => cleanup(redis, prefix))
    await s.lock('k', 'a', 10_000)
    const waiting = s.waitFor('k', 10_000)
    await sleep(100)
    const started = Date.now()
    await s.close()
    t.equal(await waiting, undefined)
    t.ok(Date.now() - started < 2_500)
    await t.rejects(s.get('k'))
    await s.close() // twice is fine
  })

  t.test('with `client`, the store uses it and leaves it open', async (t) => {
    const prefix = uniquePrefix('client')
    const client = new Redis(url)
    t.teardown(async () => { await cleanup(redis, prefix); client.disconnect() })
    const s = redisStore({ client, keyPrefix: prefix })
    await s.lock('k', 'a', 10_000)
    const waiting = s.waitFor('k', 5_000)
    const value = token()
    await sleep(100)
    await s.set('k', value, 10_000)
    t.same(await waiting, value, 'waitFor works on a duplicate of the caller\'s client')
    await s.close()
    t.equal(await client.ping(), 'PONG', 'the caller\'s client is still open')
  })

  t.test('options: exactly one of url and client; timeouts are positive numbers', async (t) => {
    t.throws(() => redisStore({}), /exactly one of `url` and `client`/)
    const client = new Redis(url, { lazyConnect: true })
    t.teardown(() => client.disconnect())
    t.throws(() => redisStore({ url, client }), /exactly one/)
    for (const bad of [0, -1, Infinity, '500']) {
      t.throws(() => redisStore({ url, commandTimeout: bad as number }), /commandTimeout must be a positive number/)
    }
  })

  t.test('key layout v3: prefix, v3:{<key>}:token and v3:{<key>}:lock (one Cluster slot), and the default prefix', async (t) => {
    const { store: s, prefix } = store(t)
    await s.set('abc', token(), 10_000)
    await s.lock('abc', 'o', 10_000)
    t.same([...(await dump(redis, prefix)).keys()].sort(), [`${prefix}v3:{abc}:lock`, `${prefix}v3:{abc}:token`])

    const key = `default-prefix-${randomBytes(8).toString('hex')}`
    const d = redisStore({ url })
    t.teardown(async () => { await d.close(); await redis.del(`fastify-app-token:v3:{${key}}:token`) })
    await d.set(key, token(), 10_000)
    t.equal(await redis.exists(`fastify-app-token:v3:{${key}}:token`), 1)
  })

  t.test('without encryption, garbage or a wrong shape reads as a miss', async (t) => {
    const { store: s, prefix } = store(t)
    const bad = ['not json', '{"accessToken":', '[]', 'null', '{}', JSON.stringify({ ...token(), accessToken: 42 }),
      JSON.stringify({ ...token(), usableUntil: 'soon' }), JSON.stringify({ ...token(), scopes: 'read:a' }), 's1:AAAA']
    for (const value of bad) {
      await redis.set(`${prefix}v3:{k}:token`, value)
      t.equal(await s.get('k'), undefined, value)
    }
    await redis.del(`${prefix}v3:{k}:token`)
    await redis.hset(`${prefix}v3:{k}:token`, 'a', 'b')
    await t.rejects(s.get('k'), /redis store get/, 'a key of another type rejects: the core treats it as a miss')
  })

  t.test('encryption', async (t) => {
    const key = randomBytes(32)

    t.test('Redis holds a sealed value, not the token; the store reads it back', async (t) => {
      const { store: s, prefix } = store(t, { encryptionKey: key })
      const value = token()
      await s.set('k', value, 10_000)
      const held = await redis.get(`${prefix}v3:{k}:token`) ?? ''
      t.match(held, /^s1:/)
      t.notOk(held.includes(value.accessToken), 'the token is not in Redis')
      t.notOk(held.includes('read:a'), 'nor the scopes')
      t.same(await s.get('k'), value)
    })

    t.test('two seals of one token differ (random IV)', async (t) => {
      const { store: s, prefix } = store(t, { encryptionKey: key })
      const value = token()
      await s.set('k', value, 10_000)
      const first = await redis.get(`${prefix}v3:{k}:token`)
      await s.set('k', value, 10_000)
      t.not(await redis.get(`${prefix}v3:{k}:token`), first)
    })

    t.test('another key reads a miss, as does a store without a key', async (t) => {
      const prefix = uniquePrefix('enc')
      const { store: writer } = store(t, { keyPrefix: prefix, encryptionKey: key })
      const { store: wrong } = store(t, { keyPrefix: prefix, encryptionKey: randomBytes(32) })
      const { store: plain } = store(t, { keyPrefix: prefix })
      await writer.set('k', token(), 10_000)
      t.equal(await wrong.get('k'), undefined)
      t.equal(await plain.get('k'), undefined)
    })

    t.test('a tampered, truncated, moved, plain or garbage value reads as a miss', async (t) => {
      const { store: s, prefix } = store(t, { encryptionKey: key })
      const value = token()
      await s.set('k', value, 10_000)
      const sealed = await redis.get(`${prefix}v3:{k}:token`) ?? ''
      const body = Buffer.from(sealed.slice(3), 'base64')
      for (const at of [0, 13, 30, body.length - 1]) {
        const copy = Buffer.from(body)
        copy[at] = (copy[at] ?? 0) ^ 1
        await redis.set(`${prefix}v3:{k}:token`, `s1:${copy.toString('base64')}`)
        t.equal(await s.get('k'), undefined, `byte ${at} flipped`)
      }
      await redis.set(`${prefix}v3:{k}:token`, sealed.slice(0, 20))
      t.equal(await s.get('k'), undefined, 'truncated')
      await redis.set(`${prefix}v3:{other}:token`, sealed)
      t.equal(await s.get('other'), undefined, 'moved to another key (associated data)')
      await redis.set(`${prefix}v3:{k}:token`, JSON.stringify(value))
      t.equal(await s.get('k'), undefined, 'plain JSON is not accepted when sealing is on')
      for (const garbage of ['', 's1:', 's1:!!!!', 'garbage', 's2:' + sealed.slice(3)]) {
        await redis.set(`${prefix}v3:{k}:token`, garbage)
        t.equal(await s.get('k'), undefined, JSON.stringify(garbage))
      }
      await redis.set(`${prefix}v3:{k}:token`, sealed)
      t.same(await s.get('k'), value, 'the original still opens')
    })

    t.test('a sealed token reaches a waiter', async (t) => {
      const { store: s } = store(t, { encryptionKey: key })
      await s.lock('k', 'a', 10_000)
      const waiting = s.waitFor('k', 5_000)
      const value = token()
      await sleep(100)
      await s.set('k', value, 10_000)
      t.same(await waiting, value)
    })

    t.test('key forms: hex, base64, base64url, Buffer, env APP_TOKEN_STORE_KEY', async (t) => {
      const prefix = uniquePrefix('forms')
      const { store: writer } = store(t, { keyPrefix: prefix, encryptionKey: key })
      const value = token()
      await writer.set('k', value, 10_000)
      for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url') + '=', new Uint8Array(key)]) {
        const { store: reader } = store(t, { keyPrefix: prefix, encryptionKey: form })
        t.same(await reader.get('k'), value, typeof form === 'string' ? `${form.length} characters` : 'Uint8Array')
      }
      const saved = process.env.APP_TOKEN_STORE_KEY
      t.teardown(() => { if (saved === undefined) delete process.env.APP_TOKEN_STORE_KEY; else process.env.APP_TOKEN_STORE_KEY = saved })
      process.env.APP_TOKEN_STORE_KEY = key.toString('base64')
      const { store: fromEnv } = store(t, { keyPrefix: prefix })
      t.same(await fromEnv.get('k'), value, 'key from the environment')
    })

    t.test('a list in APP_TOKEN_STORE_KEY (comma-separated): the first seals, every one opens', async (t) => {
      const prefix = uniquePrefix('env-list')
      const newKey = randomBytes(32)
      const { store: old } = store(t, { keyPrefix: prefix, encryptionKey: key })
      const value = token()
      await old.set('k', value, 10_000)
      const saved = process.env.APP_TOKEN_STORE_KEY
      t.teardown(() => { if (saved === undefined) delete process.env.APP_TOKEN_STORE_KEY; else process.env.APP_TOKEN_STORE_KEY = saved })
      process.env.APP_TOKEN_STORE_KEY = `${newKey.toString('base64')}, ${key.toString('hex')}`
      const { store: rolled } = store(t, { keyPrefix: prefix })
      t.same(await rolled.get('k'), value, 'opens what the old key sealed')
      await rolled.set('k2', value, 10_000)
      const { store: onlyNew } = store(t, { keyPrefix: prefix, encryptionKey: newKey })
      t.same(await onlyNew.get('k2'), value, 'sealed with the first key')
    })

    t.test('encryptionPassphrase: replicas with the same passphrase share; not together with encryptionKey', async (t) => {
      const prefix = uniquePrefix('passphrase')
      const passphrase = 'the fleet passphrase, long enough'
      const { store: a } = store(t, { keyPrefix: prefix, encryptionPassphrase: passphrase })
      const { store: b } = store(t, { keyPrefix: prefix, encryptionPassphrase: passphrase })
      const value = token()
      await a.set('k', value, 10_000)
      t.same(await b.get('k'), value)
      t.match(await redis.get(`${prefix}v3:{k}:token`), /^s1:/, 'sealed')
      const err = t.throws(() => redisStore({ url, encryptionKey: key, encryptionPassphrase: passphrase })) as Error
      t.match(err.message, /not both/)
      t.notOk(err.message.includes(passphrase))
    })

    t.test('a key that is not 32 bytes is refused without being echoed', async (t) => {
      for (const bad of ['too-short-secret', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33)]) {
        const err = t.throws(() => redisStore({ url, encryptionKey: bad })) as Error
        t.match(err.message, /32 random bytes/)
        if (typeof bad === 'string') t.notOk(err.message.includes(bad), 'the key is not in the message')
      }
    })
  })
}
