// Transient failures are retried with backoff and full jitter, within bounds;
// Retry-After is honoured; permanent errors are not retried.
import { createServer } from 'node:net'
import t, { type Test } from 'tap'
import { TokenCache, type TokenCacheOptions } from '../../plugin/token/index.js'
import { issuedTokens, startFaultServer, tokenBody, type FaultScript } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture, type LogCapture } from '../helpers/log-capture.js'

const clientSecret = 'fault:secret+/=%&'

async function setup (t: Test, script: FaultScript[], options: Partial<TokenCacheOptions> = {}) {
  const server = await startFaultServer(...script)
  const log = logCapture()
  const cache = new TokenCache({
    tokenEndpoint: server.tokenEndpoint,
    clientId: 'fault-client',
    clientSecret,
    logger: log.logger,
    retry: { retries: 3, minDelay: 20, maxDelay: 200 },
    ...options
  })
  logs.push(log)
  t.teardown(async () => {
    await cache.close()
    await server.close()
  })
  return { server, log, cache }
}
const logs: LogCapture[] = []
const good = (): FaultScript => () => ({ body: tokenBody() })

t.test('500, 502, 503 then a token: one get(), retried', async (t) => {
  const { server, cache, log } = await setup(t, [{ status: 500 }, { status: 502, body: '<html>bad gateway</html>' }, { status: 503 }, good()])
  const token = await cache.get()
  t.ok(token.accessToken)
  t.equal(server.requests.length, 4)
  t.equal(log.entries().filter((l) => l.msg === 'token request failed; retrying').length, 3)
  t.match(cache.stats(), { fetches: 4, failures: 3, lastError: { code: 'FST_APP_TOKEN_HTTP' } })
})

t.test('retries are bounded', async (t) => {
  const { server, cache } = await setup(t, [{ status: 503 }], { retry: { retries: 2, minDelay: 10, maxDelay: 50 } })
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP', status: 503, transient: true })
  t.equal(server.requests.length, 3, '1 + 2 retries')
})

t.test('after the retries are spent, get() holds off for maxDelay without a request', async (t) => {
  const { server, cache } = await setup(t, [{ status: 503 }, { status: 503 }, good()], { retry: { retries: 1, minDelay: 10, maxDelay: 300 } })
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP' })
  for (let i = 0; i < 20; i++) await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP' })
  t.equal(server.requests.length, 2, 'no request while holding off')
  await new Promise((resolve) => setTimeout(resolve, 320))
  t.ok(await cache.get(), 'then it asks again')
  t.equal(server.requests.length, 3)
})

t.test('backoff: exponential with full jitter, capped at maxDelay', async (t) => {
  const { server, cache } = await setup(t, [{ status: 500 }], { retry: { retries: 4, minDelay: 100, maxDelay: 150 } })
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP' })
  const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at)
  t.equal(gaps.length, 4)
  // The cap plus generous room for a loaded machine; backoffDelay itself is checked exactly in expiry.test.ts.
  t.ok(gaps.every((gap) => gap < 150 + 1000), `every gap within the cap (${gaps.join(', ')} ms)`)
})

t.test('429 with Retry-After in seconds is honoured', async (t) => {
  const { server, cache } = await setup(t, [{ status: 429, headers: { 'retry-after': '1' } }, good()], { retry: { retries: 2, minDelay: 10, maxDelay: 2000 } })
  await cache.get()
  t.equal(server.requests.length, 2)
  t.ok(server.requests[1]!.at - server.requests[0]!.at >= 990, 'waited the second the server asked for')
})

t.test('429 with a JSON error body and Retry-After: retried after it, like any 429', async (t) => {
  const { server, cache } = await setup(t, [{ status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate_limit_exceeded' } }, good()], { retry: { retries: 2, minDelay: 10, maxDelay: 2000 } })
  t.ok(await cache.get(), 'the token, after the wait')
  t.equal(server.requests.length, 2)
  t.ok(server.requests[1]!.at - server.requests[0]!.at >= 990, 'waited the second the server asked for')
})

t.test('Retry-After longer than maxDelay: fail now with retryAfter, no request before it', async (t) => {
  const when = new Date(Date.now() + 60_000).toUTCString()
  const { server, cache } = await setup(t, [{ status: 503, headers: { 'retry-after': when } }, good()])
  const err = await cache.get().catch((e: unknown) => e) as { retryAfter: number }
  t.match(err, { code: 'FST_APP_TOKEN_HTTP', transient: true })
  t.ok(err.retryAfter >= 58)
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_HTTP' })
  t.equal(server.requests.length, 1, 'the endpoint is left alone until Retry-After')
})

t.test('a hang past the timeout → FST_APP_TOKEN_TIMEOUT, retried', async (t) => {
  const { server, cache } = await setup(t, [{ hang: true }, good()], { timeout: 300 })
  const started = Date.now()
  await cache.get()
  t.equal(server.requests.length, 2)
  t.ok(Date.now() - started < 5000, 'bounded by timeout, not the default 10 s')
  const only = await setup(t, [{ hang: true }], { timeout: 200, retry: { retries: 0 } })
  const began = Date.now()
  await t.rejects(only.cache.get(), { code: 'FST_APP_TOKEN_TIMEOUT', transient: true })
  t.ok(Date.now() - began < 5000, 'bounded by timeout')
})

t.test('a body that stalls past the timeout', async (t) => {
  const { cache } = await setup(t, [() => ({ headers: { 'content-type': 'application/json', 'content-length': '100' }, body: '{"access_token":' })], { timeout: 300, retry: { retries: 0 } })
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_TIMEOUT' })
})

t.test('a reset socket → FST_APP_TOKEN_NETWORK, retried', async (t) => {
  const { server, cache } = await setup(t, [{ reset: true }, { reset: true }, good()])
  await cache.get()
  t.equal(server.requests.length, 3)
  const only = await setup(t, [{ reset: true }], { retry: { retries: 1, minDelay: 5, maxDelay: 10 } })
  await t.rejects(only.cache.get(), { code: 'FST_APP_TOKEN_NETWORK', transient: true })
})

t.test('connection refused → FST_APP_TOKEN_NETWORK', async (t) => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise((resolve) => probe.close(resolve))
  const cache = new TokenCache({ tokenEndpoint: `http://127.0.0.1:${port}/token`, clientId: 'c', clientSecret, retry: { retries: 1, minDelay: 5, maxDelay: 10 } })
  t.teardown(() => cache.close())
  await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_NETWORK', transient: true, message: /ECONNREFUSED/ })
  t.equal(cache.stats().fetches, 2)
})

t.test('permanent OAuth errors are not retried', async (t) => {
  for (const error of ['invalid_client', 'invalid_scope', 'unauthorized_client', 'unsupported_grant_type', 'invalid_request', 'invalid_grant']) {
    const { server, cache } = await setup(t, [{ status: 400, body: { error } }])
    await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR', error, transient: false })
    t.equal(server.requests.length, 1, `${error}: one request`)
  }
})

t.test('a redirect and an oversized body are not retried', async (t) => {
  const redirect = await setup(t, [{ redirect: 'https://elsewhere.example.com/token' }])
  await t.rejects(redirect.cache.get(), { code: 'FST_APP_TOKEN_REDIRECT' })
  t.equal(redirect.server.requests.length, 1)
  const huge = await setup(t, [{ hugeBody: 10 * 1024 * 1024 }])
  await t.rejects(huge.cache.get(), { code: 'FST_APP_TOKEN_RESPONSE_TOO_LARGE' })
  t.equal(huge.server.requests.length, 1)
})

t.test('no secret and no token in any log', async (t) => {
  t.ok(logs.some((log) => log.lines.length > 0))
  for (const log of logs) assertNoSecrets(t, log, [clientSecret, ...issuedTokens])
})
