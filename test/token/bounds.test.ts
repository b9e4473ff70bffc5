// The bounds a hostile or broken token endpoint cannot push the cache past
// (docs/token-core.md): an unverified exp never extends a lifetime, no lifetime
// exceeds maxLifetime, a hanging secret or endpoint holds no caller past its bounds.
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { TimeoutError, TokenCache, type TokenCacheOptions } from '../../plugin/token/index.js'
import { startFaultServer, tokenBody, type FaultScript } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { memoryStore } from '../../plugin/store/memory.js'
import { credentialKeys, storeKeyName } from '../../plugin/token/store-key.js'

const clientSecret = 'bounds:secret+/=%&'

/** An unsigned JWT access token with these claims (the client never verifies it). */
function jwt (claims: Record<string, unknown>): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'at+jwt' })}.${part(claims)}.sig`
}

async function setup (t: Test, script: FaultScript[], options: Partial<TokenCacheOptions> = {}) {
  const server = await startFaultServer(...script)
  const log = logCapture()
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'bounds-client', clientSecret, logger: log.logger, ...options })
  logs.push(log)
  t.teardown(async () => {
    await cache.close()
    await server.close()
  })
  return { server, log, cache }
}

const logs: Array<ReturnType<typeof logCapture>> = []
const warnings = (log: ReturnType<typeof logCapture>, pattern: RegExp): number =>
  log.entries().filter((l) => l.level === 40 && pattern.test(String(l.msg))).length

t.test('a JWT exp a day later than a 2 s expires_in: the token lasts 2 s', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const { cache, server } = await setup(t, [() => ({ body: { access_token: jwt({ exp: now + 86_400 }), token_type: 'Bearer', expires_in: 2 } })])
  const before = Date.now()
  const token = await cache.get()
  t.ok(token.expiresAt.getTime() <= before + 2000, `expiresAt ${token.expiresAt.toISOString()} is within the 2 s`)
  t.ok(cache.stats().entries[0]!.usableUntil!.getTime() <= before + 2000)
  await new Promise((resolve) => setTimeout(resolve, 2100))
  await cache.get()
  t.equal(server.requests.length, 2, 'fetched again after 2 s')
})

t.test('a JWT exp in milliseconds or in the past is ignored, with one warning', async (t) => {
  const { cache, log } = await setup(t, [
    () => ({ body: { access_token: jwt({ exp: Date.now() + 600_000 }), token_type: 'Bearer', expires_in: 60 } }),
    () => ({ body: { access_token: jwt({ exp: Math.floor(Date.now() / 1000) - 60 }), token_type: 'Bearer', expires_in: 60 } })
  ])
  const before = Date.now()
  const token = await cache.get()
  t.ok(token.expiresAt.getTime() <= before + 60_000 && token.expiresAt.getFullYear() < 3000, 'expires_in counts, not the year 58878')
  t.equal(warnings(log, /exp is beyond maxLifetime/), 1)
  cache.invalidate()
  const next = await cache.get()
  t.ok(next.expiresAt.getTime() > Date.now() + 50_000, 'an exp in the past does not expire a 60 s token')
  t.equal(warnings(log, /exp is not after the send time/), 1)
})

t.test('expires_in 1e306: clamped to maxLifetime, with a refresh timer and one warning', async (t) => {
  const { cache, log } = await setup(t, [() => ({ body: tokenBody({ expires_in: 1e306 }) })])
  const before = Date.now()
  await cache.get()
  cache.invalidate()
  await cache.get()
  const [entry] = cache.stats().entries
  t.ok(entry!.usableUntil!.getTime() <= before + 86_400_000 + 1000, 'usable for a day at most')
  t.not(entry!.refreshAt, null, 'a refresh is scheduled')
  t.ok(entry!.refreshAt!.getTime() < entry!.usableUntil!.getTime())
  t.equal(warnings(log, /longer than maxLifetime/), 1, 'one warning for two fetches')
})

t.test('expires_in 1e13: the token still serialises and inspects', async (t) => {
  const { cache } = await setup(t, [() => ({ body: tokenBody({ expires_in: 1e13 }) })], { maxLifetime: 3600 })
  const token = await cache.get()
  t.doesNotThrow(() => JSON.stringify(token))
  t.doesNotThrow(() => inspect(token))
  t.ok(token.expiresAt.getTime() <= Date.now() + 3_600_000, 'maxLifetime 3600 s')
})

t.test('maxLifetime must fit a refresh timer (setTimeout takes at most 2^31−1 ms)', async (t) => {
  const make = (maxLifetime: number) => () => new TokenCache({ tokenEndpoint: 'https://example.com/token', clientId: 'c', clientSecret: 's', maxLifetime })
  t.throws(make(3_000_000), { code: 'FST_APP_TOKEN_INVALID_OPTION', message: /maxLifetime must be a positive number ≤ 2147483/ })
  t.throws(make(0), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
  t.doesNotThrow(make(2_147_483))
})

t.test('no secret in any log', async (t) => {
  for (const log of logs) assertNoSecrets(t, log, [clientSecret])
})

t.test('timeout covers the clientSecret function: one that never settles fails the attempt as a transient timeout', async (t) => {
  let calls = 0
  const secretFn = (): Promise<string> => ++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve(clientSecret)
  const { cache, server } = await setup(t, [() => ({ body: tokenBody() })],
    { clientSecret: secretFn, timeout: 150, retry: { retries: 1, minDelay: 10, maxDelay: 20 } })
  const started = Date.now()
  const token = await cache.get()
  t.ok(token.accessToken, 'the retry gets the secret and the token')
  t.equal(calls, 2)
  t.equal(server.requests.length, 1, 'nothing was sent by the attempt without a secret')
  t.match(cache.stats().lastError, { code: 'FST_APP_TOKEN_TIMEOUT', message: /clientSecret function did not settle within 150 ms/ })
  t.ok(Date.now() - started < 1000)

  const { cache: stuck } = await setup(t, [() => ({ body: tokenBody() })],
    { clientSecret: () => new Promise<string>(() => {}), timeout: 100, retry: { retries: 1, minDelay: 10, maxDelay: 20 } })
  await t.rejects(stuck.get(), { code: 'FST_APP_TOKEN_TIMEOUT', transient: true })
})

t.test('maxWait bounds one caller\'s wait; the request goes on for later callers', async (t) => {
  const { cache, server } = await setup(t, [{ hang: true }, () => ({ body: tokenBody() })],
    { timeout: 400, maxWait: 250, retry: { retries: 2, minDelay: 10, maxDelay: 20 } })
  const started = Date.now()
  const err = await cache.get().catch((e: unknown) => e)
  const waited = Date.now() - started
  t.match(err, { code: 'FST_APP_TOKEN_TIMEOUT', transient: true, message: /maxWait \(250 ms\)/ })
  t.ok(err instanceof TimeoutError, 'a TimeoutError')
  t.ok(waited >= 240 && waited < 400, `the caller waited ${waited} ms, not the attempt's 400 ms`)
  t.equal(server.requests.length, 1, 'the hanging request was not abandoned for a new one')
  const token = await cache.get()
  t.ok(token.accessToken, 'a later caller gets the token of the retry')
  t.equal(server.requests.length, 2)
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'c', clientSecret: 's', maxWait: -1 }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
})

t.test('server words: capped at 1,000 characters and scrubbed of every form of the secret, both auth methods', async (t) => {
  const secret = 'ec"ho\\ se:cr+et/=%&ü'
  const clientId = 'echo id+/'
  const forms = [
    secret,
    new URLSearchParams([['', secret]]).toString().slice(1),
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    Buffer.from(`${new URLSearchParams([['', clientId]]).toString().slice(1)}:${new URLSearchParams([['', secret]]).toString().slice(1)}`).toString('base64')
  ]
  // A server that echoes the request (headers, raw body, parsed form) in its error words.
  const echo = (request: { headers: unknown; body: string; form: URLSearchParams }): string =>
    JSON.stringify({ headers: request.headers, body: request.body, lower: request.body.toLowerCase(), form: Object.fromEntries(request.form) })
  for (const authMethod of ['client_secret_post', 'client_secret_basic'] as const) {
    const { cache, log } = await setup(t, [
      (request) => ({ status: 400, body: { error: 'invalid_scope', error_description: echo(request) + 'x'.repeat(5000), scope: echo(request) } }),
      (request) => ({ status: 400, body: { error: echo(request) } })
    ], { clientId, clientSecret: secret, authMethod })
    for (let round = 0; round < 2; round++) {
      const err = await cache.get({ scopes: ['read:x'] }).catch((e: unknown) => e) as Record<string, string>
      t.ok(String(err.error_description ?? err.error).includes('[redacted]'), `${authMethod}: the echo was scrubbed`)
      if (round === 0) {
        t.ok(err.error_description!.length <= 1000, `${authMethod}: error_description capped (${err.error_description!.length})`)
        t.match(err.hint, /The server named/, 'the scope the server named is kept, scrubbed')
      }
      const kept = [err.message, err.error, err.serverError, err.error_description, err.hint, JSON.stringify(err), String((err as unknown as Error).stack), log.text()].join('\n')
      t.same(forms.filter((form) => kept.includes(form)).map((form) => form.slice(0, 3) + '…'), [], `${authMethod}: no form of the secret kept`)
      await new Promise((resolve) => setTimeout(resolve, 1100)) // past the permanent-failure memory
    }
  }
})

t.test('maxEntries: the least recently fetched entry goes, a hit reorders nothing, one warning', async (t) => {
  const { cache, server, log } = await setup(t, [() => ({ body: tokenBody() })], { maxEntries: 2 })
  const scopesOf = (): string[][] => cache.stats().entries.map((e) => e.scopes)
  await cache.get({ scopes: ['a'] })
  await cache.get({ scopes: ['b'] })
  await cache.get({ scopes: ['a'] }) // a hit: a stays the oldest
  await cache.get({ scopes: ['c'] })
  t.same(scopesOf(), [['b'], ['c']], 'a went first although it was used last')
  cache.invalidate({ scopes: ['b'] })
  await cache.get({ scopes: ['b'] }) // refetched: b is now the newest
  await cache.get({ scopes: ['d'] })
  t.same(scopesOf(), [['b'], ['d']], 'a refetched entry counts as new')
  for (const scope of ['e', 'f', 'g']) await cache.get({ scopes: [scope] })
  t.equal(cache.stats().entries.length, 2, 'never more than maxEntries')
  const requests = server.requests.length
  await cache.get({ scopes: ['a'] })
  t.equal(server.requests.length, requests + 1, 'an evicted token is fetched again')
  t.equal(warnings(log, /token cache is full/), 1, 'one warning, however many evictions')
  t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'c', clientSecret: 's', maxEntries: 1.5 }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
})

t.test('maxEntries: an evicted entry\'s refresh timer is cleared', async (t) => {
  const { cache, server } = await setup(t, [() => ({ body: tokenBody({ expires_in: 2 }) })], { maxEntries: 1 })
  await cache.get({ scopes: ['a'] })
  await cache.get({ scopes: ['a'] }) // used: worth a refresh
  t.not(cache.stats().entries[0]!.refreshAt, null, 'a refresh was scheduled')
  await cache.get({ scopes: ['b'] }) // evicts a
  await new Promise((resolve) => setTimeout(resolve, 1800))
  t.same(server.requests.map((r) => r.form.get('scope')), ['a', 'b'], 'no refresh of the evicted entry (and b, unused, is left to expire)')
})

t.test('a stored token whose times are no valid dates is a miss, not an adopted token that cannot serialise', async (t) => {
  const store = memoryStore()
  const { cache, server } = await setup(t, [() => ({ body: tokenBody() })], { store })
  await cache.get()
  const [entry] = cache.stats().entries
  // The store's key name: the entry's key and the fingerprint of the secret setup() uses.
  const name = storeKeyName(entry!.key, (await credentialKeys(clientSecret)).fingerprint)
  const stored = (await store.get(name))!
  await store.set(name, { ...stored, accessToken: 'planted', expiresAt: 1e20 }, 60_000)
  const { cache: other } = await setup(t, [], { store, tokenEndpoint: server.tokenEndpoint })
  const token = await other.get()
  t.not(token.accessToken, 'planted', 'not adopted')
  t.doesNotThrow(() => JSON.stringify(token))
  t.equal(server.requests.length, 2, 'fetched instead')
})
