// The `…Env` fields of a policy entry and the secret-env-collision rule (docs/verify.md).
import t from 'tap'
import { loadPolicyFiles } from '../../service/policy/index.js'
import { formatPolicyText } from '../../service/policy/fmt.js'

function file (app: string, envs: Record<string, string[]>): { file: string, text: string } {
  const lines = [`app: ${app}`, 'owner: "@team/x"', 'provider: generic', 'environments:']
  for (const [name, extra] of Object.entries(envs)) {
    lines.push(`  ${name}:`, `    clientId: ${app}.${name}`, '    tokenEndpoint: https://auth.example.com/token', ...extra.map((l) => `    ${l}`), '    scopes: {}')
  }
  return { file: `${app}.yaml`, text: `${lines.join('\n')}\n` }
}

const codes = (r: ReturnType<typeof loadPolicyFiles>): string[] => r.findings.map((f) => f.code)

t.test('secretEnv, privateKeyEnv, tlsCertEnv, tlsKeyEnv take variable names and are not secrets', async (t) => {
  const r = loadPolicyFiles([file('billing', { prod: ['secretEnv: SCOPE_POLICY_BILLING_PROD', 'privateKeyEnv: BILLING_KEY', 'tlsCertEnv: _CERT', 'tlsKeyEnv: TLS_KEY_2'] })])
  t.same(codes(r), ['auth-method-credential'], 'loaded; only the warning that a secret client names key variables')
  const env = r.policies?.apps.get('billing')?.environments.get('prod')
  t.equal(env?.secretEnv, 'SCOPE_POLICY_BILLING_PROD')
  t.equal(env?.privateKeyEnv, 'BILLING_KEY')
  t.equal(env?.tlsCertEnv, '_CERT')
  t.equal(env?.tlsKeyEnv, 'TLS_KEY_2')
})

t.test('a value that is not a variable name is a schema error that does not echo it', async (t) => {
  // 84629173: a number-only secret, which YAML reads as a number, not a string.
  for (const value of ['lower_case', '9STARTS_WITH_DIGIT', 'HAS-DASH', 'hunter2', '84629173']) {
    const r = loadPolicyFiles([file('billing', { prod: [`secretEnv: ${value}`] })])
    t.equal(r.policies, null, value)
    const f = r.findings.find((x) => x.code === 'schema')
    t.match(f?.message, /"secretEnv" of environment "prod" must be the NAME of an environment variable/, value)
    t.notOk(f?.message.includes(value), `the message does not quote ${value}`)
    t.equal(f?.line, 8)
  }
})

t.test('a secret pasted as the value is still a secret finding', async (t) => {
  const r = loadPolicyFiles([file('billing', { prod: ['secretEnv: AKIAABCDEFGHIJKLMNOP'] })])
  t.same(codes(r), ['secret'])
})

t.test('other secret-like keys stay refused', async (t) => {
  const r = loadPolicyFiles([file('billing', { prod: ['secretValue: X', 'clientSecret: Y'] })])
  t.same(codes(r), ['secret', 'secret'])
})

t.test('two entries whose default secret variables collide are an error at the second', async (t) => {
  // SCOPE_POLICY_SECRET_A_B_C for a-b/c and for a/b-c; and for a/b.c in the same folder.
  const r = loadPolicyFiles([file('a-b', { c: [] }), file('a', { 'b-c': [], 'b.c': [] })])
  t.equal(r.policies, null)
  const found = r.findings.filter((f) => f.code === 'secret-env-collision')
  t.equal(found.length, 2)
  t.match(found[0]?.message, /SCOPE_POLICY_SECRET_A_B_C: set secretEnv on one of them/)
  t.match(found.map((f) => f.message).join('\n'), /a\/b-c and a-b\/c/)
  t.equal(found[0]?.severity, 'error')
})

t.test('secretEnv on one of them ends the collision', async (t) => {
  const r = loadPolicyFiles([file('a-b', { c: ['secretEnv: SCOPE_POLICY_AB_C_SECRET'] }), file('a', { 'b-c': [] })])
  t.same(r.findings, [])
})

t.test('fmt puts the variable fields after resource, before scopes', async (t) => {
  const text = 'app: a\nowner: "@t/x"\nprovider: generic\nenvironments:\n  prod:\n    scopes: {}\n    secretEnv: A_SECRET\n    clientId: a-prod\n    tokenEndpoint: https://auth.example.com/token\n'
  const out = formatPolicyText(text)
  t.match(out.ok ? out.text : '', /clientId: a-prod\n\s+tokenEndpoint: .*\n\s+secretEnv: A_SECRET\n\s+scopes: \{\}/)
})

t.test('auth-method-credential: an entry naming the variable of a credential its method does not use', async (t) => {
  const r = loadPolicyFiles([
    file('keyed', { prod: ['authMethod: private_key_jwt', 'secretEnv: KEYED_SECRET'], staging: ['authMethod: private_key_jwt', 'privateKeyEnv: KEYED_KEY'] }),
    file('secret', { prod: ['authMethod: client_secret_post', 'privateKeyEnv: SECRET_KEY', 'tlsKeyEnv: SECRET_TLS_KEY'] }),
    file('mtls', { prod: ['authMethod: tls_client_auth', 'tlsCertEnv: MTLS_CERT', 'tlsKeyEnv: MTLS_KEY'] })
  ])
  t.not(r.policies, null, 'a warning: the policies still load')
  const found = r.findings.filter((f) => f.code === 'auth-method-credential')
  t.same(found.map((f) => [f.file, f.severity]), [['keyed.yaml', 'warning'], ['secret.yaml', 'warning']])
  t.match(found[0]?.message, /keyed\/prod: authMethod private_key_jwt does not use secretEnv: remove it \(this method reads privateKeyEnv\)/)
  t.match(found[1]?.message, /secret\/prod: authMethod client_secret_post does not use privateKeyEnv, tlsKeyEnv: remove them/)
})

t.test('default key and certificate variables collide like secret ones; a key client never reads the secret name', async (t) => {
  const r = loadPolicyFiles([
    file('a-b', { c: ['authMethod: private_key_jwt'] }),
    file('a', { 'b-c': ['authMethod: private_key_jwt'], 'b.c': [] })
  ])
  const found = r.findings.filter((f) => f.code === 'secret-env-collision')
  t.equal(found.length, 1, 'a/b.c reads SCOPE_POLICY_SECRET_A_B_C alone')
  t.match(found[0]?.message, /both read their private key from SCOPE_POLICY_PRIVATE_KEY_A_B_C: set privateKeyEnv on one of them/)
  const tls = loadPolicyFiles([file('a-b', { c: ['authMethod: tls_client_auth', 'tlsCertEnv: SCOPE_POLICY_AB_C_CERT'] }), file('a', { 'b-c': ['authMethod: self_signed_tls_client_auth', 'tlsCertEnv: SCOPE_POLICY_A_BC_CERT'] })])
  t.match(tls.findings.map((f) => f.message), [/both read their TLS key from SCOPE_POLICY_TLS_KEY_A_B_C: set tlsKeyEnv/])
})

t.test('secret-env-prefix: a variable outside SCOPE_POLICY_… is a warning, and the folder still loads', async (t) => {
  const r = loadPolicyFiles([
    file('billing', { prod: ['secretEnv: AWS_SECRET_ACCESS_KEY'] }),
    file('keys', { prod: ['authMethod: private_key_jwt', 'privateKeyEnv: DEPLOY_KEY'], tls: ['authMethod: tls_client_auth', 'tlsCertEnv: SCOPE_POLICY_KEYS_CERT', 'tlsKeyEnv: TLS_KEY'] })
  ])
  t.not(r.policies, null, 'only verify reads these fields: never a reason not to load')
  const found = r.findings.filter((f) => f.code === 'secret-env-prefix')
  t.same(found.map((f) => [f.file, f.line, f.severity]), [['billing.yaml', 5, 'warning'], ['keys.yaml', 5, 'warning'], ['keys.yaml', 11, 'warning']])
  t.match(found[0]?.message, /billing\/prod: secretEnv names AWS_SECRET_ACCESS_KEY, not a SCOPE_POLICY_… variable: verify skips the entry unless run with --allow-env AWS_SECRET_ACCESS_KEY/)
  t.match(found[1]?.message, /keys\/prod: privateKeyEnv names DEPLOY_KEY/)
  t.match(found[2]?.message, /keys\/tls: tlsKeyEnv names TLS_KEY/)
  t.same(r.findings.filter((f) => f.code !== 'secret-env-prefix'), [], 'nothing else')
})

t.test('secret-env-shared: a variable another entry reads too, by its default name or an explicit one', async (t) => {
  // The attack: one line points another app's entry at the ledger's secret.
  const r = loadPolicyFiles([
    file('ledger-reconciler', { prod: [] }),
    file('reports', { prod: ['secretEnv: SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD'], staging: ['secretEnv: SCOPE_POLICY_REPORTS_SHARED'] }),
    file('search', { prod: ['secretEnv: SCOPE_POLICY_REPORTS_SHARED'] })
  ])
  t.not(r.policies, null, 'a warning: the policies still load for the plugin and the service')
  const found = r.findings.filter((f) => f.code === 'secret-env-shared')
  t.same(found.map((f) => [f.file, f.severity]), [
    ['ledger-reconciler.yaml', 'warning'], ['reports.yaml', 'warning'], ['reports.yaml', 'warning'], ['search.yaml', 'warning']
  ], 'every entry that shares is named')
  t.match(found[0]?.message, /ledger-reconciler\/prod reads its secret from SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD, as reports\/prod \(reports\.yaml:5\) does: verify skips every entry that shares a variable/)
  t.match(found.map((f) => f.message).join('\n'), /search\/prod reads its secret from SCOPE_POLICY_REPORTS_SHARED, as reports\/staging \(reports\.yaml:\d+\) does/)
  t.same(r.findings.filter((f) => f.code !== 'secret-env-shared'), [])
})

t.test('secret-env-shared: names a few entries and counts the rest', async (t) => {
  const envs = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`e${i}`, ['secretEnv: SCOPE_POLICY_ONE']]))
  const r = loadPolicyFiles([file('many', envs)])
  const found = r.findings.filter((f) => f.code === 'secret-env-shared')
  t.equal(found.length, 8)
  t.match(found[0]?.message, /as many\/e1 \(many\.yaml:\d+\), many\/e2 \(many\.yaml:\d+\), many\/e3 \(many\.yaml:\d+\), 4 more do:/)
})

t.test('two default names that collide stay one error, not also a shared warning', async (t) => {
  const r = loadPolicyFiles([file('a-b', { c: [] }), file('a', { 'b-c': [] })])
  t.same(codes(r), ['secret-env-collision'])
})
