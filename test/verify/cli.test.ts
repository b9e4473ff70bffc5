// `scope-policy verify` as a user runs it (the built bin), against a real authorization server
// (oidc-provider) whose clients hold other scope sets than the policy, and against node:http
// token endpoints for what oidc-provider never does (extra scopes, no scope, 5xx).
// `npm test` builds first (pretest).
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliRun } from '../helpers/cli.js'
import { issuedTokens, startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { deadEndpoint } from '../plugin/fixtures/helpers.js'
import { secretForms, verifyPolicy } from './fixtures.js'

// Secrets with characters that form-encoding and base64 change.
const SECRET = {
  ok: 'ok-s3cr3t:with/slash+plus=eq&amp 1',
  narrowed: 'narrow%s3cr3t~!*()',
  refused: 'refused-s3cr3t; semi"quote',
  fault: 'fault-s3cr3t?x=1#y',
}

const oidc = await startOidcServer({
  clients: [
    { clientId: 'ok-client', clientSecret: SECRET.ok, scopes: ['read:a', 'read:b', 'read:c'] },
    { clientId: 'narrow-client', clientSecret: SECRET.narrowed, scopes: ['read:a'] },
    { clientId: 'refused-client', clientSecret: SECRET.refused, scopes: ['read:a'] },
    { clientId: 'wrong-secret-client', clientSecret: 'the-real-one', scopes: ['read:a'] }
  ],
  // Known to the server, granted to no client: asking for it is invalid_scope.
  extraScopes: ['write:b']
})
t.teardown(() => oidc.close())

const widening = await startFaultServer(() => ({ body: tokenBody({ scope: 'read:a admin:all' }) }))
const silent = await startFaultServer(() => ({ body: tokenBody() }))
const failing = await startFaultServer({ status: 503, body: 'upstream down' })
const recovering = await startFaultServer((_req, i) => (i % 2 === 0 ? { status: 503 } : { body: tokenBody({ scope: 'read:a' }) }))
t.teardown(async () => { for (const s of [widening, silent, failing, recovering]) await s.close() })
const closed = await deadEndpoint()

const dir = t.testdir({
  'portal-drift.yaml': verifyPolicy('portal-drift', {
    // read:ghost is unknown to the server: dropped silently, the rest granted.
    narrowed: { clientId: 'narrow-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a', 'read:ghost'], secretEnv: 'NARROW_SECRET' },
    // write:b is known but not the client's: the server refuses the whole request.
    refused: { clientId: 'refused-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a', 'write:b'], authMethod: 'client_secret_post' },
    widened: { clientId: 'widened-client', tokenEndpoint: widening.tokenEndpoint, scopes: ['read:a'] }
  }),
  'portal-health.yaml': verifyPolicy('portal-health', {
    ok: { clientId: 'ok-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a', 'read:b'] },
    rejected: { clientId: 'wrong-secret-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a'] },
    unset: { clientId: 'no-secret-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a'] },
    // secretEnv names an unset variable: the default name (set below) must not be read.
    ownvar: { clientId: 'own-var-client', tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:a'], secretEnv: 'SCOPE_POLICY_UNSET_SECRET_VAR' },
    down: { clientId: 'down-client', tokenEndpoint: closed, scopes: ['read:a'] },
    failing: { clientId: 'failing-client', tokenEndpoint: failing.tokenEndpoint, scopes: ['read:a'] },
    silent: { clientId: 'silent-client', tokenEndpoint: silent.tokenEndpoint, scopes: ['read:a'] }
  }),
  'portal-ok.yaml': verifyPolicy('portal-ok', {
    recovering: { clientId: 'recovering-client', tokenEndpoint: recovering.tokenEndpoint, scopes: ['read:a'] }
  }),
  'refused.secret': `${SECRET.refused}\n`
})

const env = {
  NARROW_SECRET: SECRET.narrowed,
  SCOPE_POLICY_SECRET_PORTAL_DRIFT_REFUSED_FILE: join(dir, 'refused.secret'),
  SCOPE_POLICY_SECRET_PORTAL_DRIFT_WIDENED: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_OK: SECRET.ok,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_REJECTED: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_OWNVAR: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_DOWN: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_FAILING: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_HEALTH_SILENT: SECRET.fault,
  SCOPE_POLICY_SECRET_PORTAL_OK_RECOVERING: SECRET.fault
}

interface Result { app: string, environment: string, clientId: string, status: string, requested: string[], granted: string[], grantedFrom: string, missing: string[], extra: string[], error?: string, error_description?: string, fingerprint?: string, requests: number }
interface Report { summary: { entries: number, failing: number, counts: Record<string, number> }, results: Result[] }

/** Requests each server has seen so far. */
const served = (): number[] => [oidc.tokenRequests.length, ...[widening, silent, failing, recovering].map((s) => s.requests.length)]
// NARROW_SECRET is outside SCOPE_POLICY_…: read only because the run names it.
const verify = (args: string[]): Promise<CliRun> => runCli(['verify', '--policies', dir, '--allow-env', 'NARROW_SECRET', ...args], { env })

const before = served()
const json = await verify(['--format', 'json'])
const after = served()
const report = JSON.parse(json.stdout) as Report
const byEnv = new Map(report.results.map((r) => [`${r.app}/${r.environment}`, r]))
const entry = (key: string): Result => byEnv.get(key) ?? t.fail(`no result for ${key}`) as never

t.test('one result per app and environment, with the pinned fields', async (t) => {
  t.equal(json.code, 1, 'drift fails the run')
  t.equal(json.stderr, '')
  t.same([...byEnv.keys()], [
    'portal-drift/narrowed', 'portal-drift/refused', 'portal-drift/widened',
    'portal-health/ok', 'portal-health/rejected', 'portal-health/unset', 'portal-health/ownvar',
    'portal-health/down', 'portal-health/failing', 'portal-health/silent', 'portal-ok/recovering'
  ])
  for (const r of report.results) {
    for (const field of ['app', 'environment', 'clientId', 'status', 'requested', 'granted', 'grantedFrom', 'missing', 'extra']) {
      t.ok(field in r, `${r.app}/${r.environment} has ${field}`)
    }
  }
  t.equal(report.summary.entries, 11)
})

t.test('ok: the server grants exactly the whitelist', async (t) => {
  const r = entry('portal-health/ok')
  t.equal(r.status, 'ok')
  t.same(r.requested, ['read:a', 'read:b'])
  t.same(r.granted, ['read:a', 'read:b'])
  t.equal(r.grantedFrom, 'response')
  t.match(r.fingerprint, /^[0-9a-f]{12}$/)
})

t.test('narrowed: a scope unknown to the server is dropped, and named', async (t) => {
  const r = entry('portal-drift/narrowed')
  t.equal(r.status, 'narrowed', 'secret read from the variable secretEnv names')
  t.same(r.missing, ['read:ghost'])
  t.same(r.granted, ['read:a'])
  t.same(r.extra, [])
})

t.test('refused: a known scope the client lacks is invalid_scope, in the server\'s words', async (t) => {
  const r = entry('portal-drift/refused')
  t.equal(r.status, 'refused', 'secret read from NAME_FILE, its trailing newline removed')
  t.equal(r.error, 'invalid_scope')
  t.equal(r.error_description, 'requested scope is not allowed')
})

t.test('widened: the token carries a scope the policy does not list', async (t) => {
  const r = entry('portal-drift/widened')
  t.equal(r.status, 'widened')
  t.same(r.extra, ['admin:all'])
  t.same(r.missing, [])
})

t.test('unverified: no scope in the answer and an opaque token', async (t) => {
  const r = entry('portal-health/silent')
  t.equal(r.status, 'unverified')
  t.equal(r.grantedFrom, 'none')
  t.same(r.granted, [])
})

t.test('invalid_client: a wrong secret', async (t) => {
  const r = entry('portal-health/rejected')
  t.equal(r.status, 'invalid_client')
  t.equal(r.error, 'invalid_client')
})

t.test('skipped: no secret, and secretEnv keeps the default name from being read', async (t) => {
  t.equal(entry('portal-health/unset').status, 'skipped')
  t.equal(entry('portal-health/unset').requests, 0)
  const own = entry('portal-health/ownvar') as Result & { message: string }
  t.equal(own.status, 'skipped')
  t.match(own.message, /no secret: set SCOPE_POLICY_UNSET_SECRET_VAR/)
  t.notMatch(own.message, /SCOPE_POLICY_SECRET_PORTAL_HEALTH_OWNVAR/)
})

t.test('unreachable: a closed port, and a 5xx answered twice', async (t) => {
  t.equal(entry('portal-health/down').status, 'unreachable')
  t.equal(entry('portal-health/down').requests, 2, 'a refused connection is transient: retried once')
  const r = entry('portal-health/failing')
  t.equal(r.status, 'unreachable')
  t.equal(r.requests, 2)
})

t.test('one token request per entry, two after a transient failure, counted at the servers', async (t) => {
  const delta = after.map((n, i) => n - (before[i] ?? 0))
  // oidc-provider: ok, rejected, narrowed, refused; no request for the skipped entries.
  t.same(delta, [4, 1, 1, 2, 2], 'oidc, widening, silent, failing (503 twice), recovering (503 then 200)')
  t.equal(entry('portal-ok/recovering').status, 'ok', 'the retry after a 503 succeeded')
  t.equal(entry('portal-ok/recovering').requests, 2)
})

t.test('exit codes: --fail-on drift fails on narrowed, widened, refused only', async (t) => {
  t.equal((await verify(['--app', 'portal-drift', '--env', 'narrowed'])).code, 1)
  t.equal((await verify(['--app', 'portal-drift', '--env', 'widened'])).code, 1)
  t.equal((await verify(['--app', 'portal-drift', '--env', 'refused', '--fail-on', 'drift'])).code, 1)
  const health = await verify(['--app', 'portal-health'])
  t.equal(health.code, 0, 'invalid_client, unreachable, unverified and skipped are reported, not failed')
  t.match(health.stdout, /invalid_client .*portal-health\/rejected/)
  t.equal((await verify(['--app', 'portal-ok'])).code, 0)
})

t.test('exit codes: --fail-on error also fails on invalid_client, unreachable, unverified', async (t) => {
  t.equal((await verify(['--app', 'portal-health', '--env', 'rejected', '--fail-on', 'error'])).code, 1)
  t.equal((await verify(['--app', 'portal-health', '--env', 'down', '--fail-on', 'error'])).code, 1)
  t.equal((await verify(['--app', 'portal-health', '--env', 'silent', '--fail-on', 'error'])).code, 1)
  t.equal((await verify(['--app', 'portal-health', '--env', 'unset', '--fail-on', 'error'])).code, 0, 'skipped never fails')
  t.equal((await verify(['--app', 'portal-health', '--env', 'ok', '--fail-on', 'error'])).code, 0)
})

t.test('--app and --env leave the other entries out', async (t) => {
  const r = await verify(['--app', 'portal-health', '--env', 'ok', '--format', 'json'])
  const only = JSON.parse(r.stdout) as Report
  t.same(only.results.map((x) => `${x.app}/${x.environment}`), ['portal-health/ok'])
})

t.test('usage errors exit 2 with one line', async (t) => {
  for (const args of [
    ['--fail-on', 'high'], ['--concurrency', '0'], ['--concurrency', 'many'], ['--concurrency', '1.5'],
    ['--format', 'xml'], ['--app', 'no-such-app'], ['--env', 'no-such-env'], ['--bogus']
  ]) {
    const r = await verify(args)
    t.equal(r.code, 2, args.join(' '))
    t.equal(r.stdout, '')
    t.match(r.stderr, /^scope-policy: [^\n]+\n$/, `one line: ${args.join(' ')}`)
  }
})

t.test('no output format shows a secret (any encoding) or an access token', async (t) => {
  const forms = [
    ...secretForms('ok-client', SECRET.ok), ...secretForms('narrow-client', SECRET.narrowed),
    ...secretForms('refused-client', SECRET.refused), ...secretForms('wrong-secret-client', SECRET.fault),
    ...secretForms('widened-client', SECRET.fault), ...secretForms('silent-client', SECRET.fault)
  ]
  const runs = [json]
  for (const format of ['text', 'github', 'markdown']) runs.push(await verify(['--format', format]))
  for (const run of runs) {
    const text = run.stdout + run.stderr
    t.ok(text.length > 200, 'there is output to search')
    t.same(forms.filter((f) => text.includes(f)).map((f) => f.slice(0, 3)), [], 'no secret')
    t.same([...issuedTokens].filter((tok) => text.includes(tok)).map((tok) => tok.slice(0, 12)), [], 'no access token')
  }
  t.ok(issuedTokens.size >= 4, 'tokens were issued to look for')
})

t.test('github: an annotation at the whitelist of each drifted entry; markdown: a table per app', async (t) => {
  const gh = await verify(['--format', 'github'])
  t.match(gh.stdout, new RegExp(`::error file=${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:/g, '%3A')}/portal-drift\\.yaml,line=\\d+,title=scope-policy verify%3A narrowed portal-drift/narrowed::.*read:ghost`))
  t.match(gh.stdout, /::warning .*title=scope-policy verify%3A invalid_client portal-health\/rejected::/)
  t.match(gh.stdout, /::notice .*skipped portal-health\/unset::/)
  t.notMatch(gh.stdout, /verify%3A ok /, 'no annotation for an ok entry')
  const md = await verify(['--format', 'markdown'])
  t.match(md.stdout, /^\*\*scope-policy verify\*\* `[^`]+`: 11 entries: /)
  t.match(md.stdout, /### `portal-drift`\n\n\| Environment \| Client \| Status \| Missing \| Extra \| Detail \|/)
  t.match(md.stdout, /\| `narrowed` \| `narrow-client` \| \*\*narrowed\*\* \| `read:ghost` \|/)
})

t.test('the policy must load: a broken folder exits 1 with one line', async (t) => {
  const broken = t.testdir({ 'x.yaml': 'app: x\n' })
  writeFileSync(join(broken, 'y.yaml'), 'not: [valid')
  const r = await runCli(['verify', '--policies', broken])
  t.equal(r.code, 1)
  t.match(r.stderr, /^scope-policy: the policies in .* do not load: .*run scope-policy lint\n$/)
})

t.test('--help describes the command and its statuses', async (t) => {
  const r = await runCli(['verify', '--help'])
  t.equal(r.code, 0)
  t.match(r.stdout, /^Usage: scope-policy verify /)
  t.match(r.stdout, /ok, narrowed, widened, unverified, refused, invalid_client, unreachable, skipped/)
  t.match((await runCli(['--help'])).stdout, /\n {2}verify +ask each token endpoint/)
})
