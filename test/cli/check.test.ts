import t from 'tap'
import { runCli, WORKER } from '../helpers/cli.js'

const cwd = t.testdir({ policies: { 'agent-desktop-worker.yaml': WORKER } })

t.test('the forum thread: read:Interaction is denied and read:interaction suggested', async (t) => {
  const r = await runCli(['check', '--client', 'prod-app-8821', '--env', 'prod', 'read:Interaction'], { cwd })
  t.equal(r.code, 1)
  t.match(r.stdout, /^denied: prod-app-8821 \(agent-desktop-worker, prod\)/)
  t.match(r.stdout, /read:Interaction: case_mismatch: .*\n {4}suggestion: read:interaction\n/)
  // The message says where to change the whitelist.
  t.match(r.stdout, /policies\/agent-desktop-worker\.yaml:\d+/)
})

t.test('whitelisted scopes are allowed, exit 0', async (t) => {
  const r = await runCli(['check', '--client', 'prod-app-8821', '--env', 'prod', 'read:interaction', 'read:analytics'], { cwd })
  t.equal(r.code, 0)
  t.match(r.stdout, /^allowed: prod-app-8821 \(agent-desktop-worker, prod\) may request read:interaction read:analytics\n$/)
})

t.test('--format json prints the check result object', async (t) => {
  const r = await runCli(['check', '--client', 'prod-app-8821', '--format', 'json', 'read:interaction', 'openid'], { cwd })
  t.equal(r.code, 1)
  const result = JSON.parse(r.stdout) as Record<string, unknown>
  t.same(Object.keys(result).sort(), ['allowed', 'app', 'environment', 'scopes', 'violations'])
  t.match(result, { allowed: false, app: 'agent-desktop-worker', environment: 'prod', scopes: ['read:interaction', 'openid'] })
  t.match(result.violations, [{ scope: 'openid', code: 'user_scope' }])
})

t.test('an unknown client and an environment mismatch are denied', async (t) => {
  const unknown = await runCli(['check', '--client', 'nobody', 'read:interaction'], { cwd })
  t.equal(unknown.code, 1)
  t.match(unknown.stdout, /unknown_client/)
  const wrongEnv = await runCli(['check', '--client', 'prod-app-8821', '--env', 'staging', 'read:interaction'], { cwd })
  t.equal(wrongEnv.code, 1)
  t.match(wrongEnv.stdout, /unknown_client: clientId "prod-app-8821" belongs to environment "prod" .*not "staging"/)
})

t.test('--format github puts each violation on the whitelist line', async (t) => {
  const r = await runCli(['check', '--client', 'prod-app-8821', '--format', 'github', 'read_interaction'], { cwd })
  t.equal(r.code, 1)
  // `scopes:` of prod is line 8 of the fixture.
  t.match(r.stdout, /^::error file=policies\/agent-desktop-worker\.yaml,line=8,title=scope-policy check%3A near_miss::.*\(suggestion: read:interaction\)$/m)
})

t.test('--format markdown: summary line and a violation table', async (t) => {
  const r = await runCli(['check', '--client', 'prod-app-8821', '--format', 'markdown', 'read:Interaction'], { cwd })
  t.equal(r.code, 1)
  t.match(r.stdout, /^\*\*scope-policy check\*\* denied: /)
  t.match(r.stdout, /\| `read:Interaction` \| `case_mismatch` \| .* \| `read:interaction` \|/)
})

t.test('a policy folder with errors: exit 1 with one line naming the file', async (t) => {
  const bad = t.testdir({ 'broken.yaml': 'app: broken\nowner: [unclosed\n' })
  const r = await runCli(['check', '--client', 'x', '--policies', bad, 'read:x'])
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.match(r.stderr, /^scope-policy: the policies in .* do not load: .*broken\.yaml:\d+:\d+: error /)
  t.equal(r.stderr.trim().split('\n').length, 1)
})

t.test('--client is required; a positional is a scope, not a folder', async (t) => {
  const r = await runCli(['check', 'read:interaction'], { cwd })
  t.equal(r.code, 2)
  t.equal(r.stderr, "scope-policy: missing --client ID (see 'scope-policy check --help')\n")
})
