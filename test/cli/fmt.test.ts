import { readFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { runCli, WORKER } from '../helpers/cli.js'
import { ENV_KEYS } from '../../service/policy/fmt.js'
import { EnvironmentSchema } from '../../service/policy/schema.js'

// Keys out of order, a flow-style whitelist, unsorted scopes and comments everywhere.
const MESSY = `# Owned by the desktop team; ask in #desktop before adding scopes.
environments:
  # the production client
  prod:
    scopes: { write:notes: "notes (SEC-7)", read:analytics: dashboards }   # flow style
    tokenEndpoint: https://api.example.com/oauth/token # portal value
    clientId: prod-messy
  staging:
    scopes: {} # nothing until SEC-151
    clientId: stg-messy
    tokenEndpoint: https://staging.example.com/oauth/token
provider: generic
owner: "@team/messy"
app: messy
# end of file
`

const CANONICAL = `# Owned by the desktop team; ask in #desktop before adding scopes.
app: messy
owner: "@team/messy"
provider: generic
environments:
  # the production client
  prod:
    clientId: prod-messy
    tokenEndpoint: https://api.example.com/oauth/token # portal value
    scopes:
      read:analytics: dashboards
      write:notes: "notes (SEC-7)"
      # flow style
  staging:
    clientId: stg-messy
    tokenEndpoint: https://staging.example.com/oauth/token
    scopes: {} # nothing until SEC-151

# end of file
`

t.test('fmt rewrites in canonical order and layout, keeping every comment', async (t) => {
  const dir = t.testdir({ 'messy.yaml': MESSY })
  const r = await runCli(['fmt', dir])
  t.equal(r.code, 0)
  t.equal(r.stdout, `${join(dir, 'messy.yaml')}\nscope-policy fmt ${dir}: 1 file, reformatted 1\n`)
  const text = readFileSync(join(dir, 'messy.yaml'), 'utf8')
  t.equal(text, CANONICAL)
  for (const comment of MESSY.match(/#.*$/gm) ?? []) t.ok(text.includes(comment), `keeps ${comment}`)
  // Still the same policy: it lints clean.
  t.equal((await runCli(['lint', dir])).code, 0)
})

t.test('a comment above the first entry of a map moves with that entry, not with the new first one', async (t) => {
  const dir = t.testdir({
    'app-one.yaml': `app: app-one
owner: "@t/one"
provider: generic
environments:
  prod:
    # copied from the portal page
    tokenEndpoint: https://a.example.com/token
    clientId: c1
    scopes: # reviewed by SEC
      # remove after the migration (SEC-151)
      zeta:write: z
      alpha:read: a
`,
  })
  t.equal((await runCli(['fmt', dir])).code, 0)
  t.equal(readFileSync(join(dir, 'app-one.yaml'), 'utf8'), `app: app-one
owner: "@t/one"
provider: generic
environments:
  prod:
    clientId: c1
    # copied from the portal page
    tokenEndpoint: https://a.example.com/token
    scopes:
      # reviewed by SEC
      alpha:read: a
      # remove after the migration (SEC-151)
      zeta:write: z
`)
  t.equal((await runCli(['fmt', '--check', dir])).code, 0, 'and stays put on the next run')
})

t.test('fmt is idempotent', async (t) => {
  const dir = t.testdir({ 'messy.yaml': CANONICAL, 'agent-desktop-worker.yaml': WORKER })
  const r = await runCli(['fmt', dir])
  t.equal(r.code, 0)
  t.equal(r.stdout, `scope-policy fmt ${dir}: 2 files, reformatted 0\n`)
  t.equal(readFileSync(join(dir, 'messy.yaml'), 'utf8'), CANONICAL)
})

t.test('fmt --check writes nothing, lists what would change and exits 1', async (t) => {
  const dir = t.testdir({ 'messy.yaml': MESSY, 'agent-desktop-worker.yaml': WORKER })
  const file = join(dir, 'messy.yaml')
  const before = statSync(file).mtimeMs
  const r = await runCli(['fmt', '--check', dir])
  t.equal(r.code, 1)
  t.equal(r.stdout, `${file}\nscope-policy fmt ${dir}: 2 files, would reformat 1\n`)
  t.equal(readFileSync(file, 'utf8'), MESSY)
  t.equal(statSync(file).mtimeMs, before)

  const json = JSON.parse((await runCli(['fmt', '--check', '--format', 'json', dir])).stdout) as { changed: string[]; summary: { files: number } }
  t.same(json.changed, [file])
  t.equal(json.summary.files, 2)
  const github = await runCli(['fmt', '--check', '--format', 'github', dir])
  t.match(github.stdout, /^::error file=[^,]*messy\.yaml,title=scope-policy fmt::not in canonical layout: run scope-policy fmt /m)
  const markdown = await runCli(['fmt', '--check', '--format', 'markdown', dir])
  t.match(markdown.stdout, /^\*\*scope-policy fmt\*\* .*would reformat 1\.\n/)
  t.equal(readFileSync(file, 'utf8'), MESSY, 'no format writes')
})

t.test('fmt --check on formatted files exits 0', async (t) => {
  const dir = t.testdir({ 'messy.yaml': CANONICAL })
  t.equal((await runCli(['fmt', '--check', dir])).code, 0)
})

t.test('a file that is not valid YAML is reported with its line, left alone, exit 1', async (t) => {
  const broken = 'app: broken\nowner: "@x"\nowner: "@y"\n'
  const dir = t.testdir({ 'broken.yaml': broken, 'messy.yaml': MESSY })
  const r = await runCli(['fmt', dir])
  t.equal(r.code, 1)
  t.match(r.stdout, new RegExp(`^${join(dir, 'broken.yaml')}:3:1: error duplicate-key duplicate key "owner": keys must be unique`, 'm'))
  t.equal(readFileSync(join(dir, 'broken.yaml'), 'utf8'), broken)
  t.equal(readFileSync(join(dir, 'messy.yaml'), 'utf8'), CANONICAL, 'the other files are still formatted')
})

t.test('a missing folder: one line naming it', async (t) => {
  const cwd = t.testdir({})
  const r = await runCli(['fmt', 'nowhere'], { cwd })
  t.equal(r.code, 1)
  t.equal(r.stderr, 'scope-policy: cannot read policy folder nowhere: ENOENT\n')
})

t.test('a symlink is reported and never written through', async (t) => {
  const root = t.testdir({ 'outside.yaml': MESSY, policies: { 'messy.yaml': MESSY } })
  const dir = join(root, 'policies')
  symlinkSync(join(root, 'outside.yaml'), join(dir, 'linked.yaml'))
  for (const args of [['fmt', dir], ['fmt', '--check', dir]]) {
    const r = await runCli(args)
    t.equal(r.code, 1, args.join(' '))
    t.match(r.stdout, new RegExp(`^${join(dir, 'linked.yaml')}:1:1: error symlink "linked\\.yaml" is a symbolic link`, 'm'))
    t.notOk(r.stdout.includes(root + '/outside'), 'the target is not named')
  }
  t.equal(readFileSync(join(root, 'outside.yaml'), 'utf8'), MESSY, 'the target is untouched')
  t.equal(readFileSync(join(dir, 'messy.yaml'), 'utf8'), CANONICAL, 'the regular file is formatted')
})

t.test('fmt orders every environment field of the schema, each once', async (t) => {
  t.same([...ENV_KEYS].sort(), Object.keys(EnvironmentSchema.properties).sort())
  t.equal(new Set(ENV_KEYS).size, ENV_KEYS.length)
})

// `provider` is required (docs/policy-files.md): a file from before it existed fails lint, whose
// message names fmt, and fmt writes the profile it was checked with, after owner.
t.test('a file without provider: lint says to run fmt, fmt adds provider: generic', async (t) => {
  const old = WORKER.replace('provider: generic\n', '')
  const dir = t.testdir({ 'agent-desktop-worker.yaml': old })
  const lint = await runCli(['lint', dir])
  t.equal(lint.code, 1)
  t.match(lint.stdout, /error schema missing required field "provider" in the file: .*`scope-policy fmt` adds `provider: generic`/)
  t.equal((await runCli(['fmt', '--check', dir])).code, 1, 'fmt --check flags it')
  t.equal((await runCli(['fmt', dir])).code, 0)
  t.equal(readFileSync(join(dir, 'agent-desktop-worker.yaml'), 'utf8'), WORKER, 'provider: generic after owner, nothing else changed')
  t.equal((await runCli(['lint', dir])).code, 0, 'and lint passes')
})
