// verify with DPoP (docs/verify.md): an entry with `dpop: true` sends a proof, and the
// use_dpop_nonce round trip does not count against its one request; an okta entry whose app
// requires DPoP, answered invalid_dpop_proof, is told to add `dpop: true`. Through the real
// token-core client the bin injects.
import t, { type Test } from 'tap'
import { tokenFetcher } from '../../bin/token-fetcher.js'
import { loadPolicySet } from '../../service/policy/index.js'
import { verifyPolicies } from '../../service/policy/verify/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { startOkta } from '../helpers/providers/okta.js'

const CLIENT_ID = 'verify-dpop-client'
const SECRET = 'verify-dpop-s3cr3t'
const env = { SCOPE_POLICY_SECRET_BOUND_APP_PROD: SECRET }

async function verifyOne (t: Test, provider: string, tokenEndpoint: string, fields: string[]) {
  const text = ['app: bound-app', 'owner: "@platform/identity"', `provider: ${provider}`, 'environments:', '  prod:',
    `    clientId: ${CLIENT_ID}`, `    tokenEndpoint: ${tokenEndpoint}`, ...fields.map((f) => `    ${f}`)].join('\n') + '\n'
  const policies = await loadPolicySet(t.testdir({ 'bound-app.yaml': text }))
  const report = await verifyPolicies(policies, { fetchToken: tokenFetcher, env, retryDelay: 10 })
  return report.results[0]!
}

t.test('dpop: true against oidc-provider requiring nonces: ok, one request for verify', async (t) => {
  const oidc = await startOidcServer({ clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:a'] }], dpop: { requireNonce: true } })
  t.teardown(() => oidc.close())
  const result = await verifyOne(t, 'generic', oidc.tokenEndpoint, ['dpop: true', 'scopes:', '  read:a: x (SEC-1)'])
  t.equal(result.status, 'ok', result.message)
  t.equal(result.requests, 1, 'the nonce round trip is not a second request')
  t.same(oidc.tokenRequests.map((r) => r.dpop), [true, true], 'a proof, then a proof with the nonce')
})

t.test('okta: invalid_dpop_proof says to add dpop: true; with it, ok', async (t) => {
  const okta = await startOkta({ clientId: CLIENT_ID, clientSecret: SECRET, server: 'default', allowed: ['orders:read'], dpop: true })
  t.teardown(() => okta.close())
  const scopes = ['scopes:', '  orders:read: x (SEC-1)']
  const refused = await verifyOne(t, 'okta', okta.tokenEndpoint, scopes)
  t.equal(refused.status, 'refused')
  t.equal(refused.error, 'invalid_dpop_proof')
  t.match(refused.message, /requires DPoP-bound tokens: add dpop: true to its entry \(.*bound-app\.yaml:\d+\)/)
  const bound = await verifyOne(t, 'okta', okta.tokenEndpoint, ['dpop: true', ...scopes])
  t.equal(bound.status, 'ok', bound.message)
  t.type(okta.requests.at(-1)!.headers.dpop, 'string')
})
