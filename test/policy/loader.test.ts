import t from 'tap'
import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  formatFinding,
  loadPolicyDir,
  loadPolicyFiles,
  loadPolicySet,
  PolicyLoadError,
  policyJsonSchema,
  type Finding,
} from '../../service/policy/index.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = join(root, 'test/fixtures/policies')
const bad = (name: string): string => join(fixtures, 'bad', name)

type Expected = Pick<Finding, 'file' | 'line' | 'col' | 'severity' | 'code'>
const brief = (f: Finding): Expected => ({ file: f.file, line: f.line, col: f.col, severity: f.severity, code: f.code })

// Text that must never reach a finding.
const CANARY = 'CANARYq7Vx'

const VALID = `app: app-one
owner: "@team/one"
provider: generic
environments:
  prod:
    clientId: one-prod
    tokenEndpoint: https://auth.example.com/token
    scopes:
      read:things: list things (T-1)
`

t.test('the shipped policies/ folder lints clean: no error, no warning', async (t) => {
  const { policies, findings } = await loadPolicyDir(join(root, 'policies'))
  t.same(findings.map((f) => formatFinding(f)), [])
  t.ok(policies)
  const worker = policies?.byClientId.get('prod-app-8821')
  t.equal(worker?.app.app, 'agent-desktop-worker')
  t.same([...(worker?.environment.scopes.keys() ?? [])].sort(), ['read:analytics', 'read:interaction'])
  t.equal(policies?.byClientId.get('stg-app-8821')?.environment.scopes.size, 0, 'staging: scopes: {} denies all')
  t.ok([...(policies?.apps.values() ?? [])].some((a) => a.environments.size >= 2), 'an app with two environments')
  t.ok(
    [...(policies?.byClientId.values() ?? [])].some((e) => e.environment.resource !== undefined),
    'an app with a resource'
  )
})

t.test('the good fixture folder loads with its locations and defaults', async (t) => {
  const { policies, findings } = await loadPolicyDir(join(fixtures, 'good'))
  t.same(findings, [])
  if (!policies) throw new Error('no policies')
  t.same([...policies.apps.keys()], ['graph-reader', 'loopback-dev-tool'], 'sorted by file, .yml read too')
  const local = policies.byClientId.get('local-dev-1')
  t.equal(local?.environment.authMethod, 'client_secret_basic', 'authMethod defaults to client_secret_basic')
  t.same(local?.environment.scopesAt, { file: 'loopback-dev-tool.yaml', line: 9, col: 5 })
  t.same(local?.environment.at, { file: 'loopback-dev-tool.yaml', line: 6, col: 3 })
  t.same(local?.environment.scopes.get('read:interaction'), {
    name: 'read:interaction',
    reason: 'local testing',
    at: { file: 'loopback-dev-tool.yaml', line: 10, col: 7 },
  })
  const graph = policies.byClientId.get('3f2a8c1e-9b4d-4e2a-8f1c-7d6e5a4b3c2d')
  t.equal(graph?.environment.authMethod, 'client_secret_post')
  t.equal(graph?.environment.resource, 'urn:example:directory')
  t.ok(graph?.environment.scopes.has('https://graph.example.com/.default'), 'URL-like scope names are scope-tokens')
  t.equal(graph?.app.file, 'graph-reader.yml')
})

// Each bad folder gives exactly these findings, at these places.
const BAD: Record<string, Expected[]> = {
  'yaml-syntax': [{ file: 'app-one.yaml', line: 9, col: 1, severity: 'error', code: 'yaml-syntax' }],
  'duplicate-key': [{ file: 'app-one.yaml', line: 4, col: 1, severity: 'error', code: 'duplicate-key' }],
  'unknown-field': [{ file: 'app-one.yaml', line: 7, col: 5, severity: 'error', code: 'schema' }],
  'missing-scopes': [{ file: 'app-one.yaml', line: 5, col: 3, severity: 'error', code: 'schema' }],
  'missing-owner': [{ file: 'app-one.yaml', line: 2, col: 1, severity: 'error', code: 'schema' }],
  'wrong-type': [{ file: 'app-one.yaml', line: 6, col: 15, severity: 'error', code: 'schema' }],
  'null-scopes': [{ file: 'app-one.yaml', line: 8, col: 12, severity: 'error', code: 'schema' }],
  'bad-auth-method': [{ file: 'app-one.yaml', line: 8, col: 17, severity: 'error', code: 'schema' }],
  'bad-env-name': [{ file: 'app-one.yaml', line: 5, col: 3, severity: 'error', code: 'schema' }],
  'not-kebab': [{ file: 'Bad_App.yaml', line: 1, col: 6, severity: 'error', code: 'schema' }],
  'empty-file': [{ file: 'app-one.yaml', line: 1, col: 1, severity: 'error', code: 'schema' }],
  'app-name-mismatch': [{ file: 'app-one.yaml', line: 1, col: 6, severity: 'error', code: 'app-name-mismatch' }],
  'duplicate-app': [{ file: 'app-one.yml', line: 1, col: 6, severity: 'error', code: 'duplicate-app' }],
  'duplicate-client-id': [{ file: 'app-two.yaml', line: 6, col: 15, severity: 'error', code: 'duplicate-client-id' }],
  'insecure-endpoint': [{ file: 'app-one.yaml', line: 7, col: 20, severity: 'error', code: 'insecure-endpoint' }],
  'invalid-url': [{ file: 'app-one.yaml', line: 7, col: 20, severity: 'error', code: 'invalid-url' }],
  'malformed-scope': [{ file: 'app-one.yaml', line: 9, col: 7, severity: 'error', code: 'malformed-scope' }],
  'comma-list': [{ file: 'app-one.yaml', line: 9, col: 7, severity: 'error', code: 'comma-list' }],
  wildcard: [{ file: 'app-one.yaml', line: 9, col: 7, severity: 'error', code: 'wildcard' }],
  'user-scope': [{ file: 'app-one.yaml', line: 10, col: 7, severity: 'error', code: 'user-scope' }],
  'case-collision': [{ file: 'app-one.yaml', line: 10, col: 7, severity: 'warning', code: 'case-collision' }],
  'secret-key': [{ file: 'app-one.yaml', line: 7, col: 5, severity: 'error', code: 'secret' }],
  'secret-value': [{ file: 'app-one.yaml', line: 2, col: 14, severity: 'error', code: 'secret' }],
  'secret-entropy': [{ file: 'app-one.yaml', line: 9, col: 25, severity: 'error', code: 'secret' }],
  'secret-pem': [{ file: 'app-one.yaml', line: 9, col: 25, severity: 'error', code: 'secret' }],
  'missing-reason': [
    { file: 'app-one.yaml', line: 9, col: 7, severity: 'warning', code: 'missing-reason' },
    { file: 'app-one.yaml', line: 10, col: 7, severity: 'warning', code: 'missing-reason' },
  ],
  'yaml-alias': [{ file: 'app-one.yaml', line: 13, col: 13, severity: 'error', code: 'yaml-alias' }],
  'empty-folder': [{ file: '.', line: 1, col: 1, severity: 'warning', code: 'empty-folder' }],
}

for (const [name, expected] of Object.entries(BAD)) {
  t.test(`bad folder ${name}: exactly the expected finding`, async (t) => {
    const { policies, findings } = await loadPolicyDir(bad(name))
    t.same(findings.map(brief), expected)
    const anyError = expected.some((f) => f.severity === 'error')
    t.equal(policies === null, anyError, anyError ? 'an error: no policy set' : 'warnings only: the set loads')
    for (const f of findings) t.notMatch(f.message, /\n| {4}at /, 'one line, no stack trace')
  })
}

t.test('messages say what to do', async (t) => {
  const msg = async (name: string): Promise<string> => (await loadPolicyDir(bad(name))).findings[0]?.message ?? ''
  t.match(await msg('missing-scopes'), /missing required field "scopes" in environment "prod".*scopes: \{\}/)
  t.match(await msg('unknown-field'), /unknown field "tokenUrl".*allowed: clientId, tokenEndpoint/)
  t.match(await msg('wrong-type'), /"clientId" of environment "prod" must be a string, got a number \(quote it: "8821"\)/)
  t.match(await msg('duplicate-client-id'), /"shared-id" of app-two\/staging is already used by app-one\/prod at app-one\.yaml:6:15/)
  t.match(await msg('duplicate-app'), /already defined at app-one\.yaml:1:6/)
  t.match(await msg('app-name-mismatch'), /rename the file to app-two\.yaml or set app: app-one/)
  t.match(await msg('comma-list'), /one key per scope \(read:interaction, read:analytics\)/)
  t.match(await msg('insecure-endpoint'), /http: token endpoint on auth\.example\.com.*Use https:/)
  t.match(await msg('duplicate-key'), /duplicate key "owner"/)
})

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

t.test('loadPolicyFiles is pure and takes the folder name for the set', async (t) => {
  const { policies } = loadPolicyFiles([{ file: 'app-one.yaml', text: VALID }], { dir: 'policies' })
  t.equal(policies?.dir, 'policies')
  t.equal(loadPolicyFiles([{ file: 'app-one.yaml', text: VALID }]).policies?.dir, '.')
  t.same(loadPolicyFiles([]).findings, [], 'no files from git: an empty set, no finding')
})

t.test('a missing folder and an unreadable file are findings, not throws', async (t) => {
  const missing = await loadPolicyDir(join(fixtures, 'does-not-exist'))
  t.equal(missing.policies, null)
  t.same(missing.findings.map(brief), [{ file: '.', line: 1, col: 1, severity: 'error', code: 'missing-folder' }])
  t.match(missing.findings[0]?.message, /does not exist/)

  const notDir = await loadPolicyDir(join(fixtures, 'good', 'graph-reader.yml'))
  t.same(notDir.findings.map((f) => f.code), ['missing-folder'])
  t.match(notDir.findings[0]?.message, /is not a folder/)

  const dir = t.testdir({ 'app-one.yaml': VALID })
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')])
  const r = await loadPolicyDir(dir)
  t.equal(r.policies, null)
  t.same(r.findings.map(brief), [{ file: 'pipe.yaml', line: 1, col: 1, severity: 'error', code: 'unreadable-file' }], 'a FIFO is not read (nor waited on)')
  t.match(r.findings[0]?.message, /not a regular file/)
})

t.test('symlinks in the folder are never followed: a symlink finding naming the link', async (t) => {
  const outside = t.testdir({
    'secret.yaml': `app: app-two\nowner: "@x/y"\nprovider: generic\n${CANARY}: [\n`,
    'app-two.yaml': VALID.replaceAll('app-one', 'app-two').replace('one-prod', 'two-prod'),
    folder: {},
    policies: { 'app-one.yaml': VALID },
  })
  const dir = join(outside, 'policies')
  await symlink(join(outside, 'secret.yaml'), join(dir, 'leak.yaml'))
  await symlink(join(outside, 'app-two.yaml'), join(dir, 'app-two.yaml'))
  await symlink(join(outside, 'folder'), join(dir, 'folder.yaml'))
  await symlink(join(dir, 'nowhere.yaml'), join(dir, 'broken.yaml'))
  await symlink(join(outside, 'secret.yaml'), join(dir, 'notes.txt'))
  const r = await loadPolicyDir(dir)
  t.equal(r.policies, null, 'a symlink is an error: the set does not load')
  t.same(
    r.findings.map(brief),
    ['app-two.yaml', 'broken.yaml', 'folder.yaml', 'leak.yaml'].map((file) => ({ file, line: 1, col: 1, severity: 'error', code: 'symlink' })),
    'each policy-named link, whatever it points at; other names are ignored as before'
  )
  t.match(r.findings[0]?.message, /"app-two\.yaml" is a symbolic link/)
  const text = r.findings.map((f) => formatFinding(f)).join('\n')
  t.notOk(text.includes(CANARY) || text.includes(outside), 'neither the target nor its content')
})

t.test('a file over 1 MiB is a file-too-large finding, not read whole', async (t) => {
  const big = `${VALID}# ${'x'.repeat(1024 * 1024)}\n`
  const dir = t.testdir({ 'app-one.yaml': big, 'app-two.yaml': VALID.replaceAll('app-one', 'app-two').replace('one-prod', 'two-prod') })
  const r = await loadPolicyDir(dir)
  t.equal(r.policies, null)
  t.same(r.findings.map(brief), [{ file: 'app-one.yaml', line: 1, col: 1, severity: 'error', code: 'file-too-large' }])
  t.match(r.findings[0]?.message, /larger than 1024 KiB/)
  t.same(loadPolicyFiles([{ file: 'app-one.yaml', text: big }]).findings.map((f) => f.code), ['file-too-large'], 'sources from git too')
  const atCap = `${VALID}#${'x'.repeat(1024 * 1024 - VALID.length - 2)}\n`
  t.same(loadPolicyFiles([{ file: 'app-one.yaml', text: atCap }]).findings, [], 'exactly 1 MiB is read')
})

t.test('only *.yaml and *.yml files of the folder itself are read', async (t) => {
  const dir = t.testdir({
    'app-one.yaml': VALID,
    'notes.md': 'not a policy',
    '.hidden.yaml': 'not: [valid',
    sub: { 'nested.yaml': 'not: [valid' },
  })
  const r = await loadPolicyDir(dir)
  t.same(r.findings, [])
  t.same([...(r.policies?.apps.keys() ?? [])], ['app-one'])
})

t.test('loadPolicySet throws a PolicyLoadError listing each error at file:line:col', async (t) => {
  const dir = bad('duplicate-client-id')
  const err = await loadPolicySet(dir).then(
    () => null,
    (e: unknown) => e
  )
  t.ok(err instanceof PolicyLoadError)
  if (!(err instanceof PolicyLoadError)) return
  t.equal(err.findings.length, 1)
  t.match(err.message, `${join(dir, 'app-two.yaml')}:6:15: error duplicate-client-id`)
  t.notMatch(err.message, /\n\s+at /)

  const warnOnly = await loadPolicySet(bad('case-collision'))
  t.ok(warnOnly.byClientId.get('one-prod'), 'warnings do not stop a set from loading')
})

t.test('formatFinding prints path:LINE:COL: SEVERITY CODE message', async (t) => {
  const f: Finding = { file: 'app.yaml', line: 3, col: 7, severity: 'warning', code: 'missing-reason', message: 'm' }
  t.equal(formatFinding(f), 'app.yaml:3:7: warning missing-reason m')
  t.equal(formatFinding(f, 'policies'), 'policies/app.yaml:3:7: warning missing-reason m')
  t.equal(formatFinding({ ...f, file: '.' }, 'policies'), 'policies:3:7: warning missing-reason m')
})

t.test('a file with Windows line ends or a BOM loads the same', async (t) => {
  const { findings, policies } = loadPolicyFiles([{ file: 'app-one.yaml', text: `\uFEFF${VALID.replace(/\n/g, '\r\n')}` }])
  t.same(findings, [])
  t.equal(policies?.byClientId.get('one-prod')?.environment.scopes.get('read:things')?.at.line, 9)
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

t.test('the text of a source that is not a string is read as empty, not thrown on', async (t) => {
  const r = loadPolicyFiles([{ file: 'app-one.yaml', text: 42 as unknown as string }])
  t.same(r.findings.map((f) => f.code), ['schema'])
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

t.test('scope keys are taken as written, even when YAML reads them as numbers or null', async (t) => {
  const text = VALID.replace('      read:things: list things (T-1)', '      0x1F: hex-looking (T-1)\n      null: a scope named null (T-2)\n      1e3: (T-3)')
  const { policies, findings } = loadPolicyFiles([{ file: 'app-one.yaml', text }])
  t.same(findings, [])
  t.same([...(policies?.byClientId.get('one-prod')?.environment.scopes.keys() ?? [])], ['0x1F', 'null', '1e3'])
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

t.test('an environment may whitelist at most 1,000 scopes: a too-many-scopes finding', async (t) => {
  const withScopes = (n: number): string =>
    VALID.replace('      read:things: list things (T-1)\n', Array.from({ length: n }, (_, i) => `      read:thing-${i}: reason ${i}\n`).join(''))
  t.same(loadPolicyFiles([{ file: 'app-one.yaml', text: withScopes(1000) }]).findings, [], '1,000 is allowed')
  const over = loadPolicyFiles([{ file: 'app-one.yaml', text: withScopes(1001) }])
  t.equal(over.policies, null)
  t.same(over.findings.map(brief), [{ file: 'app-one.yaml', line: 8, col: 5, severity: 'error', code: 'too-many-scopes' }], 'one finding, at scopes:')
  t.match(over.findings[0]?.message, /environment "prod" whitelists 1001 scopes, more than 1000/)
})
