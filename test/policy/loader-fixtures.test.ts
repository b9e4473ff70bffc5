// The loader on the fixture folders (docs/policy-files.md): the shipped policies, the good folder,
// each bad folder's exact findings and messages, and how a failed load is reported.
import t from 'tap'
import { join } from 'node:path'
import {
  formatFinding,
  loadPolicyDir,
  loadPolicySet,
  PolicyLoadError,
  type Finding,
} from '../../service/policy/index.js'
import { bad, brief, fixtures, root, type Expected } from '../helpers/policy-texts.js'

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
