// Reloads under hostile or busy folders (docs/preflight-api.md, "Reloads"): a newer change
// abandons the load in progress (at most 3 times in a row), a load over its bound is stopped
// and refused while the last good set serves, and /readyz and the page list at most 50 findings.
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { PolicyStore, type ReloadOutcome } from '../../service/http/policy-store.js'
import { logCapture } from '../helpers/log-capture.js'
import { call, policyFolder, startService } from './harness.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A file of about `bytes` bytes with one schema error per line: slow to load, however linear. */
function slowFile (bytes: number): string {
  const lines = ['app: slow', 'owner: "@o/t"', 'provider: generic', 'environments:']
  for (let i = 0, size = 0; size < bytes; i++) {
    lines.push(`  e${i}: {clientId: 1}`)
    size += 24
  }
  return `${lines.join('\n')}\n`
}

/** A store on a copy of the basic folder, counting its completed loads. */
async function store (t: Test, loadTimeoutMs?: number): Promise<{ store: PolicyStore, dir: string, loads: ReloadOutcome[], log: ReturnType<typeof logCapture> }> {
  const dir = await policyFolder(t)
  const log = logCapture()
  const loads: ReloadOutcome[] = []
  const s = new PolicyStore(dir, log.logger, { onLoad: (outcome) => loads.push(outcome), ...(loadTimeoutMs === undefined ? {} : { loadTimeoutMs }) })
  t.teardown(() => s.close())
  await s.start()
  return { store: s, dir, loads, log }
}

const OWNER = (n: number): string => `owner: "@contact-center/desktop-${n}"`

async function setOwner (dir: string, n: number): Promise<void> {
  const file = join(dir, 'agent-desktop-worker.yaml')
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(/^owner: .*$/m, OWNER(n)))
}

t.test('a newer change abandons the load in progress: one load, and it sees the newer files', async (t) => {
  const { store: s, dir, loads } = await store(t)
  loads.length = 0
  await writeFile(join(dir, 'slow.yaml'), slowFile(900 * 1024))
  const first = s.reload('first change')
  await sleep(300) // the slow load is under way
  await rm(join(dir, 'slow.yaml'))
  await setOwner(dir, 1)
  const second = s.reload('second change')
  const [a, b] = await Promise.all([first, second])
  t.ok(a.applied, 'the caller of the abandoned load gets the outcome of the files as they are now')
  t.equal(b, a, 'both callers share one outcome')
  t.equal(loads.length, 1, 'one completed load, not the stale one and then another')
  t.equal(s.current.apps.get('agent-desktop-worker')?.owner, '@contact-center/desktop-1')
  t.notOk(s.current.apps.has('slow'))
})

t.test('a folder that never stops changing: three loads abandoned in a row, then the load in progress completes', async (t) => {
  const { store: s, dir, loads, log } = await store(t)
  loads.length = 0
  await writeFile(join(dir, 'slow.yaml'), slowFile(400 * 1024))
  const calls: Array<Promise<ReloadOutcome>> = [s.reload('change 0')]
  for (let n = 1; n <= 5; n++) {
    await sleep(150)
    await setOwner(dir, n)
    calls.push(s.reload(`change ${n}`))
  }
  const outcomes = await Promise.all(calls)
  const abandoned = log.entries().filter((e) => String(e.msg).startsWith('policy load abandoned'))
  t.equal(abandoned.length, 3, 'abandoned three times in a row')
  t.equal(loads.length, 2, 'the fourth change lets the load complete; one more load follows it')
  t.same(outcomes.map((o) => outcomes.indexOf(o)), [0, 0, 0, 0, 4, 4], 'the first four callers share the completed load, the last two the load after it')
  t.notOk(outcomes[5]?.applied, 'slow.yaml is still invalid')
  t.match(outcomes[5]?.findings.find((f) => f.code === 'too-many-findings')?.message, /more findings in this file/)
  await rm(join(dir, 'slow.yaml'))
  t.ok((await s.reload('fixed')).applied)
  t.equal(s.current.apps.get('agent-desktop-worker')?.owner, '@contact-center/desktop-5', 'the last load saw the last change')
})

t.test('a load over its time bound is stopped and refused; the last good set keeps serving', async (t) => {
  const { store: s, dir, log } = await store(t, 2000)
  const before = s.current
  // Four files of about 0.9 MB each: far more than 2 s of loading, however linear.
  for (let i = 0; i < 4; i++) await writeFile(join(dir, `slow-${i}.yaml`), slowFile(900 * 1024).replace('app: slow', `app: slow-${i}`))
  const started = performance.now()
  const outcome = await s.reload('big change')
  t.comment(`refused after ${(performance.now() - started).toFixed(0)} ms`)
  t.notOk(outcome.applied)
  t.same(outcome.findings.map((f) => [f.file, f.code, f.severity]), [['.', 'load-timeout', 'error']])
  t.equal(s.current, before, 'the last good set serves')
  const status = s.status()
  t.same(status.ready ? [] : status.findings, ['.:1:1: error load-timeout'])
  t.ok(log.entries().some((e) => e.level === 50 && String(e.msg).includes('load-timeout')), 'the refusal is logged')
  for (let i = 0; i < 4; i++) await rm(join(dir, `slow-${i}.yaml`))
  t.ok((await s.reload('fixed')).applied, 'the next load runs on a fresh worker')
})

t.test('/readyz and the page list at most 50 findings of a refused set', async (t) => {
  const { app, origin } = await startService(t)
  const dir = app.preflightPolicies.dir
  await writeFile(join(dir, 'slow.yaml'), slowFile(8 * 1024))
  t.notOk((await app.preflightPolicies.reload('test')).applied)
  const ready = await call(origin, '/readyz')
  t.equal(ready.status, 503)
  t.equal(ready.body.findings.length, 50)
  t.match(ready.body.reason, /the first 50 of 101 findings are listed/)
  const page = await call(origin, '/')
  t.equal(page.text.match(/<li><code>/g)?.length, 50, 'the page lists 50')
})
