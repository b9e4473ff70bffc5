// The nightly example workflow (docs/verify.md, "Threat model"): one matrix leg per entry of
// policies/, each with only its own secret, named from its app and environment (never from the
// policy), sent only to its listed host; the leg step, run as the runner would (bash -eo
// pipefail) with `npx scope-policy` pointing at the built bin against a fault server; the final
// job merges the legs' reports and its issue script opens, updates or closes one issue.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { loadPolicySet } from '../../service/policy/index.js'
import { defaultSecretEnv } from '../../service/policy/secret-env.js'
import { BIN } from '../helpers/cli.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { verifyPolicy } from './fixtures.js'

interface Step { id?: string, uses?: string, with?: Record<string, string>, run?: string, env?: Record<string, string>, if?: string }
interface Job { needs?: string, if?: string, environment?: string, permissions?: Record<string, string>, strategy?: { matrix: { include: Array<Record<string, string>> } }, steps: Step[] }
const text = readFileSync(new URL('../../examples/github-actions/verify-nightly.yml', import.meta.url), 'utf8')
const workflow = parse(text) as { on: Record<string, unknown>, permissions: Record<string, string>, jobs: Record<string, Job> }
const legs = workflow.jobs.verify!
const report = workflow.jobs.report!
const legStep = legs.steps.find((s) => s.run?.includes('scope-policy verify'))!
const mergeStep = report.steps.find((s) => s.id === 'verify')!
const issueStep = report.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!

t.test('runs nightly: a leg per entry of policies/, its secret named from its app and environment, its host listed', async (t) => {
  t.match(workflow.on, { schedule: [{ cron: /^\S+ \S+ \* \* \*$/ }] })
  t.same(workflow.permissions, { contents: 'read' }, 'no write permission where secrets are')
  const policies = await loadPolicySet(new URL('../../policies', import.meta.url).pathname)
  const entries = [...policies.apps.values()].flatMap((app) => [...app.environments.values()].map((env) => ({
    app: app.app, env: env.name, host: new URL(env.tokenEndpoint).hostname, secret: defaultSecretEnv(app.app, env.name)
  })))
  const include = legs.strategy!.matrix.include
  t.same([...include].sort((a, b) => `${a.app}/${a.env}` < `${b.app}/${b.env}` ? -1 : 1), entries, 'every entry, its host, and the default name of its app and environment')
  t.equal(legs.environment, 'scope-audit')
  // The one secret a leg sees is its own matrix entry's.
  const expr = (e: string): string => `\${{ ${e} }}`
  t.same(legStep.env, { APP: expr('matrix.app'), ENVIRONMENT: expr('matrix.env'), HOST: expr('matrix.host'), SECRET_NAME: expr('matrix.secret'), SECRET: expr('secrets[matrix.secret]') })
  t.same(text.match(/secrets[.[][^}]*/g), ['secrets[matrix.secret] '], 'no other secret anywhere in the workflow')
  t.match(legStep.run, /--allow-host "\$HOST"/)
  t.notOk('permissions' in legs, 'the legs keep the read-only default')
  t.match(report, { needs: 'verify', if: 'always()', permissions: { issues: 'write' } })
  t.notOk('environment' in report, 'the job that writes issues holds no secret')
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

const statusOf = (cwd: string): string => readFileSync(join(cwd, 'scope-verify.status'), 'utf8')

t.test('a leg: its own secret under the name verify reads by default; drift reported without failing the step', async (t) => {
  const server = await startFaultServer(() => ({ body: tokenBody({ scope: 'read:a admin:all' }) }))
  t.teardown(() => server.close())
  const leg = (policy: Parameters<typeof verifyPolicy>[1]['prod']) =>
    t.testdir({ policies: { 'nightly-app.yaml': verifyPolicy('nightly-app', { prod: policy, staging: { clientId: 'n-stg', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] } }) } })
  const entry = { clientId: 'n-prod', tokenEndpoint: server.tokenEndpoint, scopes: ['read:a'] }
  const env = { APP: 'nightly-app', ENVIRONMENT: 'prod', HOST: '127.0.0.1', SECRET_NAME: 'SCOPE_POLICY_SECRET_NIGHTLY_APP_PROD', SECRET: 'nightly-s3cr3t' }

  const cwd = leg(entry)
  t.same((await runStep(legStep, cwd, env)).code, 0)
  t.equal(statusOf(cwd), '1\n', 'drift: status 1 for the report job')
  t.match(readFileSync(join(cwd, 'scope-verify.md'), 'utf8'), /^\*\*scope-policy verify\*\* `policies`: 1 entry: 1 widened/)
  t.equal(server.requests.length, 1, 'its own entry only')

  const steered = leg({ ...entry, secretEnv: 'SCOPE_POLICY_SECRET_NIGHTLY_APP_STAGING' })
  t.same((await runStep(legStep, steered, env)).code, 0)
  t.equal(statusOf(steered), '0\n', 'the policy names another variable: the leg has no such secret, skipped')
  t.match(readFileSync(join(steered, 'scope-verify.md'), 'utf8'), /1 skipped/)
  const elsewhere = leg(entry)
  t.same((await runStep(legStep, elsewhere, { ...env, HOST: 'auth.example.com' })).code, 0)
  t.match(readFileSync(join(elsewhere, 'scope-verify.md'), 'utf8'), /1 skipped/, 'an endpoint on another host: skipped')
  t.equal(server.requests.length, 1, 'no request for either')

  const mismatch = await runStep(legStep, leg(entry), { ...env, SECRET_NAME: 'SCOPE_POLICY_SECRET_LEDGER_RECONCILER_PROD' })
  t.not(mismatch.code, 0, 'a matrix secret that is not the app and environment\'s fails the leg')
  const broken = await runStep({ ...legStep, run: legStep.run!.replace('--fail-on error', '--fail-on never') }, cwd, env)
  t.not(broken.code, 0, 'a usage error fails the leg')
})

t.test('the report job merges the legs: drift if any leg drifted; a leg that could not run leaves the issue alone', async (t) => {
  const cwd = t.testdir({})
  for (const [name, status] of [['a-prod', '0'], ['b-prod', '1']]) {
    mkdirSync(join(cwd, 'legs', `scope-verify-${name}`), { recursive: true })
    writeFileSync(join(cwd, 'legs', `scope-verify-${name}`, 'scope-verify.md'), `**scope-policy verify** ${name}\n`)
    writeFileSync(join(cwd, 'legs', `scope-verify-${name}`, 'scope-verify.status'), `${status}\n`)
  }
  t.same(await runStep(mergeStep, cwd, { LEGS: 'success' }), { code: 0, status: 'status=1\n' })
  t.match(readFileSync(join(cwd, 'scope-verify.md'), 'utf8'), /a-prod\n\n\*\*scope-policy verify\*\* b-prod/)
  t.not((await runStep(mergeStep, cwd, { LEGS: 'failure' })).code, 0)
  t.equal(issueStep.if, "steps.verify.outcome == 'success'")
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
