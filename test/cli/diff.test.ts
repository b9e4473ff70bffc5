import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { policyYaml, runCli } from '../helpers/cli.js'

function git (cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' })
}

/** A fresh repository with local identity, so commits work on any machine. */
function repo (dir: string): void {
  git(dir, 'init', '-q', '-b', 'main')
  git(dir, 'config', 'user.name', 'Test')
  git(dir, 'config', 'user.email', 'test@example.com')
  git(dir, 'config', 'commit.gpgsign', 'false')
}

function commit (dir: string, files: Record<string, string | null>, message: string): void {
  for (const [file, text] of Object.entries(files)) {
    if (text === null) rmSync(join(dir, file))
    else {
      mkdirSync(join(dir, file, '..'), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
  }
  git(dir, 'add', '-A')
  git(dir, 'commit', '-q', '-m', message)
}

const baseWorker = policyYaml('agent-desktop-worker', {
  prod: { clientId: 'prod-app-8821', scopes: { 'read:analytics': 'dashboards', 'read:interaction': 'sync' } },
  staging: { clientId: 'stg-app-8821', scopes: { 'read:interaction': 'sync' } },
}, '@cc/desktop')
const headWorker = policyYaml('agent-desktop-worker', {
  prod: {
    clientId: 'prod-app-8821',
    scopes: { 'admin:clients': 'rotate clients (SEC-9)', 'read:interaction': 'sync', 'read:queues': 'queue view', 'write:interaction': 'notes (SEC-7)' },
  },
  staging: { clientId: 'stg-app-8821', tokenEndpoint: 'https://evil.example.net/token', scopes: { 'read:interaction': 'sync', 'read:queues': 'queue view' } },
}, '@cc/someone-else')
const oldApp = policyYaml('old-app', { prod: { clientId: 'prod-old', scopes: { 'read:x': 'x' } } })
const newApp = policyYaml('new-app', { dev: { clientId: 'dev-new', scopes: { 'read:y': 'y' } } })

interface Change { app: string; environment: string | null; kind: string; scope?: string; before?: string; after?: string; risk: string; file?: string; line?: number }
interface DiffJson { summary: { base: string; head: string; changes: number; highest: string | null; byRisk: Record<string, number> }; changes: Change[] }

const dir = t.testdir({})
repo(dir)
commit(dir, { 'policies/agent-desktop-worker.yaml': baseWorker, 'policies/old-app.yaml': oldApp }, 'base')
commit(dir, { 'policies/agent-desktop-worker.yaml': headWorker, 'policies/old-app.yaml': null, 'policies/new-app.yaml': newApp }, 'head')

t.test('diff between two commits: every change with its risk', async (t) => {
  const r = await runCli(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'json'], { cwd: dir })
  t.equal(r.code, 0)
  const out = JSON.parse(r.stdout) as DiffJson
  const find = (kind: string, scope?: string, environment?: string): Change | undefined =>
    out.changes.find((c) => c.kind === kind && (scope === undefined || c.scope === scope) && (environment === undefined || c.environment === environment))
  t.match(find('scope-added', 'admin:clients'), { app: 'agent-desktop-worker', environment: 'prod', risk: 'critical', after: 'rotate clients (SEC-9)', file: 'policies/agent-desktop-worker.yaml', line: 9 })
  t.match(find('scope-added', 'write:interaction'), { risk: 'high' })
  t.match(find('scope-added', 'read:queues', 'prod'), { risk: 'low' }, 'also granted in staging: not prod-only')
  t.match(find('scope-added', 'read:queues', 'staging'), { risk: 'low' })
  t.match(find('scope-removed', 'read:analytics'), { environment: 'prod', risk: 'info' })
  t.match(find('endpoint-host-changed'), { environment: 'staging', before: 'https://staging.example.com/oauth/token', after: 'https://evil.example.net/token', risk: 'critical' })
  t.match(find('owner-changed'), { environment: null, before: '@cc/desktop', after: '@cc/someone-else', risk: 'medium' })
  t.match(find('app-removed'), { app: 'old-app', risk: 'low' })
  t.match(find('app-added'), { app: 'new-app', risk: 'medium' })
  t.match(find('environment-added'), { app: 'new-app', environment: 'dev', after: 'dev-new', risk: 'medium' })
  t.match(out.summary, { base: 'HEAD~1', head: 'HEAD', highest: 'critical', changes: out.changes.length })
  t.equal(out.summary.byRisk.critical, 2, 'admin:clients and the endpoint on another host')
  t.ok(out.changes.every((c) => ['critical', 'high', 'medium', 'low', 'info'].includes(c.risk)))
})

t.test('a read scope granted in prod and in no other environment is flagged', async (t) => {
  const d = t.testdir({})
  repo(d)
  commit(d, { 'policies/agent-desktop-worker.yaml': baseWorker }, 'base')
  writeFileSync(join(d, 'policies/agent-desktop-worker.yaml'), baseWorker.replace('      read:interaction: sync\n  staging', '      read:interaction: sync\n      read:recordings: archive\n  staging'))
  const out = JSON.parse((await runCli(['diff', '--format', 'json'], { cwd: d })).stdout) as DiffJson
  t.match(out.changes, [{ kind: 'scope-added', scope: 'read:recordings', environment: 'prod', risk: 'medium' }])
  t.equal(out.changes.length, 1)
})

t.test('the working tree against HEAD (the defaults)', async (t) => {
  const clean = await runCli(['diff'], { cwd: dir })
  t.equal(clean.code, 0)
  t.equal(clean.stdout, 'scope-policy diff HEAD → working tree (policies): no changes\n')
  writeFileSync(join(dir, 'policies/new-app.yaml'), newApp.replace('read:y: y', 'read:y: y\n      delete:y: cleanup'))
  t.teardown(() => writeFileSync(join(dir, 'policies/new-app.yaml'), newApp))
  const r = await runCli(['diff'], { cwd: dir })
  t.equal(r.code, 0)
  t.equal(r.stdout, [
    'scope-policy diff HEAD → working tree (policies): 1 change in 1 app: 0 critical, 1 high, 0 medium, 0 low, 0 info',
    'new-app',
    '  high     dev        scope added: delete:y ("cleanup") [write/delete-like scope]',
    '',
  ].join('\n'))
})

t.test('--fail-on LEVEL exits 1 when a change reaches it', async (t) => {
  const args = ['diff', '--base', 'HEAD~1', '--head', 'HEAD']
  t.equal((await runCli([...args, '--fail-on', 'critical'], { cwd: dir })).code, 1)
  t.equal((await runCli([...args, '--fail-on', 'high'], { cwd: dir })).code, 1)
  t.equal((await runCli(['diff', '--fail-on', 'info'], { cwd: dir })).code, 0, 'no change, nothing reaches info')
})

t.test('a ref that does not exist is a usage error', async (t) => {
  for (const args of [['--base', 'no-such-branch'], ['--head', 'deadbeef'], ['--base', '--head']]) {
    const r = await runCli(['diff', ...args], { cwd: dir })
    t.equal(r.code, 2, args.join(' '))
    t.equal(r.stderr.split('\n').length, 2)
    t.match(r.stderr, /^scope-policy: /)
  }
  const r = await runCli(['diff', '--base', 'no-such-branch'], { cwd: dir })
  t.equal(r.stderr, "scope-policy: --base: unknown git ref 'no-such-branch' (see 'scope-policy diff --help')\n")
})

t.test('outside a git repository: usage error, one line', async (t) => {
  const plain = t.testdir({ policies: { 'new-app.yaml': newApp } })
  const r = await runCli(['diff'], { cwd: plain, env: { GIT_CEILING_DIRECTORIES: join(plain, '..') } })
  t.equal(r.code, 2)
  t.match(r.stderr, /^scope-policy: diff needs a git repository: .*\n$/)
})

t.test('run from a sub-folder: the folder path is resolved against the repository top', async (t) => {
  mkdirSync(join(dir, 'sub'), { recursive: true })
  const r = await runCli(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'json', '../policies'], { cwd: join(dir, 'sub') })
  t.equal(r.code, 0)
  const out = JSON.parse(r.stdout) as DiffJson
  t.ok(out.changes.some((c) => c.kind === 'app-added' && c.app === 'new-app'))
})

t.test('a base whose policies do not load: one line naming the file', async (t) => {
  const d = t.testdir({})
  repo(d)
  commit(d, { 'policies/new-app.yaml': 'app: new-app\nowner: [\n' }, 'broken')
  writeFileSync(join(d, 'policies/new-app.yaml'), newApp)
  const r = await runCli(['diff'], { cwd: d })
  t.equal(r.code, 1)
  t.match(r.stderr, /^scope-policy: the policies in policies at HEAD do not load: policies\/new-app\.yaml:\d+:\d+: error .*\n$/)
})

t.test('--format github: annotations at the line of the change in the head file', async (t) => {
  const r = await runCli(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'github', '--fail-on', 'critical'], { cwd: dir })
  t.equal(r.code, 1)
  const lines = r.stdout.trim().split('\n')
  t.ok(lines.includes('::error file=policies/agent-desktop-worker.yaml,line=9,col=7,title=scope-policy diff%3A critical scope-added::agent-desktop-worker/prod: scope added: admin:clients ("rotate clients (SEC-9)") [admin privilege over clients; prod only (not in staging)]'))
  t.ok(lines.some((l) => l.startsWith('::warning file=policies/agent-desktop-worker.yaml,') && l.includes('write:interaction')))
  t.ok(lines.some((l) => l.startsWith('::notice ') && l.includes('old-app: app removed')))
  t.match(lines.at(-1), /^scope-policy diff HEAD~1 → HEAD \(policies\): \d+ changes in 3 apps/)
})

t.test('--format markdown: a summary line, then a table per app', async (t) => {
  const r = await runCli(['diff', '--base', 'HEAD~1', '--head', 'HEAD', '--format', 'markdown'], { cwd: dir })
  t.equal(r.code, 0)
  const lines = r.stdout.split('\n')
  t.match(lines[0], /^\*\*scope-policy diff\*\* `HEAD~1` → HEAD \(`policies`\): \d+ changes in 3 apps, highest risk \*\*critical\*\*/)
  t.same(lines.filter((l) => l.startsWith('### ')), ['### `agent-desktop-worker`', '### `new-app`', '### `old-app`'])
  t.ok(lines.includes('| **critical** | `prod` | scope-added | `admin:clients` rotate clients (SEC-9) | admin privilege over clients; prod only (not in staging) |'))
})

t.test('--format markdown stays under 60 KB however large the change, and says what was cut', async (t) => {
  const d = t.testdir({})
  repo(d)
  commit(d, { 'README.md': 'no policies yet\n' }, 'empty')
  // 3,000 scopes over three apps (an environment may whitelist at most 1,000).
  const many = (count: number): Record<string, string> => {
    const scopes: Record<string, string> = {}
    for (let i = 0; i < count; i++) scopes[`read:report-${i}`] = `reason with a | pipe ${'x'.repeat(40)}`
    return scopes
  }
  const apps: Record<string, string> = {}
  for (let a = 0; a < 20; a++) {
    const scopes = a === 0 ? { ...many(999), 'admin:users': 'the one that matters' } : a < 3 ? many(1000) : { 'read:z': 'z' }
    apps[`app-${a}.yaml`] = policyYaml(`app-${a}`, { dev: { clientId: `dev-${a}`, scopes } })
  }
  mkdirSync(join(d, 'policies'))
  for (const [file, text] of Object.entries(apps)) writeFileSync(join(d, 'policies', file), text)
  const r = await runCli(['diff', '--format', 'markdown'], { cwd: d })
  t.equal(r.code, 0)
  t.ok(Buffer.byteLength(r.stdout) < 60 * 1024, `${Buffer.byteLength(r.stdout)} bytes`)
  t.match(r.stdout.split('\n')[0], /^\*\*scope-policy diff\*\* .*30\d\d changes in 20 apps, highest risk \*\*critical\*\*/)
  t.match(r.stdout, /\| \*\*critical\*\* \| `dev` \| scope-added \| `admin:users` the one that matters \|/, 'the riskiest row is kept')
  t.match(r.stdout, /reason with a \\\| pipe/, 'pipes in cells are escaped')
  t.match(r.stdout, /\n_\d+ more changes not shown \(\d+ low\) to keep this comment under 60 KB: run `scope-policy diff --format json` for the full list\._\n$/)
  // Every app still gets its medium "app-added" row before any low row.
  t.equal(r.stdout.match(/\| medium \| +\| app-added \|/g)?.length, 20)
})
