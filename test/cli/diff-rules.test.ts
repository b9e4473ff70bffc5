// The risk table of `scope-policy diff` (documented in docs/pr-review.md, "What the risk flags mean").
import t from 'tap'
import { classifyScope, diffPolicySets, riskRank } from '../../service/policy/diff.js'
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

t.test('identical sets have no changes; clientId and endpoint changes are high', async (t) => {
  const a = { 'w.yaml': policyYaml('w', { prod: { clientId: 'p', scopes: { 'read:a': 'a' } } }) }
  t.same(diffPolicySets(set(a), set(a)).changes, [])
  const b = { 'w.yaml': policyYaml('w', { prod: { clientId: 'p2', tokenEndpoint: 'https://other.example.com/t', scopes: { 'read:a': 'a' } } }) }
  t.match(diffPolicySets(set(a), set(b)).changes, [
    { kind: 'client-id-changed', before: 'p', after: 'p2', risk: 'high' },
    { kind: 'token-endpoint-changed', risk: 'high' },
  ])
})
