// The shared-store seam (docs/redis.md) with the in-process store: two caches
// share one token and one refresh; a failing or hanging store is a miss, the
// caches fetch for themselves and the outage is logged once.
import { createHash, hkdfSync, scryptSync } from 'node:crypto'
import t, { type Test } from 'tap'
import { memoryStore } from '../../plugin/store/memory.js'
import { TokenCache, type SharedTokenStore, type TokenCacheOptions } from '../../plugin/token/index.js'
import { storeIdentity } from '../../plugin/token/store-key.js'
import { issuedTokens, startFaultServer, tokenBody, type FaultServer } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture, type LogCapture } from '../helpers/log-capture.js'
import { jwt } from '../helpers/providers/common.js'

const clientId = 'shared-client'
const clientSecret = 'shared:secret+/=%&'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A store that records the keys it sees and fails or hangs on demand. */
function faulty (inner: SharedTokenStore) {
  const state = { mode: 'ok' as 'ok' | 'fail' | 'hang', keys: new Set<string>() }
  const wrap = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    state.keys.add(String(args[0]))
    if (state.mode === 'fail') throw new Error('ECONNREFUSED 127.0.0.1:6379')
    if (state.mode === 'hang') return new Promise<R>(() => {})
    return fn(...args)
  }
  const store: SharedTokenStore = {
    get: wrap(inner.get),
    set: wrap(inner.set),
    lock: wrap(inner.lock),
    unlock: wrap(inner.unlock),
    waitFor: wrap(inner.waitFor),
    close: inner.close
  }
  return { store, state }
}

const logs: LogCapture[] = []

async function pair (t: Test, server: FaultServer, store: SharedTokenStore, options: Partial<TokenCacheOptions> = {}) {
  const log = logCapture()
  logs.push(log)
  const make = (): TokenCache => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, store, logger: log.logger, storeTimeout: 200, ...options })
  const a = make()
  const b = make()
  t.teardown(async () => { await a.close(); await b.close(); await store.close() })
  return { a, b, log }
}

t.test('two caches, one store: one request, one token', async (t) => {
  const server = await startFaultServer(() => ({ delay: 100, body: tokenBody() }))
  t.teardown(() => server.close())
  const { store, state } = faulty(memoryStore())
  const { a, b, log } = await pair(t, server, store)
  const tokens = await Promise.all([
    ...Array.from({ length: 20 }, () => a.get({ scopes: ['s'] })),
    ...Array.from({ length: 20 }, () => b.get({ scopes: ['s'] }))
  ])
  t.equal(server.requests.length, 1)
  t.equal(new Set(tokens.map((tok) => tok.accessToken)).size, 1)
  for (const key of state.keys) {
    t.match(key, /^[0-9a-f]{64}$/, 'store keys are a hash: no secret, no client id')
  }
  assertNoSecrets(t, log, [clientSecret, tokens[0]!.accessToken])
})

t.test('key format v3: the store key is named from the scrypt of the secret (docs/redis.md), with a slot for a DPoP thumbprint', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const { store, state } = faulty(memoryStore())
  const { a } = await pair(t, server, store)
  await a.get({ scopes: ['s'] })
  const identity = a.stats().entries[0]!.key
  const nameOf = (fingerprint: Buffer): string => createHash('sha256').update(identity).update('\n').update(fingerprint.toString('hex')).digest('hex')
  const scrypted = scryptSync(clientSecret, 'fastify-app-token shared store v3', 64, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
  t.ok(state.keys.has(nameOf(scrypted.subarray(0, 32))), 'the key the store saw: sha256(identity, scrypt fingerprint)')
  const hkdf = Buffer.from(hkdfSync('sha256', clientSecret, 'fastify-app-token shared store v2', 'key name', 32))
  t.notOk(state.keys.has(nameOf(hkdf)), 'not the v2 (HKDF) name')

  const parts = { endpoint: server.tokenEndpoint, clientId, authMethod: 'client_secret_basic', scopes: 's' }
  t.equal(storeIdentity({ ...parts, dpopJkt: '' }), storeIdentity(parts), 'no DPoP key: the empty slot')
  t.not(storeIdentity({ ...parts, dpopJkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' }), storeIdentity(parts), 'a DPoP-bound token has a key of its own')
  t.not(storeIdentity({ ...parts, audience: 'x' }), storeIdentity({ ...parts, dpopJkt: 'x' }), 'the parts do not run together')
})

t.test('a token taken from the store keeps the roles of its JWT', async (t) => {
  const accessToken = jwt({ roles: ['Reports.Read.All', 'User.Read.All'] })
  issuedTokens.add(accessToken)
  const server = await startFaultServer(() => ({ body: { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 } }))
  t.teardown(() => server.close())
  const { a, b } = await pair(t, server, memoryStore())
  const fetched = await a.get()
  const adopted = await b.get()
  t.equal(server.requests.length, 1, 'the second cache adopted the stored token')
  t.same(adopted.roles, ['Reports.Read.All', 'User.Read.All'])
  t.same(adopted.roles, fetched.roles)
})

t.test('short tokens: the pair refreshes once per lifetime, not once per cache', async (t) => {
  const server = await startFaultServer(() => ({ delay: 20, body: tokenBody({ expires_in: 3 }) }))
  t.teardown(() => server.close())
  const { a, b } = await pair(t, server, memoryStore())
  const end = Date.now() + 5000
  while (Date.now() < end) {
    await Promise.all([a.get(), b.get()])
    await sleep(20)
  }
  t.ok(server.requests.length <= 1 + 5000 / 1200, `one refresh for both (${server.requests.length} requests in 5 s)`)
  t.equal(a.stats().waits + b.stats().waits <= 2, true, 'only the first calls waited')
})

t.test('a failing store: each cache fetches for itself; one warning per outage, one info on recovery', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const { store, state } = faulty(memoryStore())
  const { a, b, log } = await pair(t, server, store)
  state.mode = 'fail'
  await a.get({ scopes: ['x'] })
  await b.get({ scopes: ['x'] })
  await a.get({ scopes: ['y'] })
  t.equal(server.requests.length, 3, 'slower, never down')
  t.equal(log.entries().filter((l) => l.level === 40 && /shared token store failed/.test(String(l.msg))).length, 1, 'logged once')
  state.mode = 'ok'
  await a.get({ scopes: ['z'] })
  t.equal(log.entries().filter((l) => l.level === 30 && /answers again/.test(String(l.msg))).length, 1, 'recovery logged once')
  await b.get({ scopes: ['z'] })
  t.equal(server.requests.length, 4, 'shared again')
})

t.test('a hanging store is bounded by storeTimeout', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const { store, state } = faulty(memoryStore())
  const { a } = await pair(t, server, store)
  state.mode = 'hang'
  const started = Date.now()
  await a.get()
  t.ok(Date.now() - started < 1500, `fetched after the store timed out (${Date.now() - started} ms)`)
  t.equal(server.requests.length, 1)
})

t.test('a holder that never stores: the waiter fetches itself after the lock expires', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const store = memoryStore()
  const { a } = await pair(t, server, store, { timeout: 200, retry: { retries: 0 } })
  // Someone else holds the lock for this key and dies.
  let lockedKey = ''
  const spy: SharedTokenStore = { ...store, lock: async (key, owner, ttl) => { lockedKey = key; return store.lock(key, owner, ttl) } }
  const probe = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, store: spy, timeout: 200, retry: { retries: 0 } })
  t.teardown(() => probe.close())
  await probe.get()
  await store.lock(lockedKey, 'dead-replica', 300)
  a.invalidate()
  const started = Date.now()
  const token = await a.get()
  t.ok(token.accessToken)
  t.ok(Date.now() - started < 2000)
})

t.test('invalidate(): the rejected token is not taken back from the store', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => server.close())
  const { a, b } = await pair(t, server, memoryStore())
  const first = await a.get()
  t.equal((await b.get()).accessToken, first.accessToken)
  a.invalidate()
  const fresh = await a.get()
  t.not(fresh.accessToken, first.accessToken)
  t.equal(server.requests.length, 2)
})

t.test('memoryStore: ttl, lock ownership and expiry, waitFor', async (t) => {
  const store = memoryStore()
  t.teardown(() => store.close())
  const value = { accessToken: 'tok-value', tokenType: 'Bearer', scopes: ['s'], usableUntil: Date.now() + 60_000, expiresAt: Date.now() + 61_000, refreshAt: Date.now() + 45_000 }
  t.equal(await store.get('k'), undefined)
  await store.set('k', value, 100)
  t.same(await store.get('k'), value)
  await sleep(120)
  t.equal(await store.get('k'), undefined, 'gone after its ttl')

  t.equal(await store.lock('k', 'a', 200), true)
  t.equal(await store.lock('k', 'b', 200), false, 'held by a')
  await store.unlock('k', 'b')
  t.equal(await store.lock('k', 'b', 200), false, 'only the owner unlocks')
  await store.unlock('k', 'a')
  t.equal(await store.lock('k', 'b', 100), true)
  await sleep(120)
  t.equal(await store.lock('k', 'c', 1000), true, 'a lock expires')

  const waiting = store.waitFor('k', 1000)
  setTimeout(() => { void store.set('k', value, 1000) }, 50)
  t.same(await waiting, value, 'waitFor wakes on set')
  t.equal(await store.waitFor('other', 80).then(() => 'resolved'), 'resolved', 'waitFor ends at its timeout')
})

t.test('memoryStore: the lease methods, and a lapsed lock taken over', async (t) => {
  const store = memoryStore()
  t.teardown(() => store.close())
  t.equal(await store.lockRemaining?.('k'), -2, 'no lock')
  t.equal(await store.lock('k', 'a', 200), true)
  t.equal(await store.renew?.('k', 'b', 5_000), false, 'only the owner renews')
  t.equal(await store.renew?.('k', 'a', 5_000), true)
  await sleep(250)
  t.equal(await store.lock('k', 'b', 200), false, 'renewed past its first ttl')
  t.ok(await store.lockRemaining?.('k') as number > 4_000)
  await store.unlock('k', 'a')
  t.equal(await store.lock('k', 'old', 3_600_000), true)
  t.equal(await store.lock('k', 'b', 200), true, 'a lock beyond the 60 s ceiling is lapsed: taken over')
  t.equal(await store.lock('k', 'c', 200), false, 'and is then a lease like any other')

  const value = { accessToken: 'tok-a', tokenType: 'Bearer', scopes: [], usableUntil: Date.now() + 60_000, expiresAt: Date.now() + 61_000, refreshAt: Date.now() + 45_000 }
  await store.set('k', value, 10_000)
  await store.deleteIfHolds?.('k', 'tok-b')
  t.same(await store.get('k'), value, 'another token: kept')
  await store.deleteIfHolds?.('k', 'tok-a')
  t.equal(await store.get('k'), undefined, 'that token: deleted')
})

t.test('no secret and no token in any log', async (t) => {
  for (const log of logs) assertNoSecrets(t, log, [clientSecret, ...issuedTokens])
})
