// The preflight API under provider profiles (docs/providers.md, docs/preflight-api.md):
// the profile's rules in POST /v1/preflight, its optional resource/audience, and the
// provider fields of GET /v1/clients/:clientId.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { call, preflight, startService } from './harness.js'

const ENTRA = `app: hr-export
owner: "@people/hr"
provider: entra
environments:
  prod:
    clientId: hr-prod
    tokenEndpoint: https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token
    scopes:
      api://hr-api/.default: the HR API (HR-1)
      https://graph.microsoft.com/.default: the directory (HR-1)
    roles:
      User.Read.All: names and managers (HR-1)
`

const AUTH0 = `app: inventory-sync
owner: "@supply/inventory"
provider: auth0
environments:
  prod:
    clientId: inv-prod
    tokenEndpoint: https://acme.eu.auth0.com/oauth/token
    resource: https://inventory.example.com
    audience: https://inventory.example.com/api
    audiences:
      - https://stock.example.com/api
    scopes:
      read:stock: compare (INV-1)
  dev:
    clientId: inv-dev
    tokenEndpoint: https://acme-dev.eu.auth0.com/oauth/token
    scopes:
      read:stock: compare (INV-1)
`

const KEYCLOAK = `app: ledger
owner: "@finance/ledger"
provider: keycloak
environments:
  prod:
    clientId: ledger-prod
    tokenEndpoint: https://sso.example.com/realms/finance/protocol/openid-connect/token
    scopes:
      openid: Keycloak accepts it (FIN-1)
      ledger:read: entries (FIN-1)
`

async function folder (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'preflight-providers-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'hr-export.yaml'), ENTRA)
  await writeFile(join(dir, 'inventory-sync.yaml'), AUTH0)
  await writeFile(join(dir, 'ledger.yaml'), KEYCLOAK)
  return dir
}

t.test('entra: one /.default scope passes, two are a provider_rule naming AADSTS70011', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  t.equal((await preflight(origin, { clientId: 'hr-prod', scopes: 'api://hr-api/.default' })).status, 200)
  const res = await preflight(origin, { clientId: 'hr-prod', scopes: 'api://hr-api/.default https://graph.microsoft.com/.default' })
  t.equal(res.status, 422)
  t.equal(res.body.error, 'invalid_scope')
  t.same(res.body.violations.map((v: { code: string }) => v.code), ['provider_rule'])
  t.match(res.body.error_description, /AADSTS70011/)
})

t.test('resource and audience: the entry\'s or its lists pass; anything else is invalid_target', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  for (const extra of [{}, { audience: 'https://stock.example.com/api' }, { resource: 'https://inventory.example.com' }]) {
    t.equal((await preflight(origin, { clientId: 'inv-prod', scopes: 'read:stock', ...extra })).status, 200, JSON.stringify(extra))
  }
  const aud = await preflight(origin, { clientId: 'inv-prod', scopes: 'read:stock', audience: 'https://evil.example.com/api' })
  t.equal(aud.status, 422)
  t.equal(aud.body.error, 'invalid_target')
  t.same(aud.body.violations.map((v: { code: string }) => v.code), ['audience_not_allowed'])
  const res = await preflight(origin, { clientId: 'inv-prod', scopes: 'read:stock', resource: 'https://evil.example.com' })
  t.same(res.body.violations.map((v: { code: string }) => v.code), ['resource_not_allowed'])
})

t.test('resource and audience are strings: no coercion, unknown fields still refused', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  for (const body of [
    { clientId: 'inv-prod', scopes: 'read:stock', audience: 42 },
    { clientId: 'inv-prod', scopes: 'read:stock', resource: ['https://inventory.example.com'] },
    { clientId: 'inv-prod', scopes: 'read:stock', resource: '' },
    { clientId: 'inv-prod', scopes: 'read:stock', audiences: ['x'] },
  ]) {
    const res = await preflight(origin, body)
    t.equal(res.status, 400, JSON.stringify(body))
    t.equal(typeof res.body.message, 'string')
  }
})

t.test('GET /v1/clients/:clientId shows provider, audience and roles', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  const hr = await call(origin, '/v1/clients/hr-prod')
  t.equal(hr.status, 200)
  t.match(hr.body, { provider: 'entra', roles: [{ name: 'User.Read.All', reason: 'names and managers (HR-1)' }] })
  t.notOk('audience' in hr.body)
  const inv = await call(origin, '/v1/clients/inv-prod')
  t.match(inv.body, { provider: 'auth0', audience: 'https://inventory.example.com/api' })
  t.notOk('roles' in inv.body)
})

t.test('the catalogue shows each app\'s provider', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  const apps = await call(origin, '/v1/apps')
  t.same(apps.body.apps.map((a: { app: string, provider: string }) => [a.app, a.provider]), [['hr-export', 'entra'], ['inventory-sync', 'auth0'], ['ledger', 'keycloak']])
  t.match((await call(origin, '/')).text, /class="tag provider">entra</)
})

t.test('keycloak: openid is allowed; under generic it is user_scope', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  t.same((await preflight(origin, { clientId: 'ledger-prod', scopes: 'openid ledger:read' })).body.scopes, ['openid', 'ledger:read'])
  const res = await preflight(origin, { clientId: 'inv-prod', scopes: 'openid' })
  t.same(res.body.violations.map((v: { code: string }) => v.code), ['user_scope'], 'auth0: the generic code, not provider_rule')
})

t.test('auth0 without an audience: allowed, with a warning that names the Default Audience', async (t) => {
  const { origin } = await startService(t, { policyDir: await folder(t) })
  const res = await preflight(origin, { clientId: 'inv-dev', scopes: 'read:stock' })
  t.equal(res.status, 200)
  t.equal(res.body.allowed, true)
  t.equal(res.body.warnings?.length, 1)
  t.match(res.body.warnings[0], /Default Audience.*rule auth0-audience/)
  const withAudience = await preflight(origin, { clientId: 'inv-prod', scopes: 'read:stock' })
  t.notOk('warnings' in withAudience.body, 'no warnings when there are none')
})
