// API keys (PREFLIGHT_API_KEYS) and the access log: who asked, what was decided, never a key.
import t from 'tap'
import { call, preflight, startService } from './harness.js'

const keys = ['k-7f3a9c2e1b5d4f60a8e2', 'second-key-0c9d8e7f6a5b']
const allowed = { clientId: 'prod-app-8821', scopes: 'read:interaction' }

t.test('with keys set, /v1 routes need a valid Bearer key', async (t) => {
  const { origin } = await startService(t, { apiKeys: keys })
  const refused: Array<[string, Record<string, string>]> = [
    ['no header', {}],
    ['a wrong key', { authorization: 'Bearer not-a-key' }],
    ['a key prefix', { authorization: `Bearer ${keys[0]!.slice(0, 10)}` }],
    ['a key with a suffix', { authorization: `Bearer ${keys[0]}x` }],
    ['the wrong scheme', { authorization: `Basic ${keys[0]}` }],
    ['no scheme', { authorization: keys[0]! }],
    ['two keys at once', { authorization: `Bearer ${keys[0]} ${keys[1]}` }],
  ]
  for (const [name, headers] of refused) {
    const res = await preflight(origin, allowed, headers)
    t.equal(res.status, 401, name)
    t.same(res.body, {
      statusCode: 401,
      code: 'FST_PREFLIGHT_UNAUTHORIZED',
      error: 'Unauthorized',
      message: 'A valid API key is required: Authorization: Bearer <key>',
    }, name)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="scope-policy"', name)
  }
  t.equal((await call(origin, '/v1/clients/prod-app-8821')).status, 401, 'the clients route too')

  for (const key of keys) {
    t.equal((await preflight(origin, allowed, { authorization: `Bearer ${key}` })).status, 200, 'each key is accepted')
  }
  t.equal((await preflight(origin, allowed, { authorization: `bearer ${keys[1]}` })).status, 200, 'the scheme is case-insensitive')
  t.equal((await call(origin, '/v1/clients/prod-app-8821', { headers: { authorization: `Bearer ${keys[0]}` } })).status, 200)
})

t.test('a refused key is checked before the body is read', async (t) => {
  const { origin } = await startService(t, { apiKeys: keys })
  t.equal((await preflight(origin, { clientId: 'x', scopes: 'x'.repeat(100_000) })).status, 401)
  t.equal((await call(origin, '/v1/preflight', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } })).status, 401)
})

t.test('probes and the OpenAPI document need no key', async (t) => {
  const { origin } = await startService(t, { apiKeys: keys })
  for (const path of ['/healthz', '/readyz', '/openapi.json']) t.equal((await call(origin, path)).status, 200, path)
  const doc = (await call(origin, '/openapi.json')).body
  t.same(doc.security, [{ apiKey: [] }], 'the document says the API needs a key')
  t.same(doc.paths['/healthz'].get.security, [], 'and that the probes do not')
})

t.test('without keys, no header is needed', async (t) => {
  const { origin } = await startService(t)
  t.equal((await preflight(origin, allowed)).status, 200)
  t.equal((await preflight(origin, allowed, { authorization: 'Bearer anything' })).status, 200)
  t.equal((await call(origin, '/openapi.json')).body.security, undefined)
})

t.test('access log: one line per request with clientId and decision, never a key', async (t) => {
  const service = await startService(t, { apiKeys: keys })
  const auth = { authorization: `Bearer ${keys[0]}` }
  await preflight(service.origin, allowed, auth)
  await preflight(service.origin, { clientId: 'prod-app-8821', scopes: ['Read:interaction', 'openid'] }, auth)
  await preflight(service.origin, { clientId: 'ghost', scopes: 'x' }, auth)
  await preflight(service.origin, allowed, { authorization: `Bearer ${keys[1]}-wrong` })
  await call(service.origin, '/v1/clients/prod-app-8821', { headers: auth })
  await service.app.close()

  const lines = service.logLines().filter((l) => l.msg === 'request completed')
  t.equal(lines.length, 5, 'one line per request, no "incoming request" line')
  t.match(lines[0], { req: { method: 'POST', url: '/v1/preflight' }, res: { statusCode: 200 }, clientId: 'prod-app-8821', decision: 'allowed' })
  t.equal(lines[0]!.codes, undefined)
  t.equal(lines[0]!.remoteAddress, '127.0.0.1', 'who asked')
  t.match(lines[1], { res: { statusCode: 422 }, clientId: 'prod-app-8821', decision: 'denied', codes: ['case_mismatch', 'user_scope'] })
  t.match(lines[2], { res: { statusCode: 422 }, clientId: 'ghost', decision: 'denied', codes: ['unknown_client'] })
  t.match(lines[3], { res: { statusCode: 401 } })
  t.match(lines[4], { req: { url: '/v1/clients/prod-app-8821' }, clientId: 'prod-app-8821' })

  const all = service.logs.join('')
  for (const key of keys) t.notOk(all.includes(key), 'no key in any log line')
  t.notOk(/authorization/i.test(all), 'no authorization header in any log line')
})

t.test('the authorization header is redacted should it be logged', async (t) => {
  const service = await startService(t, { apiKeys: keys })
  // What a debugging session might add: the request headers in a log line.
  service.app.log.info({ headers: { authorization: `Bearer ${keys[0]}`, accept: '*/*' } }, 'headers')
  const line = service.logLines().find((l) => l.msg === 'headers')
  t.same(line?.headers, { authorization: '[redacted]', accept: '*/*' })
  t.notOk(service.logs.join('').includes(keys[0]!))
})
