// The environment field `dpop: true` (docs/policy-files.md): loaded, linted as a boolean, put in
// its place by fmt, reported by diff (turning it off is the riskier way), and shown by
// GET /v1/clients/:clientId and the catalogue model.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { diffPolicySets } from '../../service/policy/diff.js'
import { formatPolicyText } from '../../service/policy/fmt.js'
import { loadPolicyFiles } from '../../service/policy/index.js'
import { catalogueOf } from '../../service/http/catalogue/model.js'
import { call, startService } from '../service/harness.js'

function file (dpop: string | undefined): string {
  return [
    'app: bound-worker',
    'owner: "@team/owners"',
    'provider: okta',
    'environments:',
    '  prod:',
    '    clientId: prod-bound-1',
    '    tokenEndpoint: https://example.okta.com/oauth2/default/v1/token',
    '    scopes:',
    '      read:interaction: sync interactions (SEC-1)',
    ...(dpop === undefined ? [] : [`    dpop: ${dpop}`]),
    ''
  ].join('\n')
}

function load (text: string) {
  return loadPolicyFiles([{ file: 'bound-worker.yaml', text }], { dir: 'policies' })
}

t.test('loaded as true, absent otherwise; anything but a boolean is a lint error', async (t) => {
  const on = load(file('true')).policies
  t.equal(on?.byClientId.get('prod-bound-1')?.environment.dpop, true)
  const off = load(file('false')).policies
  t.notOk(off !== null && 'dpop' in off.byClientId.get('prod-bound-1')!.environment, 'dpop: false is the default: absent')
  const bad = load(file('"yes"'))
  t.equal(bad.policies, null)
  t.match(bad.findings.map((f) => `${f.severity} ${f.message}`).join('\n'), /error.*dpop/)
})

t.test('fmt puts dpop after authMethod', async (t) => {
  const formatted = formatPolicyText(file('true'))
  t.ok(formatted.ok)
  if (!formatted.ok) return
  const lines = formatted.text.split('\n').map((l) => l.trim().split(':')[0])
  t.ok(lines.indexOf('dpop') > lines.indexOf('tokenEndpoint') && lines.indexOf('dpop') < lines.indexOf('scopes'), 'between the endpoint and the scopes')
})

t.test('diff: dpop-changed, medium when turned off, low when turned on', async (t) => {
  const on = load(file('true')).policies!
  const off = load(file(undefined)).policies!
  const [weaker] = diffPolicySets(on, off).changes
  t.match(weaker, { kind: 'dpop-changed', before: 'true', after: 'false', risk: 'medium', why: /no longer be sender-constrained/ })
  const [stronger] = diffPolicySets(off, on).changes
  t.match(stronger, { kind: 'dpop-changed', before: 'false', after: 'true', risk: 'low' })
  t.same(diffPolicySets(on, on).changes, [])
})

t.test('the catalogue model and GET /v1/clients/:clientId show it', async (t) => {
  const on = load(file('true')).policies!
  t.equal(catalogueOf(on)[0]!.environments[0]!.dpop, true)
  t.notOk('dpop' in catalogueOf(load(file(undefined)).policies!)[0]!.environments[0]!)
  const dir = await mkdtemp(join(tmpdir(), 'dpop-field-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'bound-worker.yaml'), file('true'))
  const { origin } = await startService(t, { policyDir: dir })
  const answer = await call(origin, '/v1/clients/prod-bound-1')
  t.equal(answer.status, 200)
  t.equal(answer.body.dpop, true)
  const apps = await call(origin, '/v1/apps')
  t.equal(apps.body.apps?.[0]?.environments?.[0]?.dpop, true, 'GET /v1/apps (the page\'s data) too')
  const page = await call(origin, '/')
  t.match(page.text, /<dt>Auth method<\/dt><dd>client_secret_basic \+ DPoP<\/dd>/, 'the page says so beside the auth method')
})
