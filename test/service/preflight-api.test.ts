// POST /v1/preflight, GET /v1/clients/:clientId and the probes on a real listening server.
import { writeFile } from 'node:fs/promises'
import t from 'tap'
import { buildPreflightApp } from '../../service/http/app.js'
import { call, policyFolder, preflight, startService } from './harness.js'

const fastifyError = (body: any) => ({
  statusCode: body.statusCode,
  code: typeof body.code,
  error: typeof body.error,
  message: typeof body.message,
})

t.test('an allowed request: 200 with the app, environment and normalised scopes', async (t) => {
  const { origin } = await startService(t)
  const asString = await preflight(origin, { clientId: 'prod-app-8821', scopes: 'read:interaction  read:analytics read:interaction' })
  t.equal(asString.status, 200)
  t.same(asString.body, {
    allowed: true,
    app: 'agent-desktop-worker',
    environment: 'prod',
    scopes: ['read:interaction', 'read:analytics'],
  })
  const asArray = await preflight(origin, {
    clientId: 'prod-reporting-4410',
    environment: 'prod',
    scopes: ['read:analytics', 'read:interaction', 'read:queue', 'read:user', 'read:recording'],
  })
  t.equal(asArray.status, 200)
  t.same(asArray.body.scopes, ['read:analytics', 'read:interaction', 'read:queue', 'read:user', 'read:recording'])
  t.match(asArray.headers['content-type'], /^application\/json/)
})

t.test('a denied scope: 422 invalid_scope with each violation and its suggestion', async (t) => {
  const { origin } = await startService(t)
  const res = await preflight(origin, { clientId: 'prod-app-8821', scopes: ['Read:interaction', 'openid', 'read_analytics', 'write:user'] })
  t.equal(res.status, 422)
  t.equal(res.body.allowed, false)
  t.equal(res.body.error, 'invalid_scope')
  t.match(res.body.error_description, /4 problems for agent-desktop-worker\/prod/)
  t.same(
    res.body.violations.map((v: any) => [v.scope, v.code, v.suggestion]),
    [
      ['Read:interaction', 'case_mismatch', 'read:interaction'],
      ['openid', 'user_scope', undefined],
      ['read_analytics', 'near_miss', 'read:analytics'],
      ['write:user', 'not_whitelisted', undefined],
    ]
  )
  for (const v of res.body.violations) t.type(v.message, 'string')
})

t.test('a single violation is the error_description itself', async (t) => {
  const { origin } = await startService(t)
  const res = await preflight(origin, { clientId: 'stg-app-8821', scopes: 'read:interaction' })
  t.equal(res.status, 422)
  t.equal(res.body.error, 'invalid_scope')
  t.equal(res.body.error_description, res.body.violations[0].message)
  t.equal(res.body.violations[0].code, 'not_whitelisted')
})

t.test('an unknown clientId: 422 invalid_client with the unknown_client violation', async (t) => {
  const { origin } = await startService(t)
  const res = await preflight(origin, { clientId: 'who-is-this', scopes: 'read:interaction' })
  t.equal(res.status, 422)
  t.equal(res.body.error, 'invalid_client')
  t.ok(res.body.violations.some((v: any) => v.code === 'unknown_client'))
})

t.test('a clientId asked for in another environment: 422 invalid_client', async (t) => {
  const { origin } = await startService(t)
  const res = await preflight(origin, { clientId: 'prod-app-8821', environment: 'staging', scopes: 'read:interaction' })
  t.equal(res.status, 422)
  t.equal(res.body.error, 'invalid_client')
  t.match(res.body.violations, [{ code: 'unknown_client', message: /belongs to environment "prod"/ }])
})

t.test('malformed bodies: 400 in Fastify error shape, with the reason', async (t) => {
  const { origin } = await startService(t)
  const cases: Array<[string, unknown, RegExp]> = [
    ['a number for scopes is not coerced', { clientId: 'prod-app-8821', scopes: 42 }, /body\/scopes must be string or array/],
    ['a boolean for clientId is not coerced', { clientId: true, scopes: 'read:interaction' }, /body\/clientId must be string/],
    ['a number inside the scope array', { clientId: 'prod-app-8821', scopes: ['read:interaction', 7] }, /^body\/scopes\/1 must be string$/],
    ['an object for scopes', { clientId: 'prod-app-8821', scopes: { read: true } }, /^body\/scopes must be string or array$/],
    ['an unknown field', { clientId: 'prod-app-8821', scopes: 'read:interaction', scope: 'x' }, /must NOT have the property 'scope'/],
    ['no clientId', { scopes: 'read:interaction' }, /must have required property 'clientId'/],
    ['no scopes', { clientId: 'prod-app-8821' }, /must have required property 'scopes'/],
    ['an empty clientId', { clientId: '', scopes: 'read:interaction' }, /body\/clientId must NOT have fewer than 1 characters/],
    ['an array body', [{ clientId: 'prod-app-8821', scopes: 'x' }], /body must be object/],
    ['null', null, /body must be object/],
    ['too many scopes in an array', { clientId: 'prod-app-8821', scopes: Array.from({ length: 101 }, (_, i) => `s${i}`) }, /must NOT have more than 100 items/],
    ['too many scopes in a string', { clientId: 'prod-app-8821', scopes: Array.from({ length: 101 }, (_, i) => `s${i}`).join(' ') }, /must NOT have more than 100 scopes/],
    ['too many scopes inside array items', { clientId: 'prod-app-8821', scopes: Array.from({ length: 51 }, (_, i) => `a${i} b${i}`) }, /must NOT have more than 100 scopes/],
    ['one scope too long in an array', { clientId: 'prod-app-8821', scopes: ['x'.repeat(257)] }, /body\/scopes\/0 must NOT have more than 256 characters/],
    ['one scope too long in a string', { clientId: 'prod-app-8821', scopes: `read:interaction ${'x'.repeat(257)}` }, /must NOT have a scope longer than 256 characters/],
    ['a clientId too long', { clientId: 'c'.repeat(257), scopes: 'x' }, /body\/clientId must NOT have more than 256 characters/],
  ]
  for (const [name, json, message] of cases) {
    const res = await preflight(origin, json)
    t.equal(res.status, 400, name)
    t.same(fastifyError(res.body), { statusCode: 400, code: 'string', error: 'string', message: 'string' }, name)
    t.match(res.body.message, message, name)
  }
})

t.test('bodies that are not JSON objects: 400', async (t) => {
  const { origin } = await startService(t)
  const json = { 'content-type': 'application/json' }
  const raw = [
    ['invalid JSON', '{"clientId": "prod-app-8821", ', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['an empty body', '', 'FST_ERR_CTP_EMPTY_JSON_BODY'],
    ['a __proto__ key', '{"clientId":"prod-app-8821","scopes":"x","__proto__":{"allowed":true}}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['a constructor.prototype key', '{"clientId":"a","scopes":"x","constructor":{"prototype":{"allowed":true}}}', 'FST_ERR_CTP_INVALID_JSON_BODY'],
  ] as const
  for (const [name, body, code] of raw) {
    const res = await call(origin, '/v1/preflight', { method: 'POST', body, headers: json })
    t.equal(res.status, 400, name)
    t.equal(res.body.code, code, name)
    t.equal(res.body.error, 'Bad Request', name)
  }
})

t.test('a body over the limit: 413', async (t) => {
  const { origin } = await startService(t)
  const res = await preflight(origin, { clientId: 'prod-app-8821', scopes: 'x'.repeat(70 * 1024) })
  t.equal(res.status, 413)
  t.same(res.body, { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' })
  const custom = await startService(t, { bodyLimit: 100 })
  t.equal((await preflight(custom.origin, { clientId: 'prod-app-8821', scopes: 'read:interaction '.repeat(10) })).status, 413)
})

t.test('a content type other than JSON: 415', async (t) => {
  const { origin } = await startService(t)
  const body = JSON.stringify({ clientId: 'prod-app-8821', scopes: 'read:interaction' })
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', undefined]) {
    const res = await call(origin, '/v1/preflight', { method: 'POST', body, headers: type ? { 'content-type': type } : {} })
    t.equal(res.status, 415, String(type))
    t.equal(res.body.code, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', String(type))
  }
  const charset = await call(origin, '/v1/preflight', { method: 'POST', body, headers: { 'content-type': 'application/json; charset=utf-8' } })
  t.equal(charset.status, 200, 'JSON with a charset is JSON')
})

t.test('GET /v1/clients/:clientId: the whitelist with reasons, or 404', async (t) => {
  const dir = await policyFolder(t)
  const { origin } = await startService(t, { policyDir: dir })
  const res = await call(origin, '/v1/clients/prod-app-8821')
  t.equal(res.status, 200)
  t.same(res.body, {
    clientId: 'prod-app-8821',
    app: 'agent-desktop-worker',
    environment: 'prod',
    owner: '@contact-center/desktop',
    description: 'Background worker of the agent desktop wrapper',
    tokenEndpoint: 'https://api.example.com/api/v2/oauth/token',
    authMethod: 'client_secret_basic',
    resource: 'https://api.example.com',
    scopes: [
      { name: 'read:interaction', reason: 'sync interactions into the desktop (SEC-123)' },
      { name: 'read:analytics', reason: 'queue dashboards (SEC-140)' },
    ],
    source: 'agent-desktop-worker.yaml:11',
  })
  const empty = await call(origin, '/v1/clients/stg-app-8821')
  t.equal(empty.status, 200)
  t.same(empty.body.scopes, [], 'scopes: {} is an empty whitelist')
  t.equal(empty.body.authMethod, 'client_secret_basic')

  const missing = await call(origin, '/v1/clients/nobody')
  t.equal(missing.status, 404)
  t.same(missing.body, {
    statusCode: 404,
    code: 'FST_PREFLIGHT_UNKNOWN_CLIENT',
    error: 'Not Found',
    message: "No policy has the clientId 'nobody'",
  })
  const long = await call(origin, `/v1/clients/${'c'.repeat(200)}`)
  t.equal(long.body.code, 'FST_PREFLIGHT_UNKNOWN_CLIENT', 'a long clientId is looked up')
  const tooLong = await call(origin, `/v1/clients/${'c'.repeat(257)}`)
  t.equal(tooLong.status, 400)
  t.match(tooLong.body.message, /params\/clientId must NOT have more than 256 characters/)
})

t.test('probes and unknown routes', async (t) => {
  const { origin } = await startService(t)
  t.same((await call(origin, '/healthz')).body, { status: 'ok' })
  const ready = await call(origin, '/readyz')
  t.equal(ready.status, 200)
  t.equal(ready.body.status, 'ready')
  t.equal(ready.body.apps, 2)
  const openapi = await call(origin, '/openapi.json')
  t.equal(openapi.status, 200)
  t.match(openapi.body.openapi, /^3\./)
  t.ok(openapi.body.paths['/v1/preflight'].post)
  const nowhere = await call(origin, '/v2/preflight')
  t.equal(nowhere.status, 404)
  t.same(fastifyError(nowhere.body), { statusCode: 404, code: 'string', error: 'string', message: 'string' })
})

t.test('a folder with errors at start: ready() rejects with every finding', async (t) => {
  const dir = await policyFolder(t)
  await writeFile(`${dir}/broken.yaml`, 'app: broken\nowner: x\nenvironments: [\n')
  const app = buildPreflightApp({ policyDir: dir, watch: false })
  t.teardown(() => app.close())
  await t.rejects(
    (async () => void (await app.ready()))(),
    { name: 'PolicyLoadError', message: /broken\.yaml:\d+:\d+/ }
  )
})

t.test('GET /v1/clients/:clientId shows private_key_jwt and the TLS methods; the OpenAPI enum lists them', async (t) => {
  const dir = await policyFolder(t)
  const methods = ['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']
  await writeFile(`${dir}/keyed-app.yaml`, [
    'app: keyed-app', 'owner: "@team/keys"', 'provider: generic', 'environments:',
    ...methods.flatMap((method, i) => [`  env${i}:`, `    clientId: ${method}-client`, '    tokenEndpoint: https://auth.example.com/token', `    authMethod: ${method}`, '    scopes: {}'])
  ].join('\n') + '\n')
  const { origin } = await startService(t, { policyDir: dir })
  for (const method of methods) {
    const res = await call(origin, `/v1/clients/${method}-client`)
    t.equal(res.status, 200, method)
    t.equal(res.body.authMethod, method)
  }
  const openapi = await call(origin, '/openapi.json')
  t.same(openapi.body.paths['/v1/clients/{clientId}'].get.responses['200'].content['application/json'].schema.properties.authMethod.enum,
    ['client_secret_basic', 'client_secret_post', ...methods])
})
