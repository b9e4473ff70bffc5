// Secrets never belong in a policy file (docs/policy-files.md): each is a finding by kind, and no
// finding echoes text of the file beyond a key name.
import t from 'tap'
import fc from 'fast-check'
import {
  formatFinding,
  loadPolicyDir,
  loadPolicyFiles,
  type Finding,
} from '../../service/policy/index.js'
import { bad, CANARY, VALID } from '../helpers/policy-texts.js'

t.test('a secret is named by kind, never echoed', async (t) => {
  const cases: Array<[string, string]> = [
    ['secret-key', 'hunter2'],
    ['secret-value', 'sk_live_9f3a7Bq2'],
    ['secret-entropy', 'Zx8Qm2Lr7Vt4Np9Kc3Hs6Wd1Fg5Jb0Ye'],
    ['secret-pem', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'],
  ]
  for (const [name, secret] of cases) {
    const { findings } = await loadPolicyDir(bad(name))
    const text = findings.map((f) => formatFinding(f)).join('\n')
    t.notOk(text.includes(secret), `${name}: the value is not in the finding`)
    t.match(text, /secret/)
  }
  const dir = t.testdir({
    'app-one.yaml': VALID.replace('https://auth.example.com/token', 'https://bob:s3cr3tpass@auth.example.com/token'),
  })
  const { findings } = await loadPolicyDir(dir)
  t.same(findings.map((f) => [f.code, f.line, f.col]), [['secret', 7, 20]], 'a password in a URL')
  t.notOk(findings[0]?.message.includes('s3cr3tpass'))
})

t.test('identifiers are random by nature: a random clientId is not a secret', async (t) => {
  const { findings } = loadPolicyFiles([
    { file: 'app-one.yaml', text: VALID.replace('one-prod', 'yq9J3kxT2mLw8ZpR4vNc7HbQ1sDf6GaE') },
  ])
  t.same(findings, [])
})

t.test('links in reasons are not secrets, keys in their query strings are', async (t) => {
  const reason = (r: string): string[] =>
    loadPolicyFiles([{ file: 'app-one.yaml', text: VALID.replace('list things (T-1)', r) }]).findings.map((f) => f.code)
  t.same(reason('see https://docs.example.com/document/d/1aBcD3fGhIjKlMnOpQrStUvWxYz0123456789AbCd/edit'), [])
  t.same(reason('see https://example.com/x?key=Zx8Qm2Lr7Vt4Np9Kc3Hs6Wd1Fg5Jb0Ye'), ['secret'])
  t.same(reason('approved in a3f9c2e1d4b5a6978877665544332211aabbccdd'), [], 'a git commit id')
  t.same(reason('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.sig'), ['secret'], 'a JWT')
  t.same(reason('runbook at https://bob:hunter2pass@wiki.example.com/page'), ['secret'], 'a password in a link, not only at the start')
})

t.test('secret-like keys anywhere are one secret finding each (not also unknown fields)', async (t) => {
  const text = VALID.replace('provider: generic', 'provider: generic\napiKey: abc')
    .replace('    clientId: one-prod', '    clientId: one-prod\n    clientSecret: abc\n    password: abc\n    private_key: abc')
  const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(
    findings.map((f) => [f.code, f.line, f.col]),
    [
      ['secret', 4, 1],
      ['secret', 8, 5],
      ['secret', 9, 5],
      ['secret', 10, 5],
    ]
  )
  const scopeNamed = loadPolicyFiles([{ file: 'app-one.yaml', text: VALID.replace('read:things', 'secrets:read') }])
  t.same(scopeNamed.findings, [], 'a scope named after secrets is a scope, not a secret')
})

t.test('a secret pasted as a key is one secret finding by kind, never echoed as a field or a scope', async (t) => {
  const stripe = 'sk_live_51HabcdefGHIJKLMNOP1234'
  const github = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig'
  const random = 'Zx8Qm2Lr7Vt4Np9Kc3Hs6Wd1Fg5Jb0Ye'
  const text = VALID.replace('provider: generic', `provider: generic\n${stripe}: oops\n${random}: oops`)
    .replace('    clientId: one-prod', `    clientId: one-prod\n    ${github}: x`)
    .replace('      read:things: list things (T-1)', `      read:things: list things (T-1)\n      ${jwt}: pasted`)
  const { policies, findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.equal(policies, null, 'the folder does not load')
  t.same(
    findings.map((f) => [f.code, f.line, f.col]),
    [
      ['secret', 4, 1],
      ['secret', 5, 1],
      ['secret', 9, 5],
      ['secret', 13, 7],
    ]
  )
  const out = findings.map((f) => formatFinding(f)).join('\n')
  for (const secret of [stripe, github, jwt, random]) t.notOk(out.includes(secret.slice(0, 20)), 'not echoed')

  const twice = loadPolicyFiles([{ file: 'app-one.yaml', text: `${VALID}${stripe}: a\n${stripe}: b\n` }])
  t.same(twice.findings.map((f) => f.code), ['duplicate-key'])
  t.notOk(twice.findings[0]?.message.includes(stripe.slice(0, 12)), 'a duplicate secret key is not echoed either')
})

// No finding carries text of the file beyond a key name: a value written next to a problem,
// whatever the problem, must never reach lint, the service log or /readyz.
const leaks = (findings: readonly Finding[]): string[] => findings.filter((f) => formatFinding(f).includes(CANARY)).map((f) => formatFinding(f))

t.test('a duplicate key names the key only, never the rest of its line (JSON-style YAML)', async (t) => {
  const envs = `environments: {"prod": {"clientId": "one-prod", "client_secret":"${CANARY}-1","client_secret":"${CANARY}-2", "scopes": {}}}\n`
  const text = VALID.slice(0, VALID.indexOf('environments:')) + envs
  const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings.map((f) => [f.code, f.line, f.col]), [['duplicate-key', 4, envs.lastIndexOf('"client_secret"') + 1]], 'at the second key')
  t.match(findings[0]?.message, /^duplicate key "client_secret": /)
  t.same(leaks(findings), [])
})

t.test('YAML errors are described in our words, never with the text that caused them', async (t) => {
  const broken: Array<[string, string]> = [
    ['a bad escape', `description: "\\q${CANARY}"`],
    ['an unknown tag', `description: !${CANARY} x`],
    ['a block scalar header', `description: |${CANARY}\n  text`],
    ['a directive', `%${CANARY} x\n---\ndescription: x`],
    ['a duplicate key that is a secret', `sk_live_${CANARY}: 1\nsk_live_${CANARY}: 2`],
  ]
  for (const [what, line] of broken) {
    const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text: `${line}\n${VALID}` }])
    t.ok(findings.length > 0, `${what}: a finding`)
    t.same(leaks(findings), [], `${what}: not echoed`)
  }
})

t.test('property: whatever breaks a file, no finding echoes a secret written in it', async (t) => {
  // Keys may be named in findings, so the secret is one lint knows (an AWS key id): wherever
  // a broken file puts it, value or key, it is reported by kind only.
  const secret = 'AKIAQ7VXCANARY2345Z7'
  const text = VALID.replace('list things (T-1)', `"${secret} one"`).replace('provider: generic', `provider: generic\ndescription: ${secret} two`)
  const noise = fc.constantFrom('"', "'", ':', ',', '{', '}', '[', '\\', '!', '&', '*', '%', '|', '>', '#', '\n', ' ', '\t', '-', '?')
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(text.length), fc.string({ unit: noise, maxLength: 4 })), { maxLength: 4 }), (edits) => {
      let s = text
      for (const [at, ins] of edits) s = s.slice(0, at) + ins + s.slice(at)
      const shown = loadPolicyFiles([{ file: 'app-one.yaml', text: s }]).findings.map((f) => formatFinding(f))
      return !shown.some((line) => line.includes(secret))
    }),
    { numRuns: 2000 }
  )
})
