// The nightly example workflow: every entry of policies/ has its secret mapped from the CI's
// secret store; the verify step, run as the runner would (bash -eo pipefail) with
// `npx scope-policy` pointing at the built bin, writes the markdown report and its status;
// the issue script opens, updates or closes one issue.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { loadPolicySet } from '../../service/policy/index.js'
import { secretEnvOf } from '../../service/policy/secret-env.js'
import { BIN } from '../helpers/cli.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { verifyPolicy } from './fixtures.js'

interface Step { id?: string, uses?: string, with?: Record<string, string>, run?: string, env?: Record<string, string>, if?: string }
const workflow = parse(readFileSync(new URL('../../examples/github-actions/verify-nightly.yml', import.meta.url), 'utf8')) as {
  on: Record<string, unknown>
  permissions: Record<string, string>
  jobs: Record<string, { steps: Step[] }>
}
const steps = Object.values(workflow.jobs)[0]!.steps
const verifyStep = steps.find((s) => s.run?.includes('scope-policy verify'))!
const issueStep = steps.find((s) => s.uses?.startsWith('actions/github-script@'))!

t.test('runs nightly, may write issues, and maps a secret for every entry of policies/', async (t) => {
  t.match(workflow.on, { schedule: [{ cron: /^\S+ \S+ \* \* \*$/ }] })
  t.equal(workflow.permissions.issues, 'write')
  const policies = await loadPolicySet(new URL('../../policies', import.meta.url).pathname)
  const wanted = [...policies.apps.values()].flatMap((app) => [...app.environments.values()].map((env) => secretEnvOf(app.app, env)))
  t.same(Object.keys(verifyStep.env ?? {}).sort(), wanted.sort())
  for (const [name, value] of Object.entries(verifyStep.env ?? {})) t.equal(value, `\${{ secrets.${name} }}`, `${name} comes from the secret store`)
})

/** Async: the token endpoint answers from this process while the step runs. */
async function runStep (step: Step, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number, status: string }> {
  const script = step.run!.replace(/npx scope-policy/g, `"${process.execPath}" "${BIN}"`)
  const output = join(cwd, 'github-output')
  writeFileSync(output, '')
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
    cwd, stdio: 'ignore', env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: output }
  })
  const [code] = await once(child, 'exit') as [number | null]
  return { code: code ?? -1, status: readFileSync(output, 'utf8') }
}

t.test('the verify step reports drift to the issue step without failing itself', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody({ scope: 'read:a admin:all' }) }))
  t.teardown(() => server.close())
  const cwd = t.testdir({ policies: { 'nightly-app.yaml': verifyPolicy('nightly-app', { prod: { clientId: 'n-prod', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] } }) } })
  const drift = await runStep(verifyStep, cwd, { SCOPE_POLICY_SECRET_NIGHTLY_APP_PROD: 'nightly-s3cr3t' })
  t.same(drift, { code: 0, status: 'status=1\n' })
  t.match(readFileSync(join(cwd, 'scope-verify.md'), 'utf8'), /^\*\*scope-policy verify\*\* `policies`: 1 entry: 1 widened/)
  const skipped = await runStep(verifyStep, cwd, {})
  t.same(skipped, { code: 0, status: 'status=0\n' }, 'no secret: skipped, nothing to open')
  const broken = await runStep({ ...verifyStep, run: verifyStep.run!.replace('--fail-on error', '--fail-on never') }, cwd, {})
  t.not(broken.code, 0, 'a usage error fails the step')
})

/** Runs the github-script body against a recording stand-in of the issues API. */
async function runIssueScript (cwd: string, status: string, openIssues: Array<{ number: number, title: string, pull_request?: unknown }>) {
  const calls: Array<[string, Record<string, unknown>]> = []
  const record = (name: string) => async (args: Record<string, unknown>) => { calls.push([name, args]); return { data: [] } }
  const github = {
    paginate: async (fn: unknown, args: Record<string, unknown>) => { calls.push(['listForRepo', args]); return openIssues },
    rest: { issues: { listForRepo: record('listForRepo'), update: record('update'), create: record('create'), createComment: record('createComment') } }
  }
  const context = { repo: { owner: 'o', repo: 'r' }, serverUrl: 'https://github.com', runId: 7 }
  const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>
  const body = new AsyncFunction('require', 'github', 'context', 'process', issueStep.with!.script!)
  const require = createRequire(join(cwd, 'x.js'))
  const fs = require('node:fs') as typeof import('node:fs')
  await body((m: string) => m === 'node:fs' ? { readFileSync: (p: string, e: BufferEncoding) => fs.readFileSync(join(cwd, p), e) } : require(m), github, context, { env: { STATUS: status } })
  return calls.filter(([name]) => name !== 'listForRepo')
}

t.test('the issue script opens one issue, updates it, and closes it once all agree', async (t) => {
  const cwd = t.testdir({ 'scope-verify.md': '**scope-policy verify** `policies`: 1 entry: 1 narrowed.\n' })
  t.equal(issueStep.if, "steps.verify.outcome == 'success'")
  const title = 'Scope policy drift: the policy and the provider disagree'
  const opened = await runIssueScript(cwd, '1', [])
  t.equal(opened.length, 1)
  t.match(opened[0], ['create', { title, labels: ['scope-drift'], body: /^\*\*scope-policy verify\*\* .*actions\/runs\/7/s }])
  const updated = await runIssueScript(cwd, '1', [{ number: 12, title }])
  t.match(updated, [['update', { issue_number: 12, body: /1 narrowed/ }]])
  t.equal(updated.length, 1)
  const closed = await runIssueScript(cwd, '0', [{ number: 12, title }])
  t.match(closed, [['createComment', { issue_number: 12 }], ['update', { issue_number: 12, state: 'closed' }]])
  t.same(await runIssueScript(cwd, '0', []), [], 'nothing open, nothing to say')
})
