// lint, check and diff print words from files (file names included) and from the command line:
// in text, github and markdown a control, bidi or invisible character is shown as \uXXXX, so a
// file name cannot forge a line or a workflow command; JSON keeps them verbatim.
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { policyYaml, runCli } from '../helpers/cli.js'

const FORGED = 'x\n::error::forged\u202E'
const SHOWN = 'x\\u000A::error::forged\\u202E'
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/
const PEOPLE = ['text', 'github', 'markdown']

function shownVisibly (t: Test, out: string, what: string, shown = SHOWN): void {
  t.notMatch(out, RAW, `${what}: no raw control, bidi or invisible character`)
  t.notMatch(out, /^::error::forged/m, `${what}: no forged line`)
  // Markdown escapes the backslash of a table cell once more.
  t.ok(out.includes(shown) || out.includes(shown.replace(/\\/g, '\\\\')), `${what}: shown as \\uXXXX`)
}

t.test('lint: a hostile file name', async (t) => {
  const dir = t.testdir({})
  writeFileSync(join(dir, `${FORGED}.yaml`), 'app: x\n')
  for (const format of PEOPLE) shownVisibly(t, (await runCli(['lint', dir, '--format', format])).stdout, `lint ${format}`)
  const json = JSON.parse((await runCli(['lint', dir, '--format', 'json'])).stdout) as { findings: Array<{ file: string }> }
  t.ok(json.findings.some((f) => f.file.endsWith(`${FORGED}.yaml`)), 'json: verbatim')
})

t.test('check: a hostile scope typed on the command line', async (t) => {
  const dir = t.testdir({ 'w.yaml': policyYaml('w', { prod: { clientId: 'w-prod', scopes: { 'read:a': 'a' } } }) })
  for (const format of PEOPLE) {
    const r = await runCli(['check', '--policies', dir, '--client', 'w-prod', '--format', format, `read:${FORGED.replace('\n', '')}`])
    t.equal(r.code, 1)
    t.notMatch(r.stdout, RAW, `check ${format}: nothing raw`)
    t.ok(r.stdout.includes('forged\\u202E') || r.stdout.includes('forged\\\\u202E'), `check ${format}: shown`)
  }
})

t.test('diff: a hostile reason (the file name must match the app name, so it cannot be hostile)', async (t) => {
  const dir = t.testdir({})
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' })
  git('init', '-q', '-b', 'main')
  git('config', 'user.name', 'Test')
  git('config', 'user.email', 'test@example.com')
  git('config', 'commit.gpgsign', 'false')
  writeFileSync(join(dir, 'w.yaml'), policyYaml('w', { prod: { clientId: 'w-prod', scopes: {} } }))
  git('add', '-A')
  git('commit', '-q', '-m', 'base')
  writeFileSync(join(dir, 'n.yaml'), policyYaml('n', { prod: { clientId: 'n-prod', scopes: { 'read:a': '"why x\\n::error::forged\\u202E"' } } }))
  // Text and github quote the reason as JSON (\n), markdown shows it as it is: both without a raw character.
  for (const format of PEOPLE) shownVisibly(t, (await runCli(['diff', '--policies', '.', '--format', format], { cwd: dir })).stdout, `diff ${format}`, 'forged\\u202E')
  const json = JSON.parse((await runCli(['diff', '--policies', '.', '--format', 'json'], { cwd: dir })).stdout) as { changes: Array<{ after?: string }> }
  t.ok(json.changes.some((c) => c.after === `why ${FORGED}`), 'json: the reason verbatim')
})
