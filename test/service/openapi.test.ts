// Every answer the service gives matches what the served OpenAPI document says of it.
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { call, policyFolder, startService, type CallOptions } from './harness.js'

const Ajv = Ajv2020.default

const key = 'openapi-test-key-1234567890'
const auth = { authorization: `Bearer ${key}` }

// Requests covering every documented status; path templates as OpenAPI writes them.
const requests: Array<[string, string, CallOptions]> = [
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'prod-app-8821', scopes: ['read:interaction'] }, headers: auth }],
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'prod-app-8821', scopes: 'READ:interaction email' }, headers: auth }],
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'ghost', environment: 'prod', scopes: '' }, headers: auth }],
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'prod-app-8821', scopes: 42 }, headers: auth }],
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'prod-app-8821', scopes: 'x' } }],
  ['/v1/preflight', '/v1/preflight', { json: { clientId: 'prod-app-8821', scopes: 'x'.repeat(70_000) }, headers: auth }],
  ['/v1/preflight', '/v1/preflight', { method: 'POST', body: 'clientId=a', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } }],
  ['/v1/clients/{clientId}', '/v1/clients/prod-app-8821', { headers: auth }],
  ['/v1/clients/{clientId}', '/v1/clients/stg-app-8821', { headers: auth }],
  ['/v1/clients/{clientId}', '/v1/clients/ghost', { headers: auth }],
  ['/v1/clients/{clientId}', '/v1/clients/prod-app-8821', {}],
  ['/healthz', '/healthz', {}],
  ['/readyz', '/readyz', {}],
]

t.test('responses match the served /openapi.json', async (t) => {
  const dir = await policyFolder(t)
  const { app, origin } = await startService(t, { policyDir: dir, apiKeys: [key] })
  const doc = (await call(origin, '/openapi.json')).body
  t.equal(doc.openapi, '3.1.0')
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats.default(ajv)

  const check = async (template: string, path: string, options: CallOptions): Promise<number> => {
    const res = await call(origin, path, options)
    const method = (options.method ?? (options.json !== undefined || options.body !== undefined ? 'POST' : 'GET')).toLowerCase()
    const operation = doc.paths[template]?.[method]
    const schema = operation?.responses?.[String(res.status)]?.content?.['application/json']?.schema
    if (!t.ok(schema, `${method} ${template} documents ${res.status}`)) return res.status
    const valid = ajv.validate(schema, res.body)
    t.ok(valid, `${method} ${path} ${res.status} matches: ${ajv.errorsText(ajv.errors)}`)
    return res.status
  }

  const seen = new Set<string>()
  for (const [template, path, options] of requests) seen.add(`${template} ${await check(template, path, options)}`)
  t.same(
    [...seen].sort(),
    [
      '/healthz 200',
      '/readyz 200',
      '/v1/clients/{clientId} 200',
      '/v1/clients/{clientId} 401',
      '/v1/clients/{clientId} 404',
      '/v1/preflight 200',
      '/v1/preflight 400',
      '/v1/preflight 401',
      '/v1/preflight 413',
      '/v1/preflight 415',
      '/v1/preflight 422',
    ],
    'every status was exercised'
  )

  // The refused-reload readiness answer, too.
  const file = join(dir, 'agent-desktop-worker.yaml')
  await writeFile(file, `${await readFile(file, 'utf8')}  prod: {}\n`)
  await app.preflightPolicies.reload('test')
  t.equal(await check('/readyz', '/readyz', {}), 503)

  // The documented request body accepts what the service accepts.
  const body = doc.paths['/v1/preflight'].post.requestBody.content['application/json'].schema
  t.ok(ajv.validate(body, { clientId: 'a', environment: 'prod', scopes: ['x'] }))
  t.notOk(ajv.validate(body, { clientId: 'a', scopes: 42 }))
  t.notOk(ajv.validate(body, { clientId: 'a', scopes: 'x', extra: true }))
})
