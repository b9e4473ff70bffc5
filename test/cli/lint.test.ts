import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { policyYaml, runCli, WORKER } from '../helpers/cli.js'

const NO_REASON = policyYaml('report-job', { prod: { clientId: 'prod-rj', scopes: { 'read:reports': null } } })
const DUPLICATE_CLIENT = policyYaml('other-app', { prod: { clientId: 'prod-app-8821', scopes: { 'read:x': 'x (SEC-9)' } } })

t.test('a clean folder exits 0 and says so', async (t) => {
  const dir = t.testdir({ 'agent-desktop-worker.yaml': WORKER })
  const r = await runCli(['lint', dir])
  t.equal(r.code, 0)
  t.match(r.stdout, /no findings/)
  t.equal(r.stderr, '')
})

t.test('errors exit 1, one line per finding as path:line:col: severity code message', async (t) => {
  const cwd = t.testdir({ policies: { 'agent-desktop-worker.yaml': WORKER, 'other-app.yaml': DUPLICATE_CLIENT } })
  const r = await runCli(['lint'], { cwd })
  t.equal(r.code, 1)
  const line = r.stdout.split('\n').find((l) => l.includes('duplicate-client-id'))
  // The path as given (default ./policies), relative to the working directory; clientId is on line 6.
  t.match(line, /^policies\/other-app\.yaml:6:\d+: error duplicate-client-id .*prod-app-8821/)
})

t.test('warnings exit 0, or 1 with --strict', async (t) => {
  const dir = t.testdir({ 'report-job.yaml': NO_REASON })
  const plain = await runCli(['lint', '--policies', dir])
  t.equal(plain.code, 0)
  t.match(plain.stdout, /report-job\.yaml:\d+:\d+: warning missing-reason /)
  const strict = await runCli(['lint', '--strict', dir])
  t.equal(strict.code, 1)
})

t.test('the folder comes from --policies, [dir], POLICY_DIR, then ./policies', async (t) => {
  const cwd = t.testdir({
    policies: { 'report-job.yaml': NO_REASON },
    elsewhere: { 'agent-desktop-worker.yaml': WORKER },
  })
  t.match((await runCli(['lint'], { cwd })).stdout, /missing-reason/)
  t.match((await runCli(['lint'], { cwd, env: { POLICY_DIR: 'elsewhere' } })).stdout, /elsewhere: no findings/)
  t.match((await runCli(['lint', 'elsewhere'], { cwd, env: { POLICY_DIR: 'policies' } })).stdout, /elsewhere: no findings/)
  t.match((await runCli(['lint', '--policies', 'elsewhere'], { cwd })).stdout, /elsewhere: no findings/)
  t.match((await runCli(['lint', '--policies', 'elsewhere'], { cwd, env: { POLICY_DIR: 'policies' } })).stdout, /elsewhere: no findings/, '--policies beats POLICY_DIR')
  const both = await runCli(['lint', '--policies', 'elsewhere', 'policies'], { cwd })
  t.equal(both.code, 2)
})

t.test('a missing folder is one finding naming it, no stack trace', async (t) => {
  const cwd = t.testdir({})
  const r = await runCli(['lint', 'nowhere'], { cwd })
  t.equal(r.code, 1)
  t.match(r.stdout, /^nowhere.*missing-folder.*nowhere.*does not exist/m)
  t.notMatch(r.stdout + r.stderr, /\n\s+at /)
})

t.test('--format json lists the findings with the displayed path', async (t) => {
  const dir = t.testdir({ 'agent-desktop-worker.yaml': WORKER, 'other-app.yaml': DUPLICATE_CLIENT, 'report-job.yaml': NO_REASON })
  const r = await runCli(['lint', '--format', 'json', dir])
  t.equal(r.code, 1)
  const out = JSON.parse(r.stdout) as { summary: { errors: number; warnings: number }; findings: { file: string; code: string; line: number }[] }
  t.equal(out.summary.errors, 1)
  t.equal(out.summary.warnings, 1)
  t.ok(out.findings.every((f) => f.file.startsWith(dir)))
  t.same(out.findings.map((f) => f.code).sort(), ['duplicate-client-id', 'missing-reason'])
})

t.test('--format github: annotations at the real line, properties and message escaped', async (t) => {
  // A file name with , and : (allowed on Linux) and an app name with % in its message.
  const odd = policyYaml('a100-percent', { prod: { clientId: 'prod-odd', scopes: { 'read:x': 'x' } } })
    .replace('app: a100-percent', 'app: "100%-done"')
  const dir = t.testdir({ 'a,b:c.yaml': odd, 'report-job.yaml': NO_REASON })
  const r = await runCli(['lint', '--format', 'github', dir])
  t.equal(r.code, 1)
  const lines = r.stdout.trim().split('\n')
  const errors = lines.filter((l) => l.startsWith('::error '))
  t.ok(errors.length > 0)
  for (const l of errors) {
    t.match(l, /^::error file=[^:,]*a%2Cb%3Ac\.yaml,line=\d+,col=\d+,title=scope-policy lint%3A [a-z-]+::/)
    const message = l.slice(l.indexOf('::', 2) + 2)
    t.notMatch(message, /%(?![0-9A-F]{2})/, 'every % in the message is escaped')
  }
  t.ok(errors.some((l) => l.includes('100%25-done')), 'the % of the value is escaped as %25')
  const warning = lines.find((l) => l.startsWith('::warning '))
  t.match(warning, /file=[^,]*report-job\.yaml,line=9,col=7,title=scope-policy lint%3A missing-reason::/)
})

t.test('--format markdown: summary line, then a table per file', async (t) => {
  const dir = t.testdir({ 'agent-desktop-worker.yaml': WORKER, 'report-job.yaml': NO_REASON })
  const r = await runCli(['lint', '--format', 'markdown', dir])
  t.equal(r.code, 0)
  const [first, ...rest] = r.stdout.split('\n')
  t.match(first, /^\*\*scope-policy lint\*\* .*0 errors, 1 warning in 1 file\.$/)
  t.match(rest.join('\n'), /### `.*report-job\.yaml`\n\n\| Line \| Severity \| Code \| Message \|\n\| --- \| --- \| --- \| --- \|\n\| 9:7 \| warning \| `missing-reason` \|/)
})

t.test('a symlink in the folder is a finding naming the link, never its target or content', async (t) => {
  const root = t.testdir({ 'private.yaml': 'app: x\nowner: "@a/b"\nprivate-CANARY-9d2f: [\n', policies: { 'agent-desktop-worker.yaml': WORKER } })
  symlinkSync(join(root, 'private.yaml'), join(root, 'policies', 'other-app.yaml'))
  const dir = join(root, 'policies')
  const text = await runCli(['lint', dir])
  t.equal(text.code, 1)
  t.match(text.stdout, new RegExp(`^${join(dir, 'other-app.yaml')}:1:1: error symlink "other-app\\.yaml" is a symbolic link`, 'm'))
  const json = JSON.parse((await runCli(['lint', '--format', 'json', dir])).stdout)
  t.same(json.findings.map((f: { code: string }) => f.code), ['symlink'])
  for (const format of ['text', 'json', 'github', 'markdown']) {
    const r = await runCli(['lint', '--format', format, dir])
    t.notOk(r.stdout.includes('CANARY') || r.stdout.includes('private.yaml'), `${format}: nothing of the target`)
  }
})
