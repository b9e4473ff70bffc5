// How the loader reads a folder and its files (docs/policy-files.md, "Limits"): missing folders,
// unreadable files, symlinks, size, which names are read, line ends, and sources from git.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { symlink } from 'node:fs/promises'
import { join } from 'node:path'
import {
  formatFinding,
  loadPolicyDir,
  loadPolicyFiles,
} from '../../service/policy/index.js'
import { brief, CANARY, fixtures, VALID } from '../helpers/policy-texts.js'

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

t.test('a file with Windows line ends or a BOM loads the same', async (t) => {
  const { findings, policies } = loadPolicyFiles([{ file: 'app-one.yaml', text: `\uFEFF${VALID.replace(/\n/g, '\r\n')}` }])
  t.same(findings, [])
  t.equal(policies?.byClientId.get('one-prod')?.environment.scopes.get('read:things')?.at.line, 9)
})

t.test('the text of a source that is not a string is read as empty, not thrown on', async (t) => {
  const r = loadPolicyFiles([{ file: 'app-one.yaml', text: 42 as unknown as string }])
  t.same(r.findings.map((f) => f.code), ['schema'])
})
