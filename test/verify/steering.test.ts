// A policy change must never steer a secret (docs/verify.md, "Threat model"): the attack
// — one line points another app's entry at the ledger's secret and at a host the attacker
// controls — played against the built bin. The provider is oidc-provider; the attacker's host is
// a fault server that counts what reaches it.
import t, { type Test } from 'tap'
import { runCli, type CliRun } from '../helpers/cli.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { secretForms, verifyPolicy } from './fixtures.js'

const LEDGER = 'ledger-s3cr3t/never+elsewhere'
const CLOUD = 'cloud-s3cr3t=not-for-verify'
const oidc = await startOidcServer({
  clients: [
    { clientId: 'ledger-prod', clientSecret: LEDGER, scopes: ['ledger:read'] },
    { clientId: 'billing-prod', clientSecret: CLOUD, scopes: ['billing:read'] }
  ]
})
t.teardown(() => oidc.close())
const attacker = await startFaultServer(() => ({ body: tokenBody({ scope: 'reports:read' }) }))
t.teardown(() => attacker.close())
const oidcHost = new URL(oidc.tokenEndpoint).host
const attackerHost = new URL(attacker.tokenEndpoint).host

interface Result { app: string, environment: string, status: string, requests: number, message: string }
const statuses = (run: CliRun): Record<string, [string, number]> =>
  Object.fromEntries((JSON.parse(run.stdout) as { results: Result[] }).results.map((r) => [`${r.app}/${r.environment}`, [r.status, r.requests]]))
const messages = (run: CliRun): Record<string, string> =>
  Object.fromEntries((JSON.parse(run.stdout) as { results: Result[] }).results.map((r) => [`${r.app}/${r.environment}`, r.message]))

/** The attacker's server must have seen no form of either secret. */
function nothingSent (t: Test): void {
  const seen = attacker.requests.map((r) => `${String(r.headers.authorization)} ${r.body}`).join('\n')
  const forms = [...secretForms('reports-prod', LEDGER), ...secretForms('billing-prod', CLOUD), ...secretForms('ledger-prod', LEDGER)]
  t.same(forms.filter((f) => seen.includes(f)), [], 'no secret reached the attacker\'s host')
}

t.test('a variable another entry reads: both entries skipped, no request anywhere', async (t) => {
  const dir = t.testdir({
    'ledger-reconciler.yaml': verifyPolicy('ledger-reconciler', { prod: { clientId: 'ledger-prod', tokenEndpoint: oidc.tokenEndpoint, scopes: ['ledger:read'] } }),
    'reports.yaml': verifyPolicy('reports', {
      prod: { clientId: 'reports-prod', tokenEndpoint: attacker.tokenEndpoint, scopes: ['reports:read'], secretEnv: 'SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD' }
    })
  })
  const before = [oidc.tokenRequests.length, attacker.requests.length]
  const run = await runCli(['verify', '--policies', dir, '--format', 'json'], { env: { SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD: LEDGER } })
  t.equal(run.code, 0, run.stderr)
  t.same(statuses(run), { 'ledger-reconciler/prod': ['skipped', 0], 'reports/prod': ['skipped', 0] })
  t.match(messages(run)['reports/prod'], /reports\/prod reads its secret from SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD, as ledger-reconciler\/prod \(ledger-reconciler\.yaml:\d+\) does: verify skips/)
  t.same([oidc.tokenRequests.length, attacker.requests.length], before, 'no token request at either server')
  t.match((await runCli(['lint', dir])).stdout, /reports\.yaml:\d+:\d+: warning secret-env-shared /, 'lint says so, as a warning')
  nothingSent(t)
})

t.test('a variable outside SCOPE_POLICY_…: skipped unless --allow-env names it', async (t) => {
  const dir = t.testdir({
    'billing.yaml': verifyPolicy('billing', { prod: { clientId: 'billing-prod', tokenEndpoint: oidc.tokenEndpoint, scopes: ['billing:read'], secretEnv: 'CLOUD_SECRET' } })
  })
  const env = { CLOUD_SECRET: CLOUD }
  const before = oidc.tokenRequests.length
  const refused = await runCli(['verify', '--policies', dir, '--format', 'json'], { env })
  t.same(statuses(refused), { 'billing/prod': ['skipped', 0] })
  t.match(messages(refused)['billing/prod'], /secretEnv names CLOUD_SECRET, not a SCOPE_POLICY_… variable: verify skips the entry unless run with --allow-env CLOUD_SECRET/)
  t.equal(oidc.tokenRequests.length, before, 'no request')
  const other = await runCli(['verify', '--policies', dir, '--format', 'json', '--allow-env', 'OTHER_NAME'], { env })
  t.same(statuses(other), { 'billing/prod': ['skipped', 0] }, 'another allowed name does not help')
  const allowed = await runCli(['verify', '--policies', dir, '--format', 'json', '--allow-env', 'OTHER_NAME', '--allow-env', 'CLOUD_SECRET'], { env })
  t.same(statuses(allowed), { 'billing/prod': ['ok', 1] }, 'repeatable; the named variable is read')
  for (const bad of [['--allow-env', 'lower'], ['--allow-env', ''], ['--allow-host', 'https://x.example/token'], ['--allow-host', 'user@x.example']]) {
    const r = await runCli(['verify', '--policies', dir, ...bad], { env })
    t.equal(r.code, 2, bad.join(' '))
    t.match(r.stderr, /^scope-policy: [^\n]+\n$/)
  }
})

t.test('--allow-host: an entry whose endpoint host is not listed is skipped, no request', async (t) => {
  const dir = t.testdir({
    'ledger-reconciler.yaml': verifyPolicy('ledger-reconciler', { prod: { clientId: 'ledger-prod', tokenEndpoint: oidc.tokenEndpoint, scopes: ['ledger:read'] } }),
    // The attack without a shared variable: the entry's own secret, sent to another host.
    'reports.yaml': verifyPolicy('reports', { prod: { clientId: 'reports-prod', tokenEndpoint: attacker.tokenEndpoint, scopes: ['reports:read'] } })
  })
  const env = { SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD: LEDGER, SCOPE_POLICY_SECRET_REPORTS_PROD: LEDGER }
  const before = attacker.requests.length
  const run = await runCli(['verify', '--policies', dir, '--format', 'json', '--allow-host', 'auth.example.com', '--allow-host', oidcHost], { env })
  t.same(statuses(run), { 'ledger-reconciler/prod': ['ok', 1], 'reports/prod': ['skipped', 0] })
  t.match(messages(run)['reports/prod'], new RegExp(`the token endpoint's host ${attackerHost.replace(/\./g, '\\.')} is not one --allow-host names: not asked, no credential sent`))
  t.equal(attacker.requests.length, before, 'nothing reached the unlisted host')
  nothingSent(t)
  const byName = await runCli(['verify', '--policies', dir, '--format', 'json', '--allow-host', '127.0.0.1'], { env })
  t.same(statuses(byName), { 'ledger-reconciler/prod': ['ok', 1], 'reports/prod': ['ok', 1] }, 'a host name without a port allows every port')
  const text = await runCli(['verify', '--policies', dir, '--allow-host', oidcHost], { env })
  t.match(text.stdout, /^skipped +reports\/prod \(reports-prod\): the token endpoint's host /m, 'the text report gives the reason')
})
