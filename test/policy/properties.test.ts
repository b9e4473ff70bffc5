import t from 'tap'
import fc from 'fast-check'
import {
  check,
  checkGeneric,
  loadPolicyFiles,
  type CheckResult,
  type PolicySet,
  type ViolationCode,
} from '../../service/policy/index.js'
import { USER_SCOPES } from '../../service/policy/scope-grammar.js'

const CODES: readonly ViolationCode[] = [
  'unknown_client',
  'not_whitelisted',
  'case_mismatch',
  'near_miss',
  'user_scope',
  'malformed',
  'empty',
]

function policyYaml (app: string, envs: Record<string, { clientId: string; scopes: string[] }>): string {
  const lines = [`app: ${app}`, 'owner: "@team/x"', 'provider: generic', 'environments:']
  for (const [name, env] of Object.entries(envs)) {
    lines.push(`  ${name}:`, `    clientId: ${JSON.stringify(env.clientId)}`, '    tokenEndpoint: https://auth.example.com/token')
    if (env.scopes.length === 0) lines.push('    scopes: {}')
    else lines.push('    scopes:', ...env.scopes.map((s) => `      ${JSON.stringify(s)}: needed (T-1)`))
  }
  return `${lines.join('\n')}\n`
}

const WHITELIST = ['read:interaction', 'read:analytics', 'write:notes', 'Directory.Read.All', 'https://api.example.com/.default']
const policies = ((): PolicySet => {
  const { policies, findings } = loadPolicyFiles([
    { file: 'app-a.yaml', text: policyYaml('app-a', { prod: { clientId: 'a-prod', scopes: WHITELIST }, dev: { clientId: 'a-dev', scopes: [] } }) },
  ])
  if (!policies) throw new Error(JSON.stringify(findings))
  return policies
})()

function wellFormed (r: CheckResult): boolean {
  return (
    typeof r.allowed === 'boolean' &&
    Array.isArray(r.scopes) &&
    r.scopes.every((s) => typeof s === 'string' && s.length > 0 && !/\s/.test(s)) &&
    new Set(r.scopes).size === r.scopes.length &&
    Array.isArray(r.violations) &&
    r.violations.every((v) => CODES.includes(v.code) && typeof v.message === 'string' && typeof v.scope === 'string') &&
    r.allowed === (r.violations.length === 0)
  )
}

// Scopes near the whitelist: exact, recased, separator-swapped, typo'd, plus junk and unicode.
const scopeLike = fc.oneof(
  fc.constantFrom(...WHITELIST),
  fc.constantFrom(...WHITELIST).map((s) => s.toUpperCase()),
  fc.constantFrom(...WHITELIST).map((s) => s.replace(/:/g, '_')),
  fc.tuple(fc.constantFrom(...WHITELIST), fc.nat(), fc.string({ maxLength: 1 })).map(
    ([s, i, c]) => s.slice(0, i % s.length) + c + s.slice((i % s.length) + 1)
  ),
  fc.constantFrom(...USER_SCOPES, 'a,b', '*', 'read:*', ''),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 })
)
const scopesInput = fc.oneof(
  fc.array(scopeLike, { maxLength: 8 }).map((a) => a.join(' ')),
  fc.array(scopeLike, { maxLength: 8 }),
  fc.anything(),
  fc.array(fc.anything(), { maxLength: 5 })
)
const request = fc.record(
  {
    clientId: fc.oneof(fc.constantFrom('a-prod', 'a-dev', 'nobody'), fc.anything()),
    environment: fc.oneof(fc.constantFrom('prod', 'dev', 'qa'), fc.anything()),
    scopes: scopesInput,
  },
  { requiredKeys: [] }
)

t.test('check() never throws and always answers in shape, for any input', async (t) => {
  fc.assert(
    fc.property(fc.oneof(request, fc.anything()), (req) => {
      const r = check(policies, req as never)
      return wellFormed(r)
    }),
    { numRuns: 2000 }
  )
  fc.assert(
    fc.property(fc.anything(), fc.anything(), (set, req) => wellFormed(check(set as never, req as never))),
    { numRuns: 300 }
  )
  t.pass('no input made check() throw or answer out of shape')
})

t.test('an allowed result only ever holds whitelisted scopes of that client', async (t) => {
  let allowedSeen = 0
  fc.assert(
    fc.property(request, (req) => {
      const r = check(policies, req as never)
      if (!r.allowed) return true
      allowedSeen++
      const entry = policies.byClientId.get(String((req as { clientId?: unknown }).clientId))
      return entry !== undefined && r.environment === entry.environment.name && r.scopes.every((s) => entry.environment.scopes.has(s))
    }),
    { numRuns: 3000 }
  )
  t.ok(allowedSeen > 0, `the generator reached allowed results too (${allowedSeen})`)
})

t.test('huge strings and unicode are handled', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1000, maxLength: 5000 }), (s) => {
      const r = check(policies, { clientId: 'a-prod', scopes: s })
      return wellFormed(r) && r.violations.every((v) => v.message.length < 2000)
    }),
    { numRuns: 50 }
  )
  t.ok(wellFormed(check(policies, { clientId: 'a-prod', scopes: 'x'.repeat(2_000_000) })))
  t.ok(wellFormed(check(policies, { clientId: 'a-prod', scopes: Array.from({ length: 50_000 }, (_, i) => `s${i}`) })))
})

t.test('checkGeneric never throws and never flags a plain scope-token', async (t) => {
  fc.assert(
    fc.property(fc.anything(), (input) => {
      const r = checkGeneric(input)
      return Array.isArray(r.scopes) && Array.isArray(r.violations)
    }),
    { numRuns: 1000 }
  )
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,10}(:[a-z0-9.]{1,10}){0,2}$/), (s) => {
      fc.pre(!USER_SCOPES.has(s))
      return checkGeneric(s).violations.length === 0
    }),
    { numRuns: 500 }
  )
  t.pass('checkGeneric held for every generated input')
})

const validScope = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}(:[a-z0-9./_-]{1,12}){0,2}$/).filter((s) => !USER_SCOPES.has(s))

t.test('whatever a generated whitelist holds, requesting part of it is allowed', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(validScope, { minLength: 1, maxLength: 20 }), fc.nat(), (scopes, pick) => {
      const { policies: set, findings } = loadPolicyFiles([
        { file: 'gen.yaml', text: policyYaml('gen', { prod: { clientId: 'gen-prod', scopes } }) },
      ])
      if (!set || findings.some((f) => f.severity === 'error')) return false
      const asked = scopes.filter((_, i) => (pick >> i) & 1 || i === 0)
      const r = check(set, { clientId: 'gen-prod', environment: 'prod', scopes: asked.join(' ') })
      return r.allowed && r.scopes.length === asked.length
    }),
    { numRuns: 200 }
  )
  t.pass('every generated whitelist allowed its own scopes')
})

t.test('the loader never throws for any file text, and every finding is well placed', async (t) => {
  const lines = [
    'app: app-one',
    'owner: "@t/x"',
    'provider: generic',
    'environments:',
    '  prod:',
    '    clientId: x',
    '    tokenEndpoint: http://example.com',
    '    scopes:',
    '      read:a: r',
    '    scopes: {}',
    '      openid: r',
    '  &a x: *a',
    '- [',
    '"unterminated',
    '? complex',
    'key: !!binary aGk=',
    '\t tab',
  ]
  const yamlish = fc.array(fc.oneof(fc.constantFrom(...lines), fc.string({ unit: 'binary', maxLength: 20 })), { maxLength: 20 }).map((l) => l.join('\n'))
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), fc.string({ unit: 'grapheme', maxLength: 200 }), yamlish), (text) => {
      const r = loadPolicyFiles([{ file: 'app-one.yaml', text }])
      const placed = r.findings.every(
        (f) => f.file === 'app-one.yaml' && f.line >= 1 && f.col >= 1 && !f.message.includes('\n') && f.message.length > 0
      )
      return placed && (r.policies === null) === r.findings.some((f) => f.severity === 'error')
    }),
    { numRuns: 1000 }
  )
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
  t.doesNotThrow(() => loadPolicyFiles([{ file: 'deep.yaml', text: deep }]))
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 10 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n')
  const r = loadPolicyFiles([{ file: 'bomb.yaml', text: bomb }])
  t.equal(r.policies, null, 'an alias bomb is refused')
  t.ok(r.findings.some((f) => f.code === 'yaml-alias'))
})

t.test('pathological long values load (every scan is linear)', async (t) => {
  const file = (value: string): string => policyYaml('app-one', { prod: { clientId: 'p', scopes: ['read:x'] } }).replace('needed (T-1)', JSON.stringify(value))
  for (const value of ['eyJ'.repeat(100_000), '-eyJ'.repeat(100_000), 'a.'.repeat(150_000), `-----BEGIN ${'A'.repeat(300_000)}`, ' :'.repeat(150_000)]) {
    const r = loadPolicyFiles([{ file: 'app-one.yaml', text: file(value) }])
    t.ok(r.findings.every((f) => f.message.length < 500), `${value.slice(0, 8)}…: findings stay short`)
  }
})
