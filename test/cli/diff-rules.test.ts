// The risk table of `scope-policy diff` (documented in docs/pr-review.md, "What the risk flags mean").
import t from 'tap'
import { diffPolicySets } from '../../service/policy/diff.js'
import { riskRank } from '../../service/policy/risk.js'
import { classifyScope } from '../../service/policy/scope-risk.js'
import { loadPolicyFiles } from '../../service/policy/index.js'
import { policyYaml } from '../helpers/cli.js'

t.test('scope names are flagged by their words', async (t) => {
  const table: [string, string][] = [
    ['read:interaction', 'low'],
    ['conversations.readonly', 'low'],
    ['read:users', 'medium'],
    ['read:secrets', 'high'],
    ['write:interaction', 'high'],
    ['interaction:delete', 'high'],
    ['recordingExport', 'low'],
    ['createRecording', 'high'],
    ['admin:billing', 'high'],
    ['admin:clients', 'critical'],
    ['oauth:clients:manage', 'critical'],
    ['User.ReadWrite.All', 'critical'],
    ['roles:write', 'critical'],
    ['grants*', 'critical'],
    ['https://api.example.com/keys.rotate', 'critical'],
  ]
  for (const [scope, risk] of table) t.equal(classifyScope(scope).risk, risk, scope)
})

function set (files: Record<string, string>) {
  const r = loadPolicyFiles(Object.entries(files).map(([file, text]) => ({ file, text })), { dir: 'policies' })
  if (!r.policies) throw new Error(JSON.stringify(r.findings))
  return r.policies
}

t.test('prod-only grants are at least medium; write scopes stay high', async (t) => {
  const base = set({ 'w.yaml': policyYaml('w', { prod: { clientId: 'p', scopes: {} }, staging: { clientId: 's', scopes: { 'read:b': 'b' } } }) })
  const head = set({ 'w.yaml': policyYaml('w', { prod: { clientId: 'p', scopes: { 'read:a': 'a', 'read:b': 'b', 'write:c': 'c' } }, staging: { clientId: 's', scopes: { 'read:b': 'b' } } }) })
  const { changes, summary } = diffPolicySets(base, head)
  t.same(changes.map((c) => [c.scope, c.risk]), [['write:c', 'high'], ['read:a', 'medium'], ['read:b', 'low']])
  t.equal(summary.highest, 'high')
  t.ok(changes.every((c, i) => i === 0 || riskRank(changes[i - 1]!.risk) >= riskRank(c.risk)), 'riskiest first')
})

t.test('identical sets have no changes; clientId and same-host endpoint changes are high, another host critical', async (t) => {
  const a = { 'w.yaml': policyYaml('w', { prod: { clientId: 'p', scopes: { 'read:a': 'a' } } }) }
  t.same(diffPolicySets(set(a), set(a)).changes, [])
  const b = { 'w.yaml': policyYaml('w', { prod: { clientId: 'p2', tokenEndpoint: 'https://prod.example.com/v2/token', scopes: { 'read:a': 'a' } } }) }
  t.match(diffPolicySets(set(a), set(b)).changes, [
    { kind: 'client-id-changed', before: 'p', after: 'p2', risk: 'high' },
    { kind: 'token-endpoint-changed', risk: 'high' },
  ])
  const c = { 'w.yaml': policyYaml('w', { prod: { clientId: 'p', tokenEndpoint: 'https://other.example.com/oauth/token', scopes: { 'read:a': 'a' } } }) }
  t.match(diffPolicySets(set(a), set(c)).changes, [
    { kind: 'endpoint-host-changed', before: 'https://prod.example.com/oauth/token', after: 'https://other.example.com/oauth/token', risk: 'critical', why: /another host \(other\.example\.com\)/ },
  ])
  t.equal(diffPolicySets(set(a), set(c)).changes.length, 1, 'one change, not also token-endpoint-changed')
})

/** `w` with one prod entry whose lines after tokenEndpoint are `extra`. */
const withFields = (extra: string[], app = 'w', env = 'prod'): Record<string, string> =>
  ({ [`${app}.yaml`]: policyYaml(app, { [env]: { clientId: `${app}-${env}`, scopes: { 'read:a': 'a' } } }).replace(/(tokenEndpoint: .*\n)/, `$1${extra.map((l) => `    ${l}\n`).join('')}`) })

t.test('secret-env-changed: any of the four variable fields added, removed or changed is critical', async (t) => {
  const none = set(withFields([]))
  const ledger = set(withFields(['secretEnv: SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD']))
  t.match(diffPolicySets(none, ledger).changes, [
    { kind: 'secret-env-changed', field: 'secretEnv', after: 'SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD', risk: 'critical', why: /never choose which secret/ },
  ], 'added')
  t.match(diffPolicySets(ledger, none).changes, [{ kind: 'secret-env-changed', field: 'secretEnv', before: 'SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD', risk: 'critical' }], 'removed')
  t.notOk('after' in diffPolicySets(ledger, none).changes[0]!)
  const keyed = (v: string) => set(withFields(['authMethod: private_key_jwt', `privateKeyEnv: ${v}`, `tlsCertEnv: ${v}_CERT`, `tlsKeyEnv: ${v}_KEY`]))
  const changes = diffPolicySets(keyed('SCOPE_POLICY_A'), keyed('SCOPE_POLICY_B')).changes
  t.same(changes.map((c) => [c.kind, c.field, c.before, c.after, c.risk]), [
    ['secret-env-changed', 'privateKeyEnv', 'SCOPE_POLICY_A', 'SCOPE_POLICY_B', 'critical'],
    ['secret-env-changed', 'tlsCertEnv', 'SCOPE_POLICY_A_CERT', 'SCOPE_POLICY_B_CERT', 'critical'],
    ['secret-env-changed', 'tlsKeyEnv', 'SCOPE_POLICY_A_KEY', 'SCOPE_POLICY_B_KEY', 'critical'],
  ], 'changed, each field, also one the auth method does not read')
})

t.test('secret-env-changed also on a new environment and a new app', async (t) => {
  const base = set(withFields([]))
  const newEnv = set({
    'w.yaml': policyYaml('w', { prod: { clientId: 'w-prod', scopes: { 'read:a': 'a' } }, qa: { clientId: 'w-qa', scopes: {} } })
      .replace(/(tokenEndpoint: https:\/\/qa.*\n)/, '$1    secretEnv: SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD\n'),
  })
  t.match(diffPolicySets(base, newEnv).changes.filter((c) => c.kind === 'secret-env-changed'),
    [{ environment: 'qa', field: 'secretEnv', after: 'SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD', risk: 'critical' }])
  const newApp = set({ ...withFields([]), ...withFields(['secretEnv: SCOPE_POLICY_X'], 'n', 'dev') })
  const diff = diffPolicySets(base, newApp)
  t.match(diff.changes.filter((c) => c.kind === 'secret-env-changed'), [{ app: 'n', environment: 'dev', after: 'SCOPE_POLICY_X', risk: 'critical' }])
  t.equal(diff.summary.highest, 'critical')
  t.same(diffPolicySets(base, set({ ...withFields([]), ...withFields([], 'n', 'dev') })).changes.filter((c) => c.kind === 'secret-env-changed'), [],
    'a new entry reading its default variable changes no field')
})
