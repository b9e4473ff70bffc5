// The CLI under provider profiles (docs/providers.md): lint findings at file:line:col,
// `check --resource/--audience`, the new diff kinds and fmt's order of the new keys.
import t from 'tap'
import { diffPolicySets } from '../../service/policy/diff.js'
import { formatPolicyText } from '../../service/policy/fmt.js'
import { loadPolicyFiles } from '../../service/policy/index.js'
import { runCli } from '../helpers/cli.js'

const entra = (scopes: string[], roles: string[] = [], audience?: string) => [
  'app: hr-export',
  'owner: "@people/hr"',
  'provider: entra',
  'environments:',
  '  prod:',
  '    clientId: hr-prod',
  '    tokenEndpoint: https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token',
  ...(audience ? [`    audience: ${audience}`] : []),
  '    scopes:',
  ...scopes.map((s) => `      ${s}: needed (HR-1)`),
  ...(roles.length ? ['    roles:', ...roles.map((r) => `      ${r}: needed (HR-1)`)] : []),
  '',
].join('\n')

const GENESYS_TRAP = `app: agent-desktop-worker
owner: "@contact-center/desktop"
provider: genesys
environments:
  prod:
    clientId: prod-app-8821
    tokenEndpoint: https://api.mypurecloud.com/api/v2/oauth/token
    scopes:
      read:interaction: sync interactions (SEC-123)
`

t.test('lint: the forum thread\'s endpoint under genesys is an error at its place', async (t) => {
  const cwd = t.testdir({ policies: { 'agent-desktop-worker.yaml': GENESYS_TRAP } })
  const r = await runCli(['lint'], { cwd })
  t.equal(r.code, 1)
  t.match(r.stdout, /^policies\/agent-desktop-worker\.yaml:7:20: error provider-rule .*https:\/\/login\.mypurecloud\.com\/oauth\/token/m)
})

t.test('lint: an Entra scope that is not /.default names AADSTS1002012 and the scope to use', async (t) => {
  const cwd = t.testdir({ policies: { 'hr-export.yaml': entra(['User.Read.All']) } })
  const r = await runCli(['lint', '--format', 'json'], { cwd })
  t.equal(r.code, 1)
  t.match(r.stdout, /"code": "provider-rule"/)
  t.match(r.stdout, /AADSTS1002012.*https:\/\/graph\.microsoft\.com\/\.default/)
})

t.test('check: Entra takes one /.default per request; --resource/--audience obey the entry', async (t) => {
  const cwd = t.testdir({ policies: { 'hr-export.yaml': entra(['api://hr-api/.default', 'https://graph.microsoft.com/.default'], [], 'hr-api') } })
  const one = await runCli(['check', '--client', 'hr-prod', 'api://hr-api/.default'], { cwd })
  t.equal(one.code, 0, one.stdout)
  const two = await runCli(['check', '--client', 'hr-prod', 'api://hr-api/.default', 'https://graph.microsoft.com/.default'], { cwd })
  t.equal(two.code, 1)
  t.match(two.stdout, /\(none\): provider_rule: .*AADSTS70011/)
  const aud = await runCli(['check', '--client', 'hr-prod', '--audience', 'other-api', 'api://hr-api/.default'], { cwd })
  t.equal(aud.code, 1)
  t.match(aud.stdout, /audience_not_allowed: audience "other-api" is not allowed for hr-export\/prod/)
  t.equal((await runCli(['check', '--client', 'hr-prod', '--audience', 'hr-api', 'api://hr-api/.default'], { cwd })).code, 0)
  const res = await runCli(['check', '--client', 'hr-prod', '--resource', 'https://x.example.com', '--format', 'json', 'api://hr-api/.default'], { cwd })
  t.equal(res.code, 1)
  t.match(JSON.parse(res.stdout), { violations: [{ code: 'resource_not_allowed' }] })
})

function load (text: string) {
  const r = loadPolicyFiles([{ file: 'hr-export.yaml', text }])
  if (!r.policies) throw new Error(JSON.stringify(r.findings))
  return r.policies
}

t.test('diff: provider, audience and role changes, each with a risk', async (t) => {
  const scope = ['https://graph.microsoft.com/.default']
  const base = load(entra(scope, ['User.Read.All'], 'aud-1'))
  const head = load(entra(scope, ['RoleManagement.ReadWrite.Directory'], 'aud-2'))
  const kinds = diffPolicySets(base, head).changes.map((c) => [c.kind, c.scope ?? c.after, c.risk])
  t.same(kinds, [
    ['role-added', 'RoleManagement.ReadWrite.Directory', 'critical'],
    ['audience-changed', 'aud-2', 'medium'],
    ['role-removed', 'User.Read.All', 'info'],
  ])
  const generic = load(entra(scope).replace('provider: entra', 'provider: generic'))
  t.match(diffPolicySets(generic, load(entra(scope))).changes, [{ kind: 'provider-changed', before: 'generic', after: 'entra', risk: 'medium' }])
})

t.test('fmt: the new keys in canonical order, roles sorted', async (t) => {
  const text = `app: a
owner: "@t/a"
provider: entra
environments:
  prod:
    roles:
      b.Read: b
      a.Read: a
    scopes:
      x/.default: x
    audiences: [c]
    audience: d
    resources: [e]
    resource: https://f.example
    tokenEndpoint: https://login.microsoftonline.com/t/oauth2/v2.0/token
    clientId: c1
`
  const r = formatPolicyText(text)
  t.ok(r.ok)
  const keys = r.ok ? r.text.split('\n').filter((l) => /^ {4}\w/.test(l)).map((l) => l.trim().split(':')[0]) : []
  t.same(keys, ['clientId', 'tokenEndpoint', 'resource', 'resources', 'audience', 'audiences', 'scopes', 'roles'])
  t.match(r.ok ? r.text : '', /roles:\n {6}a\.Read: a\n {6}b\.Read: b/)
})

t.test('check: keycloak accepts openid, generic refuses it', async (t) => {
  const ledger = (provider: string) => `app: ledger
owner: "@finance/ledger"
provider: ${provider}
environments:
  prod:
    clientId: ledger-prod
    tokenEndpoint: https://sso.example.com/realms/finance/protocol/openid-connect/token
    scopes:
      ledger:read: entries (FIN-1)
`
  const cwd = t.testdir({ keycloak: { 'ledger.yaml': ledger('keycloak') }, generic: { 'ledger.yaml': ledger('generic') } })
  const kc = await runCli(['check', '--policies', 'keycloak', '--client', 'ledger-prod', 'openid'], { cwd })
  t.match(kc.stdout, /openid: not_whitelisted/, 'keycloak: only the whitelist speaks')
  const generic = await runCli(['check', '--policies', 'generic', '--client', 'ledger-prod', 'openid'], { cwd })
  t.match(generic.stdout, /openid: user_scope/)
})
