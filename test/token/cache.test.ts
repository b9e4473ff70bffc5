// The cache: one request for many callers, background refresh, invalidate,
// tokens that must not be cached, shrinking lifetimes, stats and close().
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { ClosedError, TokenCache, type TokenCacheOptions } from '../../plugin/token/index.js'
import { issuedTokens, startFaultServer, tokenBody, type FaultScript } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture, type LogCapture } from '../helpers/log-capture.js'

const clientSecret = 'cache:secret+/=%&'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const logs: LogCapture[] = []

async function setup (t: Test, script: FaultScript[], options: Partial<TokenCacheOptions> = {}) {
  const server = await startFaultServer(...script)
  const log = logCapture()
  logs.push(log)
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'cache-client', clientSecret, logger: log.logger, ...options })
  t.teardown(async () => { await cache.close(); await server.close() })
  return { server, log, cache }
}

t.test('100 concurrent callers, one request; then the cached token', async (t) => {
  const { server, cache, log } = await setup(t, [{ delay: 100, body: tokenBody({ scope: 'a b' }) }])
  const tokens = await Promise.all(Array.from({ length: 100 }, () => cache.get({ scopes: ['b', 'a'] })))
  t.equal(server.requests.length, 1)
  t.ok(tokens.every((tok) => tok === tokens[0]), 'every caller got the same token')
  t.equal(await cache.get({ scopes: ['a', 'b'] }), tokens[0], 'scope order does not matter')
  t.equal(await cache.get({ scopes: ['a', 'b', 'a'] }), tokens[0], 'nor duplicates')
  t.equal(server.requests.length, 1)
  await cache.get({ scopes: ['a'] })
  t.equal(server.requests.length, 2, 'another scope set is another entry')
  await cache.get({ scopes: ['a'], resource: 'https://api.example.com' })
  t.equal(server.requests.length, 3, 'another resource is another entry')
  assertNoSecrets(t, log, [clientSecret, tokens[0]!.accessToken])
})

t.test('invalidate: the next call refetches once for all waiters', async (t) => {
  const { server, cache } = await setup(t, [() => ({ delay: 50, body: tokenBody() })])
  const first = await cache.get({ scopes: ['x'] })
  await cache.get()
  cache.invalidate({ scopes: ['x'] })
  const again = await Promise.all(Array.from({ length: 20 }, () => cache.get({ scopes: ['x'] })))
  t.equal(server.requests.length, 3)
  t.not(again[0]!.accessToken, first.accessToken)
  await cache.get()
  t.equal(server.requests.length, 3, 'the other entry was kept')
  cache.invalidate()
  await Promise.all([cache.get(), cache.get({ scopes: ['x'] })])
  t.equal(server.requests.length, 5, 'invalidate() drops every entry')
})

t.test('invalidate({ token }): late 401s for a token already replaced do not drop its successor', async (t) => {
  const { server, cache } = await setup(t, [() => ({ delay: 50, body: tokenBody() })])
  const refused = await cache.get({ scopes: ['x'] })
  const other = await cache.get()
  // 20 requests held the refused token; their upstream 401s arrive 20 ms apart, each followed by a get().
  const fresh = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    await sleep(i * 20)
    cache.invalidate({ token: refused })
    return await cache.get({ scopes: ['x'] })
  }))
  t.equal(server.requests.length, 3, 'one new token for all twenty')
  t.ok(fresh.every((tok) => tok === fresh[0] && tok.accessToken !== refused.accessToken))
  t.equal(await cache.get(), other, 'the entry of another scope set was kept')
  cache.invalidate({ token: other })
  t.not((await cache.get()).accessToken, other.accessToken, 'found without naming its scopes')
})

t.test('expires_in 0 or negative: handed to the waiting callers, never cached, a warning', async (t) => {
  for (const expiresIn of [0, -5]) {
    const { server, cache, log } = await setup(t, [() => ({ delay: 30, body: tokenBody({ expires_in: expiresIn }) })])
    const wave = await Promise.all(Array.from({ length: 10 }, () => cache.get()))
    t.equal(server.requests.length, 1, `expires_in ${expiresIn}: one request for the waiting callers`)
    t.ok(wave.every((tok) => tok === wave[0]))
    await cache.get()
    t.equal(server.requests.length, 2, 'not cached')
    t.ok(log.entries().some((l) => l.level === 40 && /not caching/.test(String(l.msg))), 'a warning')
    t.same(cache.stats().entries[0]?.expiresAt, null)
  }
})

t.test('expires_in missing: defaultLifetime', async (t) => {
  const { cache } = await setup(t, [{ body: { access_token: 'no-expiry-token', token_type: 'Bearer' } }], { defaultLifetime: 100 })
  const before = Date.now()
  const token = await cache.get()
  t.ok(Math.abs(token.expiresAt.getTime() - before - 100_000) < 1000)
  const [entry] = cache.stats().entries
  t.ok(entry!.refreshAt!.getTime() >= before + 0.75 * 90_000 && entry!.refreshAt!.getTime() <= Date.now() + 0.85 * 100_000, 'refresh at 75–85 % of the usable lifetime')
})

t.test('3 s tokens: refreshed in the background, no caller waits, none gets an expired token', async (t) => {
  const issued = new Map<string, number>()
  const { server, cache, log } = await setup(t, [() => {
    const body = tokenBody({ expires_in: 3 })
    issued.set(body.access_token as string, Math.floor(Date.now() / 1000) + 3) // the server's own exp
    return { delay: 20, body }
  }])
  await cache.get()
  const waitsAfterWarmUp = cache.stats().waits
  const seen = new Set<string>()
  let late = 0
  const end = Date.now() + 5000
  while (Date.now() < end) {
    const token = await cache.get()
    if (Date.now() >= issued.get(token.accessToken)! * 1000) late++
    seen.add(token.accessToken)
    await sleep(20)
  }
  t.equal(late, 0, 'no token handed out past the server\'s expiry')
  t.equal(cache.stats().waits, waitsAfterWarmUp, 'no caller waited after the first fetch')
  t.ok(seen.size >= 3, `refreshed in the background (${seen.size} tokens)`)
  t.ok(server.requests.length <= 1 + 5000 / 1200, `at most one request per 1.2 s (${server.requests.length})`)
  t.ok(log.entries().some((l) => l.msg === 'app token refreshed'))
  assertNoSecrets(t, log, [clientSecret, ...seen])
})

t.test('a failing background refresh: the valid token keeps being served; then the error', async (t) => {
  const { server, cache, log } = await setup(t, [{ body: tokenBody({ expires_in: 3 }) }, { status: 500, body: '<html>oops</html>' }],
    { retry: { retries: 1, minDelay: 10, maxDelay: 20 } })
  const token = await cache.get()
  const end = token.expiresAt.getTime() - 400
  let other = 0
  while (Date.now() < end) {
    if (await cache.get() !== token) other++
    await sleep(50)
  }
  t.equal(other, 0, 'every call got the still-valid token')
  t.ok(server.requests.length >= 3, 'refresh attempts were made')
  t.ok(log.entries().some((l) => l.level === 40 && l.code === 'FST_APP_TOKEN_HTTP' && /serving the current token/.test(String(l.msg))))
  const stats = cache.stats()
  t.ok(stats.failures >= 2)
  t.match(stats.lastError, { code: 'FST_APP_TOKEN_HTTP', message: /500/ })
  await sleep(Math.max(0, token.expiresAt.getTime() - Date.now()))
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP' }, 'past its use, no stale token: the error')
  assertNoSecrets(t, log, [clientSecret, token.accessToken])
})

t.test('a server that reuses its token (shrinking lifetime): a warning, no fetch storm', async (t) => {
  const expiry = new Map<string, number>()
  let current = ''
  const { server, cache, log } = await setup(t, [() => {
    if (current === '' || Date.now() >= expiry.get(current)!) {
      current = tokenBody().access_token as string
      expiry.set(current, Date.now() + 4000)
    }
    // What such a server says: the time its one token has left, rounded down.
    return { body: { access_token: current, token_type: 'Bearer', expires_in: Math.floor((expiry.get(current)! - Date.now()) / 1000) } }
  }])
  const end = Date.now() + 9000
  let late = 0
  while (Date.now() < end) {
    const token = await cache.get()
    if (Date.now() >= expiry.get(token.accessToken)!) late++
    await sleep(10)
  }
  t.equal(late, 0, 'never past the server\'s expiry')
  t.ok(server.requests.length <= 16, `bounded requests (${server.requests.length} in 9 s, calls every 10 ms)`)
  t.ok(log.entries().some((l) => /shrinks/.test(String(l.msg))), 'a warning')
})

t.test('permanent errors are remembered for a growing while', async (t) => {
  const { server, cache, log } = await setup(t, [{ status: 401, body: { error: 'invalid_client', error_description: 'client authentication failed' } }])
  for (let i = 0; i < 50; i++) await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR' })
  t.equal(server.requests.length, 1, 'not retried, not repeated')
  await sleep(1100)
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR' })
  t.equal(server.requests.length, 2, 'asked again after 1 s')
  await sleep(1100)
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR' })
  t.equal(server.requests.length, 2, 'the second memory is longer (2 s)')
  t.ok(log.entries().some((l) => l.level === 50 && l.error === 'invalid_client' && l.error_description === 'client authentication failed'))
  assertNoSecrets(t, log, [clientSecret])
})

t.test('stats and AppToken never show the secret or the token', async (t) => {
  const { cache } = await setup(t, [{ body: tokenBody({ scope: 's' }) }])
  const token = await cache.get({ scopes: ['s'] })
  const stats = cache.stats()
  t.equal(stats.fetches, 1)
  t.equal(stats.failures, 0)
  t.equal(stats.lastError, null)
  t.match(stats.entries[0], { key: /^[0-9a-f]{64}$/, scopes: ['s'], resource: null, expiresAt: Date, refreshAt: Date })
  for (const shown of [JSON.stringify(stats), JSON.stringify(token), inspect(token), inspect(stats, { depth: 5 }), String(Object.keys(token)), JSON.stringify({ ...token })]) {
    t.notOk(shown.includes(token.accessToken) || shown.includes(clientSecret), 'hidden')
  }
  t.match(JSON.parse(JSON.stringify(token)), { tokenType: 'Bearer', scopes: ['s'], fingerprint: /^[0-9a-f]{12}$/ })
  t.match(inspect(token), /AppToken .*fingerprint/s)
  t.equal(token.authorization, `Bearer ${token.accessToken}`)
})

t.test('close(): timers and requests stop, get() refuses', async (t) => {
  const { server, cache } = await setup(t, [{ body: tokenBody({ expires_in: 2 }) }, { hang: true }])
  await cache.get()
  const pending = cache.get({ scopes: ['other'] }).catch((e: unknown) => e)
  await sleep(50)
  await cache.close()
  t.match(await pending, { code: 'FST_APP_TOKEN_CLOSED' }, 'a request in flight is aborted')
  const err = await cache.get().catch((e: unknown) => e)
  t.ok(err instanceof ClosedError)
  const requests = server.requests.length
  await sleep(1600)
  t.equal(server.requests.length, requests, 'no refresh after close')
})

t.test('no secret and no token in any log', async (t) => {
  t.ok(issuedTokens.size > 10)
  for (const log of logs) assertNoSecrets(t, log, [clientSecret, ...issuedTokens])
})
