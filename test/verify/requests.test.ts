// How verify spends token requests, through the real token-core client the bin injects:
// a timeout per request, one retry after a transient failure only, a bounded number in flight.
import t, { type Test } from 'tap'
import { tokenFetcher } from '../../bin/token-fetcher.js'
import { loadPolicySet } from '../../service/policy/index.js'
import { verifyPolicies } from '../../service/policy/verify/index.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { verifyPolicy, type VerifyEnvSpec } from './fixtures.js'

const SECRET = 'requests-s3cr3t'

async function policiesFor (t: Test, envs: Record<string, VerifyEnvSpec>) {
  return loadPolicySet(t.testdir({ 'req-app.yaml': verifyPolicy('req-app', envs) }))
}

/** Every entry's secret under its default variable name. */
const secrets = (names: string[]): NodeJS.ProcessEnv =>
  Object.fromEntries(names.map((n) => [`SCOPE_POLICY_SECRET_REQ_APP_${n.toUpperCase()}`, SECRET]))

t.test('a hanging endpoint: each request ends at the timeout, one retry, then unreachable', async (t) => {
  const server = await startFaultServer({ hang: true })
  t.teardown(() => server.close())
  const policies = await policiesFor(t, { prod: { clientId: 'hang', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] } })
  const started = Date.now()
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env: secrets(['prod']), timeout: 300, retryDelay: 50 })
  const took = Date.now() - started
  t.equal(report.results[0]?.status, 'unreachable')
  t.match(report.results[0]?.message, /within 300 ms \(after 2 requests\)/)
  t.equal(server.requests.length, 2, 'two requests at the server, never more')
  t.ok(took < 5000, `bounded by the timeout (${took} ms)`)
})

t.test('a permanent error is not retried; a Retry-After beyond the wait limit is not waited for', async (t) => {
  const server = await startFaultServer(
    (req) => req.form.get('scope') === 'read:a'
      ? { status: 400, body: { error: 'invalid_request', error_description: 'bad grant' } }
      : { status: 429, headers: { 'retry-after': '120' } }
  )
  t.teardown(() => server.close())
  const policies = await policiesFor(t, {
    bad: { clientId: 'bad', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] },
    limited: { clientId: 'limited', tokenEndpoint: server.tokenEndpoint, scopes: ['read:b'] }
  })
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env: secrets(['bad', 'limited']), retryDelay: 50 })
  const [bad, limited] = report.results
  t.equal(bad?.status, 'refused')
  t.equal(bad?.error, 'invalid_request')
  t.equal(bad?.requests, 1)
  t.equal(limited?.status, 'unreachable')
  t.equal(limited?.requests, 1, 'asked to wait 120 s: reported, not retried')
  t.match(limited?.message, /asked to wait 120 s: not retried/)
  t.equal(server.requests.length, 2)
})

t.test('at most --concurrency requests in flight, one per entry', async (t) => {
  let inFlight = 0
  let most = 0
  const server = await startFaultServer(() => {
    inFlight++
    most = Math.max(most, inFlight)
    setTimeout(() => { inFlight-- }, 95)
    return { delay: 100, body: tokenBody({ scope: 'read:a' }) }
  })
  t.teardown(() => server.close())
  const names = Array.from({ length: 10 }, (_, i) => `env${i}`)
  const policies = await policiesFor(t, Object.fromEntries(names.map((n) => [n, { clientId: `c-${n}`, tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] }])))
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env: secrets(names), concurrency: 3 })
  t.same(report.results.map((r) => r.status), names.map(() => 'ok'))
  t.equal(server.requests.length, 10)
  t.equal(most, 3, 'three in flight at most, and the limit was used')
  t.same(report.results.map((r) => r.environment), names, 'results keep the policy order')
})

t.test('a JWT access token without a scope member: the scope claim is what was granted', async (t) => {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const jwt = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ scope: 'read:a', exp: Math.floor(Date.now() / 1000) + 600 })}.sig`
  const server = await startFaultServer({ body: { access_token: jwt, token_type: 'Bearer', expires_in: 600 } })
  t.teardown(() => server.close())
  const policies = await policiesFor(t, { prod: { clientId: 'jwt', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a', 'read:b'] } })
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env: secrets(['prod']) })
  t.equal(report.results[0]?.status, 'narrowed')
  t.equal(report.results[0]?.grantedFrom, 'jwt')
  t.same(report.results[0]?.missing, ['read:b'])
  t.notOk(JSON.stringify(report).includes(jwt), 'the token is not in the report')
})
