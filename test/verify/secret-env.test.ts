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
  const r = loadPolicyFiles([file('billing', { prod: ['secretEnv: BILLING_PROD_SECRET', 'privateKeyEnv: BILLING_KEY', 'tlsCertEnv: _CERT', 'tlsKeyEnv: TLS_KEY_2'] })])
  t.same(codes(r), ['auth-method-credential'], 'loaded; only the warning that a secret client names key variables')
  const env = r.policies?.apps.get('billing')?.environments.get('prod')
  t.equal(env?.secretEnv, 'BILLING_PROD_SECRET')
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
  const r = loadPolicyFiles([file('a-b', { c: ['secretEnv: AB_C_SECRET'] }), file('a', { 'b-c': [] })])
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
  const tls = loadPolicyFiles([file('a-b', { c: ['authMethod: tls_client_auth', 'tlsCertEnv: AB_C_CERT'] }), file('a', { 'b-c': ['authMethod: self_signed_tls_client_auth', 'tlsCertEnv: A_BC_CERT'] })])
  t.match(tls.findings.map((f) => f.message), [/both read their TLS key from SCOPE_POLICY_TLS_KEY_A_B_C: set tlsKeyEnv/])
})
