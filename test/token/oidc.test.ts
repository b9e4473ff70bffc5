// Against a real authorization server (oidc-provider): both client auth
// methods with awkward credentials, opaque and JWT tokens, narrowed scopes,
// refused scopes and a wrong secret.
import t from 'tap'
import { request } from 'undici'
import { startOidcServer } from '../helpers/oidc-server.js'
import { fetchToken, OAuthError, ScopeNarrowedError, TokenCache } from '../../plugin/token/index.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'

const basicId = 'app:basic +/=%&'
const basicSecret = 'se:cret +/=%& with spaces'
const postId = 'app:post +/=%&'
const postSecret = 'p:ost +/=%&secret'

t.test('opaque tokens', async (t) => {
  const server = await startOidcServer({
    clients: [
      { clientId: basicId, clientSecret: basicSecret, authMethod: 'client_secret_basic', scopes: ['read:interaction', 'read:analytics'] },
      { clientId: postId, clientSecret: postSecret, authMethod: 'client_secret_post', scopes: ['read:interaction'] }
    ],
    extraScopes: ['write:admin']
  })
  t.teardown(() => server.close())
  const log = logCapture()
  const tokens: string[] = []

  t.test('client_secret_basic with form-encoded id and secret', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: basicSecret, logger: log.logger })
    t.teardown(() => cache.close())
    const token = await cache.get({ scopes: ['read:interaction', 'read:analytics'] })
    tokens.push(token.accessToken)
    t.same([...token.scopes].sort(), ['read:analytics', 'read:interaction'])
    t.equal(token.tokenType, 'Bearer')
    t.equal(token.authorization, `Bearer ${token.accessToken}`)
    t.ok(token.expiresAt.getTime() > Date.now() + 590_000)
    t.equal(server.tokenRequests.at(-1)?.contentType, 'application/x-www-form-urlencoded')
    t.equal(server.tokenRequests.at(-1)?.authorization, true)
  })

  t.test('client_secret_post', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: postId, clientSecret: async () => postSecret, authMethod: 'client_secret_post', logger: log.logger })
    t.teardown(() => cache.close())
    const token = await cache.get({ scopes: ['read:interaction'] })
    tokens.push(token.accessToken)
    t.same(token.scopes, ['read:interaction'])
    t.equal(server.tokenRequests.at(-1)?.authorization, false)
  })

  t.test('a scope the client may not have → typed invalid_scope with the scopes sent and the policy text', async (t) => {
    const cache = new TokenCache({
      tokenEndpoint: server.tokenEndpoint,
      clientId: postId,
      clientSecret: postSecret,
      authMethod: 'client_secret_post',
      logger: log.logger,
      scopeHint: (scopes) => `policy allows read:interaction only (policies/app.yaml:9), asked ${scopes.join(' ')}`
    })
    t.teardown(() => cache.close())
    const err = await cache.get({ scopes: ['read:interaction', 'write:admin'] }).catch((e: unknown) => e)
    t.ok(err instanceof OAuthError)
    t.match(err, {
      code: 'FST_APP_TOKEN_OAUTH_ERROR',
      status: 400,
      error: 'invalid_scope',
      error_description: 'requested scope is not allowed',
      transient: false
    })
    t.match((err as OAuthError).hint, /Sent scope "read:interaction write:admin"/)
    t.match((err as OAuthError).hint, /policies\/app\.yaml:9/)
    const requests = server.tokenRequests.length
    await t.rejects(cache.get({ scopes: ['read:interaction', 'write:admin'] }), { code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'invalid_scope' })
    t.equal(server.tokenRequests.length, requests, 'a permanent error is remembered: no second request')
  })

  t.test('wrong secret → invalid_client, onInvalidClient called', async (t) => {
    let called = 0
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: 'wrong', logger: log.logger, onInvalidClient: () => { called++ } })
    t.teardown(() => cache.close())
    const err = await cache.get().catch((e: unknown) => e)
    t.match(err, { code: 'FST_APP_TOKEN_OAUTH_ERROR', status: 401, error: 'invalid_client', transient: false })
    t.match((err as OAuthError).hint, /client_secret_post/)
    t.equal(called, 1)
  })

  t.test('a rotated secret: invalid_client, onInvalidClient re-reads it, the next attempt succeeds', async (t) => {
    let current = 'old:secret'
    const cache = new TokenCache({
      tokenEndpoint: server.tokenEndpoint,
      clientId: basicId,
      clientSecret: () => current,
      logger: log.logger,
      onInvalidClient: () => { current = basicSecret }
    })
    t.teardown(() => cache.close())
    await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'invalid_client' })
    await t.rejects(cache.get(), { code: 'FST_APP_TOKEN_OAUTH_ERROR' }, 'remembered for a second')
    await new Promise((resolve) => setTimeout(resolve, 1050))
    const token = await cache.get()
    tokens.push(token.accessToken)
    t.ok(token.accessToken)
  })

  t.test('fetchToken alone makes exactly one request', async (t) => {
    const before = server.tokenRequests.length
    const result = await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: basicSecret, scopes: ['read:analytics'] })
    tokens.push(result.token.accessToken)
    t.equal(server.tokenRequests.length, before + 1)
    t.equal(result.expiresIn, 600)
    t.equal(result.grantedFrom, 'response')
  })

  t.test('a JSON body sent by hand is what the form encoding avoids', async (t) => {
    const res = await request(server.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(basicId)}:${encodeURIComponent(basicSecret)}`).toString('base64') },
      body: JSON.stringify({ grant_type: 'client_credentials' })
    })
    const body = await res.body.json() as Record<string, unknown>
    t.equal(res.statusCode, 400)
    t.equal(body.error, 'invalid_request')
  })

  t.test('logs', async (t) => {
    t.ok(log.lines.length > 0)
    assertNoSecrets(t, log, [basicSecret, postSecret, 'old:secret', ...tokens])
  })
})

t.test('JWT access tokens (RFC 9068)', async (t) => {
  const resource = 'https://api.example.com'
  const server = await startOidcServer({
    clients: [{ clientId: basicId, clientSecret: basicSecret, scopes: ['read:interaction', 'read:analytics'] }],
    jwt: { resource, scopes: ['read:interaction'] },
    ttl: 120
  })
  t.teardown(() => server.close())
  const log = logCapture()
  const jwts: string[] = []

  t.test('a JWT: scopes and exp from the claims', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: basicSecret, logger: log.logger })
    t.teardown(() => cache.close())
    const token = await cache.get({ scopes: ['read:interaction'], resource })
    t.equal(token.accessToken.split('.').length, 3)
    const claims = JSON.parse(Buffer.from(token.accessToken.split('.')[1]!, 'base64url').toString()) as { exp: number }
    const expiresAt = token.expiresAt.getTime()
    t.ok(expiresAt <= claims.exp * 1000 && expiresAt > claims.exp * 1000 - 1500, 'the earlier of exp and send time + expires_in − 1 s')
    t.same(token.scopes, ['read:interaction'])
    jwts.push(token.accessToken)
  })

  t.test('a scope the server drops silently → ScopeNarrowedError', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: basicSecret, logger: log.logger })
    t.teardown(() => cache.close())
    const err = await cache.get({ scopes: ['read:interaction', 'read:analytics'], resource }).catch((e: unknown) => e)
    t.ok(err instanceof ScopeNarrowedError)
    t.match(err, { code: 'FST_APP_TOKEN_SCOPE_NARROWED', requested: ['read:analytics', 'read:interaction'], granted: ['read:interaction'] })
  })

  t.test('onScopeNarrowed: warn → the narrowed token and a warning', async (t) => {
    const warnLog = logCapture()
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: basicId, clientSecret: basicSecret, logger: warnLog.logger, onScopeNarrowed: 'warn' })
    t.teardown(() => cache.close())
    const token = await cache.get({ scopes: ['read:interaction', 'read:analytics'], resource })
    t.same(token.scopes, ['read:interaction'])
    const warning = warnLog.entries().find((l) => l.level === 40)
    t.match(warning, { missing: ['read:analytics'] })
    assertNoSecrets(t, warnLog, [basicSecret, token.accessToken])
  })

  t.test('logs', async (t) => {
    t.ok(log.lines.length > 0)
    assertNoSecrets(t, log, [basicSecret, ...jwts])
  })
})
