// The example workflow's steps, run as the runner would (bash -eo pipefail) in a clone whose
// base branch is origin/main, with `npx scope-policy` pointing at the built bin.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { BIN, policyYaml } from '../helpers/cli.js'

interface Step { name?: string; uses?: string; with?: Record<string, unknown>; run?: string; env?: Record<string, string>; if?: string }
const workflow = parse(readFileSync(new URL('../../examples/github-actions/scope-review.yml', import.meta.url), 'utf8')) as {
  on: Record<string, unknown>
  jobs: Record<string, { steps: Step[] }>
}
const steps = Object.values(workflow.jobs)[0]!.steps

t.test('the workflow runs on pull requests and fetches the base branch', async (t) => {
  t.ok('pull_request' in workflow.on)
  const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'))
  t.equal(checkout?.with?.['fetch-depth'], 0)
  t.ok(steps.some((s) => s.run === 'npm ci'))
  t.ok(steps.some((s) => s.run === 'npx scope-policy lint --format github policies'))
  t.ok(steps.some((s) => s.uses?.startsWith('actions/github-script@')), 'posts a comment')
})

function git (cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' })
}

function runStep (step: Step, cwd: string, output: string): number {
  // `npx scope-policy` resolves to the package's bin; here, the built one.
  const script = step.run!.replace(/npx scope-policy/g, `"${process.execPath}" "${BIN}"`)
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd, encoding: 'utf8', env: { ...process.env, ...step.env, BASE_REF: 'main', GITHUB_OUTPUT: output },
  })
  return r.status ?? -1
}

t.test('lint and diff steps in a pull-request checkout', async (t) => {
  const root = t.testdir({})
  const origin = join(root, 'origin')
  mkdirSync(join(origin, 'policies'), { recursive: true })
  git(origin, 'init', '-q', '-b', 'main')
  const base = policyYaml('worker', { prod: { clientId: 'prod-w', scopes: { 'read:x': 'x' } } })
  writeFileSync(join(origin, 'policies', 'worker.yaml'), base)
  git(origin, 'add', '-A')
  git(origin, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'base')
  const pr = join(root, 'pr')
  git(root, 'clone', '-q', origin, pr)
  git(pr, 'checkout', '-q', '-b', 'feature')
  writeFileSync(join(pr, 'policies', 'worker.yaml'), base.replace('read:x: x', 'admin:clients: rotate (SEC-1)\n      read:x: x'))
  git(pr, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-am', 'more')

  const lint = steps.find((s) => s.run?.includes('scope-policy lint'))!
  t.equal(runStep(lint, pr, join(root, 'out-lint')), 0)

  const diff = steps.find((s) => s.run?.includes('scope-policy diff'))!
  const output = join(root, 'out-diff')
  t.equal(runStep(diff, pr, output), 0, 'the step passes so the comment is posted')
  t.equal(readFileSync(output, 'utf8'), 'status=1\n', 'and reports the critical change to the last step')
  t.match(readFileSync(join(pr, 'scope-diff.md'), 'utf8'), /^\*\*scope-policy diff\*\* `origin\/main` → working tree .*highest risk \*\*critical\*\*/)

  // A base ref that does not exist fails the step itself.
  const broken = { ...diff, env: {}, run: diff.run!.replace('origin/$BASE_REF', 'origin/nope') }
  t.not(runStep(broken, pr, join(root, 'out-broken')), 0)
})
