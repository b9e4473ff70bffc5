// The token core's options are checked in one place: fetchToken and TokenCache
// refuse the same bad options with the same InvalidOptionError, and so do the
// shared stores (one error family, FST_APP_TOKEN_*).
import t from 'tap'
import { fetchToken, InvalidOptionError, TokenCache, type TokenCacheOptions } from '../../plugin/token/index.js'
import { redisStore } from '../../plugin/store/redis.js'
import { parseSealKey } from '../../plugin/store/seal.js'
import { memoryStore } from '../../plugin/store/memory.js'
import { startFaultServer } from '../helpers/fault-server.js'

const ok = { tokenEndpoint: 'https://auth.example.com/token', clientId: 'id', clientSecret: 'secret' }

t.test('fetchToken and TokenCache refuse the same options with the same words', async (t) => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['endpoint', { tokenEndpoint: 'not a url' }, /tokenEndpoint is not an absolute URL/],
    ['clientId', { clientId: '' }, /clientId must be a non-empty string/],
    ['secret', { clientSecret: 42 }, /clientSecret must be a non-empty string or a function/],
    ['authMethod', { authMethod: 'basic' }, /authMethod must be one of client_secret_basic, client_secret_post, private_key_jwt/],
    ['timeout', { timeout: 0 }, /timeout must be a positive number/],
    ['maxLifetime', { maxLifetime: 1e7 }, /maxLifetime must be a positive number ≤ 2147483/],
    ['clockSkew', { clockSkew: -1 }, /clockSkew must be a number ≥ 0/],
    ['onScopeNarrowed', { onScopeNarrowed: 'ignore' }, /onScopeNarrowed must be 'error' or 'warn'/]
  ]
  for (const [name, change, message] of bad) {
    const options = { ...ok, ...change } as TokenCacheOptions
    const fromCache = (() => { try { return new TokenCache(options) } catch (err) { return err } })()
    const fromFetch = await fetchToken(options).catch((err: unknown) => err)
    t.ok(fromCache instanceof InvalidOptionError && fromFetch instanceof InvalidOptionError, `${name}: InvalidOptionError from both`)
    t.match(fromCache, { code: 'FST_APP_TOKEN_INVALID_OPTION', message }, `${name}: TokenCache`)
    t.equal((fromFetch as Error).message, (fromCache as Error).message, `${name}: the same words from fetchToken`)
  }
  t.throws(() => new TokenCache({ ...ok, retry: { retries: 1.5 } }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /retry.retries must be a whole number/ })
})

t.test('lockTtl: the lease the cache asks the store for, default min(5 s, maxWait / 2), at most maxWait / 2', async (t) => {
  const server = await startFaultServer()
  t.teardown(() => server.close())
  /** The lock ttl a cache with these options asks for on its first fetch. */
  async function leaseOf (options: Partial<TokenCacheOptions>, renews = true): Promise<number> {
    const inner = memoryStore()
    let asked = NaN
    const { renew, lockRemaining, deleteIfHolds, ...plain } = inner
    const store = { ...(renews ? { renew, lockRemaining, deleteIfHolds } : {}), ...plain, lock: async (key: string, owner: string, ttl: number) => { asked = ttl; return inner.lock(key, owner, ttl) } }
    const cache = new TokenCache({ ...ok, tokenEndpoint: server.tokenEndpoint, store, ...options })
    await cache.get()
    await cache.close()
    return asked
  }
  t.equal(await leaseOf({}), 5000, 'default: 5 s')
  t.equal(await leaseOf({ maxWait: 4000 }), 2000, 'default with maxWait 4 s: maxWait / 2')
  t.equal(await leaseOf({ lockTtl: 1500 }), 1500, 'explicit')
  t.equal(await leaseOf({}, false), 3 * 10_000 + 2 * 2000 + 1500, 'a store that cannot renew: the holder\'s whole retry budget, as before')
  t.throws(() => new TokenCache({ ...ok, maxWait: 4000, lockTtl: 2001 }), { code: 'FST_APP_TOKEN_INVALID_OPTION', option: 'lockTtl', message: /lockTtl must be at most maxWait \/ 2 \(2000 ms with maxWait 4000 ms\)/ })
  t.throws(() => new TokenCache({ ...ok, lockTtl: 0 }), { message: /lockTtl must be a positive number/ })
})

t.test('the shared stores refuse bad options with the same error family', async (t) => {
  t.throws(() => redisStore({}), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /exactly one of `url` and `client`/ })
  t.throws(() => redisStore({ url: 'redis://127.0.0.1:1', commandTimeout: -1 }), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /commandTimeout/ })
  t.throws(() => parseSealKey('too short'), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /32 random bytes/ })
  const err = (() => { try { parseSealKey('x'.repeat(10)) } catch (caught) { return caught } })()
  t.ok(err instanceof InvalidOptionError, 'an InvalidOptionError (an AppTokenError), not a TypeError')
  t.notMatch(String((err as Error).message), /xxxxxxxxxx/, 'the key is not echoed')
})
