// Property: no request body, however hostile, gets anything but a 4xx the API documents
// (or a 200), and the server keeps serving. fast-check, bounded runs.
import fc from 'fast-check'
import t from 'tap'
import { call, startService } from './harness.js'

const key = 'fuzz-key-5b0c1d2e3f405162'
const STATUSES = new Set([200, 400, 401, 413, 415, 422])

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.constantFrom('read:interaction', 'read:analytics', 'READ:interaction', 'openid', 'a,b', '"', '\\', '\u0000', '\u202e', '💥'),
  fc.nat({ max: 120_000 }).map((n) => 's'.repeat(n))
)
const hostileKey = fc.constantFrom('clientId', 'environment', 'scopes', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '')
const value: fc.Arbitrary<unknown> = fc.oneof(
  text,
  fc.array(text, { maxLength: 120 }),
  fc.jsonValue({ maxDepth: 6 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null)
)
/** Objects with the right keys, wrong values, extra and prototype-pollution keys. */
const objectBody = fc
  .tuple(
    fc.option(fc.oneof(text, value), { nil: undefined }),
    fc.option(fc.oneof(text, value), { nil: undefined }),
    fc.option(fc.oneof(text, fc.array(text, { maxLength: 120 }), value), { nil: undefined }),
    fc.array(fc.tuple(fc.oneof(hostileKey, fc.string()), value), { maxLength: 4 })
  )
  .map(([clientId, environment, scopes, extra]) => {
    // Written as text: an object literal cannot hold an own "__proto__" key for JSON.stringify.
    const entries: string[] = []
    if (clientId !== undefined) entries.push(`"clientId":${JSON.stringify(clientId)}`)
    if (environment !== undefined) entries.push(`"environment":${JSON.stringify(environment)}`)
    if (scopes !== undefined) entries.push(`"scopes":${JSON.stringify(scopes)}`)
    for (const [k, v] of extra) entries.push(`${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`)
    return `{${entries.join(',')}}`
  })
/** Well-formed requests: known and unknown clients, whitelisted and wrong scopes. */
const scopeName = fc.constantFrom('read:interaction', 'read:analytics', 'read:queue', 'Read:Interaction', 'openid', 'read_analytics', 'a,b', 'x y')
const plausible = fc
  .record(
    {
      clientId: fc.constantFrom('prod-app-8821', 'stg-app-8821', 'prod-reporting-4410', 'nobody'),
      environment: fc.constantFrom('prod', 'staging', 'dev'),
      scopes: fc.oneof(fc.array(scopeName, { maxLength: 6 }), fc.array(scopeName, { maxLength: 6 }).map((a) => a.join(' '))),
    },
    { requiredKeys: ['clientId', 'scopes'] }
  )
  .map((body) => JSON.stringify(body))
const nested = fc.nat({ max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)
const arrays = fc.nat({ max: 20_000 }).map((depth) => `{"clientId":"prod-app-8821","scopes":${'['.repeat(depth)}${']'.repeat(depth)}}`)
const rawBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: plausible },
  { weight: 6, arbitrary: objectBody },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? '') },
  { weight: 1, arbitrary: nested },
  { weight: 1, arbitrary: arrays },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }
)
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json;',
      'text/plain',
      'text/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=zz',
      'application/octet-stream',
      '*/*',
      undefined
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{1,8}\/[a-z0-9.+-]{1,12}$/) }
)
const authorization = fc.oneof(
  { weight: 6, arbitrary: fc.constant(`Bearer ${key}`) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, `Bearer ${key}x`, 'Bearer ', `Basic ${key}`, `Bearer\t${key}`) },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e ]{0,40}$/) }
)

t.test('10,000 random and hostile POST /v1/preflight requests on one keep-alive server', async (t) => {
  const service = await startService(t, { apiKeys: [key] })
  const seen = new Map<number, number>()
  await fc.assert(
    fc.asyncProperty(rawBody, contentType, authorization, async (body, type, auth) => {
      const headers: Record<string, string> = {}
      if (type !== undefined) headers['content-type'] = type
      if (auth !== undefined) headers.authorization = auth
      const res = await call(service.origin, '/v1/preflight', { method: 'POST', body, headers })
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1)
      if (!STATUSES.has(res.status)) return false
      // Every answer is JSON of the documented shape for its status.
      if (res.status === 200) return res.body.allowed === true
      if (res.status === 422) return res.body.allowed === false && Array.isArray(res.body.violations)
      return res.body.statusCode === res.status && typeof res.body.code === 'string' && typeof res.body.message === 'string'
    }),
    { numRuns: 10_000, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) }
  )
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`)
  for (const status of [200, 400, 401, 415, 422]) t.ok(seen.has(status), `status ${status} was reached`)

  t.equal((await call(service.origin, '/healthz')).status, 200, 'still serving')
  t.notOk(service.logs.some((l) => /"level":(50|60)/.test(l)), 'no error was logged')
  t.notOk(service.logs.join('').includes(key), 'the key never reached the log')
})

t.test('500 random clientIds on GET /v1/clients/:clientId', async (t) => {
  const service = await startService(t)
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 40 })), async (id) => {
      const res = await call(service.origin, `/v1/clients/${encodeURIComponent(id)}`)
      return [200, 400, 404].includes(res.status) && typeof res.body === 'object'
    }),
    { numRuns: 500 }
  )
  t.equal((await call(service.origin, '/healthz')).status, 200)
  t.notOk(service.logs.some((l) => /"level":(50|60)/.test(l)), 'no error was logged')
})
