// verify with DPoP (docs/verify.md): an entry with `dpop: true` sends a proof, and the
// use_dpop_nonce round trip does not count against its one request; an okta entry whose app
// requires DPoP, answered invalid_dpop_proof, is told to add `dpop: true`. Through the real
// token-core client the bin injects.
import t from 'tap'
import { verifyOneEntry } from './fixtures.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { startOkta } from '../helpers/providers/okta.js'

const CLIENT_ID = 'verify-dpop-client'
const SECRET = 'verify-dpop-s3cr3t'
const env = { SCOPE_POLICY_SECRET_BOUND_APP_PROD: SECRET }

/** verify of the one entry of bound-app, at this provider and endpoint, with these fields. */
const entry = (provider: string, tokenEndpoint: string, fields: string[]) => ({ app: 'bound-app', provider, clientId: CLIENT_ID, tokenEndpoint, fields, env })

t.test('dpop: true against oidc-provider requiring nonces: ok, one request for verify', async (t) => {
  const oidc = await startOidcServer({ clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:a'] }], dpop: { requireNonce: true } })
  t.teardown(() => oidc.close())
  const result = await verifyOneEntry(t, entry('generic', oidc.tokenEndpoint, ['dpop: true', 'scopes:', '  read:a: x (SEC-1)']))
  t.equal(result.status, 'ok', result.message)
  t.equal(result.requests, 1, 'the nonce round trip is not a second request')
  t.same(oidc.tokenRequests.map((r) => r.dpop), [true, true], 'a proof, then a proof with the nonce')
})

t.test('dpop: true answered with a Bearer token: refused, with what to change', async (t) => {
  const oidc = await startOidcServer({ clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:a'] }] })
  t.teardown(() => oidc.close())
  const result = await verifyOneEntry(t, entry('generic', oidc.tokenEndpoint, ['dpop: true', 'scopes:', '  read:a: x (SEC-1)']))
  t.equal(result.status, 'refused', 'drift between the policy and the portal, not an unreachable server')
  t.match(result.message, /token_type Bearer, not DPoP.*turn on DPoP-bound tokens for client verify-dpop-client/)
})

t.test('okta: invalid_dpop_proof says to add dpop: true; with it, ok', async (t) => {
  const okta = await startOkta({ clientId: CLIENT_ID, clientSecret: SECRET, server: 'default', allowed: ['orders:read'], dpop: true })
  t.teardown(() => okta.close())
  const scopes = ['scopes:', '  orders:read: x (SEC-1)']
  const refused = await verifyOneEntry(t, entry('okta', okta.tokenEndpoint, scopes))
  t.equal(refused.status, 'refused')
  t.equal(refused.error, 'invalid_dpop_proof')
  t.match(refused.message, /requires DPoP-bound tokens: add dpop: true to its entry \(.*bound-app\.yaml:\d+\)/)
  const bound = await verifyOneEntry(t, entry('okta', okta.tokenEndpoint, ['dpop: true', ...scopes]))
  t.equal(bound.status, 'ok', bound.message)
  t.type(okta.requests.at(-1)!.headers.dpop, 'string')
})
