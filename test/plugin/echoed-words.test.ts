// Scopes and roles the server says it granted are the server's words: the plugin's narrowed
// warning, its ScopeNarrowedError and the token's scopes and roles hold them only scrubbed of
// every form of the secret and of the access token (docs/plugin.md). The fault server plays an
// echoing token endpoint, as oidc-provider grants only what it is asked.
import t from 'tap'
import Fastify from 'fastify'
import appToken from '../../plugin/index.js'
import { ScopeNarrowedError } from '../../plugin/token/index.js'
import { issuedTokens, startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { secretForms } from '../verify/fixtures.js'
import { CLIENT_ID, SECRET } from './fixtures/helpers.js'

/** An unsigned JWT access token (RFC 9068 shape; the client reads it without verifying). */
function jwt (claims: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const token = `${part({ alg: 'none', typ: 'at+jwt' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.`
  issuedTokens.add(token)
  return token
}

/** A body whose `scope` echoes the secret (raw and as the Basic credential) and the access token. */
function echoing (): Record<string, unknown> {
  const body = tokenBody()
  const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${SECRET}`).toString('base64')
  return { ...body, scope: `read:interaction ${SECRET} x${basic}x ${String(body.access_token)}` }
}

t.test('the narrowed warning: granted scopes scrubbed of the secret and the access token', async (t) => {
  const server = await startFaultServer(() => ({ body: echoing() }))
  t.teardown(() => server.close())
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'debug', stream: logs.stream } })
  t.teardown(() => app.close())
  await app.register(appToken, {
    clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, scopes: ['read:interaction', 'read:analytics'], onScopeNarrowed: 'warn'
  })
  await app.ready()
  const token = await app.appToken.get()
  const warning = logs.entries().find((e) => e.level === 40 && /fewer scopes/.test(String(e.msg)))
  t.match(warning, { missing: ['read:analytics'], granted: ['read:interaction', '[redacted]', 'x[redacted]x', '[redacted]'] }, 'the warning names what was granted, scrubbed')
  t.same(token.scopes, ['read:interaction', '[redacted]', 'x[redacted]x', '[redacted]'], 'the token\'s scopes too')
  assertNoSecrets(t, logs, [SECRET, token.accessToken])
  const text = logs.text()
  t.same(secretForms(CLIENT_ID, SECRET).filter((f) => text.includes(f)), [], 'no form of the secret')
})

t.test('ScopeNarrowedError and JWT roles: scrubbed the same way', async (t) => {
  const access = jwt({ scope: `read:interaction ${SECRET}`, roles: ['Orders.Read.All', `${SECRET}`] })
  const server = await startFaultServer({ body: { access_token: access, token_type: 'Bearer', expires_in: 3600 } })
  t.teardown(() => server.close())
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, scopes: ['read:interaction', 'read:analytics'] })
  await app.ready()
  const err = await app.appToken.get().catch((e: unknown) => e) as ScopeNarrowedError
  t.ok(err instanceof ScopeNarrowedError)
  t.same(err.granted, ['read:interaction', '[redacted]'])
  t.notOk(JSON.stringify({ ...err, message: err.message }).includes(SECRET))

  const wide = Fastify()
  t.teardown(() => wide.close())
  await wide.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: server.tokenEndpoint, scopes: ['read:interaction'] })
  await wide.ready()
  const token = await wide.appToken.get()
  t.same(token.roles, ['Orders.Read.All', '[redacted]'], 'the roles claim is the server\'s words too')
  t.notOk(JSON.stringify(token).includes(SECRET))
})
