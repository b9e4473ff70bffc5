// The rules on a policy file's values and scopes (docs/policy-files.md): endpoints, resources,
// user scopes, duplicates, the scope map, the 1,000-scope limit, typed values (!!set, …), and the
// JSON Schema for editors.
import t from 'tap'
import {
  loadPolicyFiles,
  policyJsonSchema,
} from '../../service/policy/index.js'
import { brief, VALID } from '../helpers/policy-texts.js'

t.test('http: token endpoints are allowed on loopback only', async (t) => {
  const codes = (endpoint: string): string[] =>
    loadPolicyFiles([{ file: 'app-one.yaml', text: VALID.replace('https://auth.example.com/token', endpoint) }]).findings.map(
      (f) => f.code
    )
  t.same(codes('http://localhost:3000/token'), [])
  t.same(codes('http://127.0.0.1/token'), [])
  t.same(codes('http://127.9.8.7/token'), [])
  t.same(codes('"http://[::1]:8080/token"'), [])
  t.same(codes('http://128.0.0.1/token'), ['insecure-endpoint'])
  t.same(codes('http://localhost.evil.example/token'), ['insecure-endpoint'])
  t.same(codes('ftp://auth.example.com/token'), ['invalid-url'])
  t.same(codes('https://auth.example.com/token#frag'), ['invalid-url'])
})

t.test('resource must be an absolute URI without fragment (RFC 8707 §2)', async (t) => {
  const withResource = (r: string): string =>
    VALID.replace('    scopes:', `    resource: ${r}\n    scopes:`)
  const codes = (r: string): string[] => loadPolicyFiles([{ file: 'app-one.yaml', text: withResource(r) }]).findings.map((f) => f.code)
  t.same(codes('https://api.example.com'), [])
  t.same(codes('urn:example:api'), [])
  t.same(codes('api.example.com'), ['invalid-url'])
  t.same(codes('https://api.example.com/#x'), ['invalid-url'])
})

t.test('every user scope is rejected from a whitelist', async (t) => {
  for (const scope of ['openid', 'offline_access', 'profile', 'email', 'address', 'phone']) {
    const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text: VALID.replace('read:things', scope) }])
    t.same(findings.map((f) => [f.code, f.line, f.col]), [['user-scope', 9, 7]], scope)
  }
})

t.test('several problems in one folder are all reported, sorted by file and line', async (t) => {
  const { policies, findings } = loadPolicyFiles([
    { file: 'zed.yaml', text: VALID.replace('app-one', 'zed').replace('one-prod', 'shared') },
    { file: 'app-one.yaml', text: VALID.replace('one-prod', 'shared').replace('read:things', 'read:*') },
  ])
  t.equal(policies, null)
  t.same(
    findings.map((f) => [f.file, f.line, f.code]),
    [
      ['app-one.yaml', 9, 'wildcard'],
      ['zed.yaml', 6, 'duplicate-client-id'],
    ]
  )
})

t.test('a clientId used twice in one app is a duplicate too', async (t) => {
  const text = `${VALID}  staging:
    clientId: one-prod
    tokenEndpoint: https://auth.example.com/token
    scopes: {}
`
  const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings.map((f) => [f.code, f.line, f.col]), [['duplicate-client-id', 11, 15]])
  t.match(findings[0]?.message, /app-one\/staging is already used by app-one\/prod/)
})

t.test('a scope listed twice is a duplicate-key finding naming the scope', async (t) => {
  const text = VALID.replace('      read:things: list things (T-1)\n', '      read:things: list things (T-1)\n      read:things: again\n')
  const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings.map((f) => [f.code, f.line, f.col]), [['duplicate-key', 10, 7]])
  t.match(findings[0]?.message, 'duplicate key "read:things"')
})

t.test('scopes written as a list get a hint about the map form', async (t) => {
  const text = VALID.replace('      read:things: list things (T-1)', '      - read:things')
  const { findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings.map((f) => [f.code, f.line, f.col]), [['schema', 9, 7]])
  t.match(findings[0]?.message, 'must be a mapping of scope name to reason')
})

t.test('scope keys are taken as written, even when YAML reads them as numbers or null', async (t) => {
  const text = VALID.replace('      read:things: list things (T-1)', '      0x1F: hex-looking (T-1)\n      null: a scope named null (T-2)\n      1e3: (T-3)')
  const { policies, findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings, [])
  t.same([...(policies?.byClientId.get('one-prod')?.environment.scopes.keys() ?? [])], ['0x1F', 'null', '1e3'])
})

t.test('an environment may whitelist at most 1,000 scopes: a too-many-scopes finding', async (t) => {
  const withScopes = (n: number): string =>
    VALID.replace('      read:things: list things (T-1)\n', Array.from({ length: n }, (_, i) => `      read:thing-${i}: reason ${i}\n`).join(''))
  t.same(loadPolicyFiles([{ file: 'app-one.yaml', text: withScopes(1000) }]).findings, [], '1,000 is allowed')
  const over = loadPolicyFiles([{ file: 'app-one.yaml', text: withScopes(1001) }])
  t.equal(over.policies, null)
  t.same(over.findings.map(brief), [{ file: 'app-one.yaml', line: 8, col: 5, severity: 'error', code: 'too-many-scopes' }], 'one finding, at scopes:')
  t.match(over.findings[0]?.message, /environment "prod" whitelists 1001 scopes, more than 1000/)
})

t.test('the JSON Schema helps editors', async (t) => {
  const schema = policyJsonSchema() as Record<string, any>
  t.equal(schema.$id, 'urn:fastify-app-token:policy-file:v1')
  t.equal(schema.title, 'fastify-app-token policy file')
  t.same(schema.required, ['app', 'owner', 'provider', 'environments'])
  t.equal(schema.additionalProperties, false)
  const env = Object.values(schema.properties.environments.patternProperties)[0] as Record<string, any>
  t.same(env.required, ['clientId', 'tokenEndpoint', 'scopes'])
  t.equal(env.additionalProperties, false)
  t.equal(env.properties.authMethod.default, 'client_secret_basic')
  t.type(env.properties.scopes.description, 'string')
  const scopeName = new RegExp(env.properties.scopes.propertyNames.pattern)
  t.same(
    ['read:interaction', 'https://graph.example.com/.default', 'read:*', 'a,b', 'a b', '"q"'].map((s) => scopeName.test(s)),
    [true, true, false, false, false, false],
    'editors flag scope names the loader rejects'
  )
  t.doesNotThrow(() => JSON.stringify(schema))
  schema.title = 'changed'
  t.equal((policyJsonSchema() as Record<string, unknown>).title, 'fastify-app-token policy file', 'each call is a fresh copy')
})

t.test('typed values (!!timestamp, !!binary, !!omap, !!set, !!pairs) are schema errors, never a silently dropped entry', async (t) => {
  // The yaml package resolves these tags in a YAML 1.2 file too.
  const versions = [(text: string): string => `%YAML 1.1\n---\n${text}`, (text: string): string => text]
  const cases: Array<[string, string, RegExp]> = [
    ['!!omap scopes', VALID.replace('    scopes:\n      read:things: list things (T-1)', '    scopes: !!omap\n      - read:things: list things (T-1)'),
      /"scopes" of environment "prod" is tagged !!omap/],
    ['!!set scopes', VALID.replace('    scopes:\n      read:things: list things (T-1)', '    scopes: !!set\n      ? read:things'),
      /"scopes" of environment "prod" is tagged !!set/],
    ['!!pairs environments', VALID.replace('environments:\n  prod:', 'environments: !!pairs\n  - prod:').replace(/\n {4}/g, '\n      '),
      /"environments" is tagged !!pairs/],
    ['a timestamp', VALID.replace('list things (T-1)', '!!timestamp 2026-12-04'), /the reason of scope "read:things" in environment "prod" is a timestamp \(!!timestamp\)/],
    ['a binary value', VALID.replace('list things (T-1)', '!!binary aGVsbG8='), /the reason of scope "read:things" in environment "prod" is binary data \(!!binary\)/],
  ]
  for (const [name, text, message] of cases) {
    for (const version of versions) {
      const { policies, findings } = loadPolicyFiles([{ file: 'app-one.yaml', text: version(text) }])
      t.equal(policies, null, `${name}: the folder does not load`)
      t.match(findings.map((f) => [f.code, f.message]), [['schema', message]], name)
    }
  }
})
