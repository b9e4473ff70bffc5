// Reading the answer (RFC 6749 §5.1, §5.2): every way a token endpoint can
// answer becomes either a token or a typed error a person can act on.
import t, { type Test } from 'tap'
import { fetchToken, type FetchTokenOptions } from '../../plugin/token/index.js'
import { startFaultServer, tokenBody, type FaultReply } from '../helpers/fault-server.js'

const secret = 'resp:secret+/='

async function answer (t: Test, reply: FaultReply, extra: Partial<FetchTokenOptions> = {}) {
  const server = await startFaultServer(reply)
  t.teardown(() => server.close())
  return fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: 'c', clientSecret: secret, timeout: 2000, ...extra })
}

t.test('§5.1 success bodies', async (t) => {
  const lower = await answer(t, { body: { access_token: 'abc', token_type: 'bearer', expires_in: 60 } })
  t.equal(lower.token.tokenType, 'Bearer', 'token_type is case-insensitive; normalised')
  t.equal(lower.token.authorization, 'Bearer abc')

  const dpop = await answer(t, { body: { access_token: 'abc', token_type: 'DPoP', expires_in: 60 } })
  t.equal(dpop.token.authorization, 'DPoP abc', 'authorization is built from the token type')

  const stringy = await answer(t, { body: { access_token: 'abc', token_type: 'Bearer', expires_in: '3600' } })
  t.equal(stringy.expiresIn, 3600, 'expires_in as a numeric string')
  t.ok(Math.abs(stringy.token.expiresAt.getTime() - (stringy.sentAt + 3599_000)) < 5)

  const missing = await answer(t, { body: { access_token: 'abc', token_type: 'Bearer' } }, { defaultLifetime: 120 })
  t.equal(missing.lifetimeSource, 'default')
  t.equal(missing.token.expiresAt.getTime(), missing.sentAt + 120_000)

  const scoped = await answer(t, { body: { access_token: 'abc', token_type: 'Bearer', scope: 'a b extra' } }, { scopes: ['a', 'b'] })
  t.same(scoped.token.scopes, ['a', 'b', 'extra'], 'granted scopes from the response scope')

  const unscoped = await answer(t, { body: { access_token: 'abc', token_type: 'Bearer' } }, { scopes: ['b', 'a'] })
  t.same(unscoped.token.scopes, ['a', 'b'], 'no scope in the answer: the requested set')
  t.equal(unscoped.grantedFrom, 'requested')
})

t.test('JWT claims: scope and exp (RFC 9068)', async (t) => {
  const exp = Math.floor(Date.now() / 1000) + 90
  const jwt = [{ alg: 'none' }, { scope: 'a', exp }, {}].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.')
  const narrowed = await answer(t, { body: { access_token: jwt, token_type: 'Bearer', expires_in: 3600 } }, { scopes: ['a', 'b'], onScopeNarrowed: 'warn' })
  t.same(narrowed.token.scopes, ['a'])
  t.same(narrowed.missingScopes, ['b'])
  t.equal(narrowed.grantedFrom, 'jwt')
  t.equal(narrowed.token.expiresAt.getTime(), exp * 1000, 'exp wins over expires_in')
  await t.rejects(answer(t, { body: { access_token: jwt, token_type: 'Bearer' } }, { scopes: ['a', 'b'] }),
    { code: 'FST_APP_TOKEN_SCOPE_NARROWED', requested: ['a', 'b'], granted: ['a'] })
})

t.test('§5.2 error bodies', async (t) => {
  await t.rejects(answer(t, { status: 400, body: { error: 'invalid_scope', error_description: 'Scope "X" unknown' } }, { scopes: ['X'] }), {
    code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 400, error: 'invalid_scope', error_description: 'Scope "X" unknown', transient: false, hint: /Sent scope "X"/
  })
  await t.rejects(answer(t, { status: 200, body: { error: 'invalid_client', error_description: 'nope' } }), {
    code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 200, error: 'invalid_client'
  }, 'an error body with status 200 is still an error')
  await t.rejects(answer(t, { status: 400, body: { error: 'scope_invalid' } }), {
    error: 'invalid_scope', serverError: 'scope_invalid', message: /scope_invalid \(read as invalid_scope\)/
  }, 'a non-standard code with a standard meaning is read as the standard one')
  await t.rejects(answer(t, { status: 400, body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' } }), {
    code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'invalid_request', hint: /application\/x-www-form-urlencoded/
  })
  await t.rejects(answer(t, { status: 400, body: { error: 'unauthorized_client' } }), { code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'unauthorized_client', hint: /client_credentials/ })
  await t.rejects(answer(t, { status: 503, body: { error: 'temporarily_unavailable' } }), { code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'temporarily_unavailable', transient: true })
  await t.rejects(answer(t, { status: 429, headers: { 'retry-after': '3' }, body: { error: 'rate_limit_exceeded', error_description: 'slow down' } }),
    { code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 429, error: 'rate_limit_exceeded', transient: true, retryAfter: 3 }, 'a 429 with a JSON error body is transient too')
  await t.rejects(answer(t, { status: 401 }), { code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 401, error: 'invalid_client', hint: /client_secret_post/ },
    '401 with an empty body reads as invalid_client')
  await t.rejects(answer(t, { status: 403 }), { code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 403, error: 'invalid_client' })
})

t.test('bodies that are not §5.1 or §5.2', async (t) => {
  const html = '<!doctype html><html><body><h1>Login</h1></body></html>'
  await t.rejects(answer(t, { status: 200, headers: { 'content-type': 'text/html' }, body: html }), {
    code: 'FST_APP_TOKEN_BAD_RESPONSE', status: 200, transient: false, message: /text\/html/
  })
  await t.rejects(answer(t, { status: 404, headers: { 'content-type': 'text/html' }, body: html }), { code: 'FST_APP_TOKEN_BAD_RESPONSE', status: 404 })
  await t.rejects(answer(t, { status: 200 }), { code: 'FST_APP_TOKEN_BAD_RESPONSE', message: /empty body/ })
  await t.rejects(answer(t, { body: { token_type: 'Bearer', expires_in: 3600 } }), { code: 'FST_APP_TOKEN_BAD_RESPONSE', message: /no access_token/ })
  await t.rejects(answer(t, { body: { access_token: '', token_type: 'Bearer' } }), { code: 'FST_APP_TOKEN_BAD_RESPONSE' })
  await t.rejects(answer(t, { body: { access_token: 'x', token_type: 'Bearer', expires_in: 'soon' } }), { code: 'FST_APP_TOKEN_BAD_RESPONSE', message: /expires_in/ })
  await t.rejects(answer(t, { body: ['not', 'an', 'object'] }), { code: 'FST_APP_TOKEN_BAD_RESPONSE' })
  await t.rejects(answer(t, { status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }), {
    code: 'FST_APP_TOKEN_HTTP', status: 502, transient: true
  })
  await t.rejects(answer(t, { status: 429, headers: { 'retry-after': '7' } }), { code: 'FST_APP_TOKEN_HTTP', status: 429, transient: true, retryAfter: 7 })
  const date = new Date(Date.now() + 30_000).toUTCString()
  const err = await answer(t, { status: 503, headers: { 'retry-after': date } }).catch((e: unknown) => e) as { retryAfter: number }
  t.ok(err.retryAfter >= 28 && err.retryAfter <= 31, 'Retry-After as an HTTP-date')
})

t.test('a redirect is never followed', async (t) => {
  const server = await startFaultServer({ redirect: '/elsewhere?x=1' }, { body: tokenBody() })
  t.teardown(() => server.close())
  await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: 'c', clientSecret: secret }), {
    code: 'FST_APP_TOKEN_REDIRECT', status: 302, message: /\/elsewhere/
  })
  t.equal(server.requests.length, 1, 'one request: the redirect target was not asked')
})

t.test('a 10 MiB body is cut off at maxResponseBytes', async (t) => {
  await t.rejects(answer(t, { hugeBody: 10 * 1024 * 1024 }), { code: 'FST_APP_TOKEN_RESPONSE_TOO_LARGE', status: 200 })
  await t.rejects(answer(t, { hugeBody: 2000 }, { maxResponseBytes: 1000 }), { code: 'FST_APP_TOKEN_RESPONSE_TOO_LARGE' })
  await t.rejects(answer(t, { headers: { 'content-length': String(5 * 1024 * 1024) }, hugeBody: 5 * 1024 * 1024 }), { code: 'FST_APP_TOKEN_RESPONSE_TOO_LARGE' },
    'a declared Content-Length over the limit is refused before reading')
})

t.test('errors never carry the secret', async (t) => {
  const err = await answer(t, { status: 401, body: { error: 'invalid_client' } }, { authMethod: 'client_secret_post' }).catch((e: unknown) => e)
  const text = JSON.stringify(err) + String(err) + (err as Error).stack
  t.notOk(text.includes(secret) || text.includes(encodeURIComponent(secret)))
})

t.test('the server\'s error code is read as a plain string, never as a property of an object', async (t) => {
  for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const err = await answer(t, { status: 400, body: `{"error":${JSON.stringify(code)}}` }).catch((e: unknown) => e) as Record<string, unknown>
    t.equal(typeof err.error, 'string', `${code}: error is a string`)
    t.equal(err.error, code.toLowerCase(), `${code}: an unknown code, as sent`)
    t.equal(err.transient, false, `${code}: a 400 is not retried`)
    t.notMatch(String(err.message), /function|\[object/, `${code}: the message names the code, not an object`)
  }
})
