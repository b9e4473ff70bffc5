// check() throughput: a 5-scope allowed request (target ≥ 500,000/s) and denied ones. Prints figures.
import { cpus, loadavg } from 'node:os'
import { check, loadPolicyFiles, type CheckRequest, type PolicySet } from '../service/policy/index.js'

function policyText (app = 'bench-app', provider = 'generic', extra: string[] = []): string {
  const lines = [`app: ${app}`, 'owner: "@bench/team"', `provider: ${provider}`, 'environments:']
  for (const env of ['prod', 'staging', 'dev']) {
    lines.push(`  ${env}:`, `    clientId: ${app}-${env}-client`, '    tokenEndpoint: https://auth.example.com/oauth/token', ...extra, '    scopes:')
    for (let s = 0; s < 20; s++) lines.push(`      read:resource-${s}: reason ${s}`)
  }
  return `${lines.join('\n')}\n`
}

// A generic app (today's rules) and an auth0 one (a provider profile's request rules run too).
const { policies, findings } = loadPolicyFiles([
  { file: 'bench-app.yaml', text: policyText() },
  { file: 'auth0-app.yaml', text: policyText('auth0-app', 'auth0', ['    audience: https://api.example.com']) },
])
if (!policies) throw new Error(findings.map((f) => f.message).join('\n'))

function opsPerSecond (set: PolicySet, req: CheckRequest, expectAllowed: boolean): number {
  if (check(set, req).allowed !== expectAllowed) throw new Error('unexpected result')
  for (let i = 0; i < 50_000; i++) check(set, req) // warm-up
  let n = 0
  const t0 = process.hrtime.bigint()
  let elapsed = 0n
  while (elapsed < 1_000_000_000n) {
    for (let i = 0; i < 10_000; i++) check(set, req)
    n += 10_000
    elapsed = process.hrtime.bigint() - t0
  }
  return n / (Number(elapsed) / 1e9)
}

// Other processes share the machine: the load average says how far to trust the figures.
console.log(`${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
const five = 'read:resource-1 read:resource-5 read:resource-9 read:resource-13 read:resource-17'
const cases: Array<[string, CheckRequest, boolean, number?]> = [
  ['allowed, 5 scopes as a string', { clientId: 'bench-app-prod-client', environment: 'prod', scopes: five }, true, 500_000],
  ['allowed, 5 scopes as an array', { clientId: 'bench-app-prod-client', environment: 'prod', scopes: five.split(' ') }, true, 500_000],
  ['allowed, 5 scopes, provider auth0', { clientId: 'auth0-app-prod-client', environment: 'prod', scopes: five }, true, 500_000],
  ['denied, case mismatch in 1 of 5', { clientId: 'bench-app-prod-client', scopes: five.replace('read:resource-9', 'Read:resource-9') }, false],
  ['denied, not whitelisted 5 of 5', { clientId: 'bench-app-prod-client', scopes: 'admin:a admin:b admin:c admin:d admin:e' }, false],
  ['denied, unknown client', { clientId: 'nobody', scopes: five }, false],
]
for (const [name, req, allowed, target] of cases) {
  const ops = opsPerSecond(policies, req, allowed)
  const verdict = target ? `; target ≥ ${target.toLocaleString('en')}/s: ${ops >= target ? 'met' : 'MISSED'}` : ''
  console.log(`${name}: ${Math.round(ops).toLocaleString('en')} checks/s${verdict}`)
}
