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
  t.same(r.findings, [])
  const env = r.policies?.apps.get('billing')?.environments.get('prod')
  t.equal(env?.secretEnv, 'BILLING_PROD_SECRET')
  t.equal(env?.privateKeyEnv, 'BILLING_KEY')
  t.equal(env?.tlsCertEnv, '_CERT')
  t.equal(env?.tlsKeyEnv, 'TLS_KEY_2')
})

t.test('a value that is not a variable name is a schema error that does not echo it', async (t) => {
  for (const value of ['lower_case', '9STARTS_WITH_DIGIT', 'HAS-DASH', 'hunter2']) {
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
