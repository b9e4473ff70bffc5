// Live reload: file changes in the policy folder swap in a valid set, refuse an invalid
// one (the last good set keeps serving, /readyz says why), and deletions remove apps.
import { spawn } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { call, policyFolder, preflight, repoRoot, startService } from './harness.js'

/** Polls until `check` holds, for at most `ms` (generous: a loaded CI machine delivers fs events late). */
async function eventually (check: () => Promise<boolean>, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return check()
}

const addScope = (text: string): string =>
  text.replace('      read:analytics: queue dashboards (SEC-140)\n', '      read:analytics: queue dashboards (SEC-140)\n      write:notes: agent notes (SEC-150)\n')

t.test('a valid change is picked up within a few seconds', async (t) => {
  const dir = await policyFolder(t)
  const { origin } = await startService(t, { policyDir: dir, watch: true })
  const request = { clientId: 'prod-app-8821', scopes: 'read:interaction write:notes' }
  t.equal((await preflight(origin, request)).status, 422, 'not whitelisted yet')
  const before = (await call(origin, '/readyz')).body.loadedAt

  const file = join(dir, 'agent-desktop-worker.yaml')
  await writeFile(file, addScope(await readFile(file, 'utf8')))
  t.ok(await eventually(async () => (await preflight(origin, request)).status === 200), 'allowed after the change')
  const ready = await call(origin, '/readyz')
  t.equal(ready.status, 200)
  t.not(ready.body.loadedAt, before, 'loadedAt moves on')
})

t.test('a new file adds an app; deleting a file removes it', async (t) => {
  const dir = await policyFolder(t)
  const { origin } = await startService(t, { policyDir: dir, watch: true })
  const source = await readFile(join(dir, 'reporting-exporter.yaml'), 'utf8')
  await writeFile(
    join(dir, 'chat-archiver.yaml'),
    source.replaceAll('reporting-exporter', 'chat-archiver').replace('prod-reporting-4410', 'prod-chat-7001')
  )
  const request = { clientId: 'prod-chat-7001', scopes: 'read:queue' }
  t.ok(await eventually(async () => (await preflight(origin, request)).status === 200), 'the new app answers')
  t.equal((await call(origin, '/readyz')).body.apps, 3)

  await rm(join(dir, 'reporting-exporter.yaml'))
  const gone = { clientId: 'prod-reporting-4410', scopes: 'read:queue' }
  t.ok(await eventually(async () => (await preflight(origin, gone)).body.error === 'invalid_client'), 'the deleted app is unknown')
  t.equal((await call(origin, '/v1/clients/prod-reporting-4410')).status, 404)
  t.equal((await preflight(origin, request)).status, 200, 'the others stay')
})

t.test('an invalid change is refused: the last good set serves and /readyz lists the findings', async (t) => {
  const dir = await policyFolder(t)
  const service = await startService(t, { policyDir: dir, watch: true })
  const { origin } = service
  const file = join(dir, 'agent-desktop-worker.yaml')
  const good = await readFile(file, 'utf8')
  // The same scope twice in one whitelist: YAML duplicate keys are an error.
  await writeFile(file, `${addScope(good)}      read:analytics: twice\n`)

  t.ok(await eventually(async () => (await call(origin, '/readyz')).status === 503), '/readyz turns 503')
  const ready = await call(origin, '/readyz')
  t.equal(ready.body.status, 'not_ready')
  t.same(ready.body.files, ['agent-desktop-worker.yaml'])
  t.ok(ready.body.findings.length > 0)
  for (const f of ready.body.findings) t.match(f, /^agent-desktop-worker\.yaml:\d+:\d+: error [a-z-]+$/, 'file:line:col: severity code, no message')

  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'read:interaction' })).status, 200, 'the old set serves')
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'write:notes' })).status, 422, 'nothing of the new set')
  t.ok(
    service.logs.some((l) => /agent-desktop-worker\.yaml:\d+:\d+: error/.test(l) && l.includes('"level":50')),
    'each finding is logged as an error with file:line:col'
  )
  t.ok(service.logs.some((l) => l.includes('the last good set keeps serving')))

  await writeFile(file, addScope(good))
  t.ok(await eventually(async () => (await call(origin, '/readyz')).status === 200), 'ready again once fixed')
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'write:notes' })).status, 200)
})

t.test('a refused reload shows no text of the file: not in /readyz, not in the log', async (t) => {
  const dir = await policyFolder(t)
  const service = await startService(t, { policyDir: dir })
  const canary = 'CANARYr4Wq'
  // JSON-style YAML: the duplicate key and its value share one line.
  const text = `{"app": "leaky-app", "owner": "@x/y", "provider": "generic", "environments": {"prod": {"clientId": "leaky-1", "tokenEndpoint": "https://a.example.com/t", "scopes": {}, "client_secret":"${canary}-1","client_secret":"${canary}-2"}}}\n`
  await writeFile(join(dir, 'leaky-app.yaml'), text)
  t.equal((await service.app.preflightPolicies.reload('test')).applied, false)
  const ready = await call(service.origin, '/readyz')
  t.equal(ready.status, 503)
  t.same(ready.body.findings, [`leaky-app.yaml:1:${text.lastIndexOf('"client_secret"') + 1}: error duplicate-key`])
  t.notOk(ready.text.includes(canary), '/readyz')
  t.notOk(service.logs.some((l) => l.includes(canary)), 'the log')
  t.ok(service.logs.some((l) => l.includes('duplicate key \\"client_secret\\"')), 'the log names the key')
})

t.test('a syntax error in a new file is refused too', async (t) => {
  const dir = await policyFolder(t)
  const { origin } = await startService(t, { policyDir: dir, watch: true })
  await writeFile(join(dir, 'half-typed.yaml'), 'app: half-typed\nowner: "@x\n')
  t.ok(await eventually(async () => (await call(origin, '/readyz')).status === 503))
  t.same((await call(origin, '/readyz')).body.files, ['half-typed.yaml'])
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'read:interaction' })).status, 200)
})

t.test('reload() for embedders: applied or refused, and bursts share loads', async (t) => {
  const dir = await policyFolder(t)
  const { app, origin } = await startService(t, { policyDir: dir })
  const file = join(dir, 'agent-desktop-worker.yaml')
  const good = await readFile(file, 'utf8')
  await writeFile(file, addScope(good))
  const burst = await Promise.all([1, 2, 3, 4].map(() => app.preflightPolicies.reload('test')))
  t.ok(burst.every((o) => o.applied))
  t.equal(new Set(burst).size <= 2, true, 'a burst costs at most two loads')
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'write:notes' })).status, 200)

  await writeFile(file, 'app: [\n')
  const refused = await app.preflightPolicies.reload('test')
  t.equal(refused.applied, false)
  t.ok(refused.findings.some((f) => f.file === 'agent-desktop-worker.yaml' && f.severity === 'error'))
  t.equal((await preflight(origin, { clientId: 'prod-app-8821', scopes: 'write:notes' })).status, 200)
})

t.test('requests during a storm of reloads get a full answer from one set or the other', async (t) => {
  const dir = await policyFolder(t)
  const { app, origin } = await startService(t, { policyDir: dir })
  const file = join(dir, 'agent-desktop-worker.yaml')
  const good = await readFile(file, 'utf8')
  const versions = [good, addScope(good)]
  let stop = false
  const churn = (async () => {
    // `stop` is set by the test body while this loop awaits.
    // eslint-disable-next-line no-unmodified-loop-condition
    for (let i = 0; !stop; i++) {
      await writeFile(file, versions[i % 2]!)
      await app.preflightPolicies.reload('churn')
    }
  })()
  const answers = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const res = await preflight(origin, { clientId: 'prod-app-8821', scopes: 'read:interaction write:notes' })
    answers.add(res.status === 422 ? `422 ${res.body.violations.map((v: any) => `${v.scope}:${v.code}`).join(',')}` : String(res.status))
  }
  stop = true
  await churn
  t.ok([...answers].every((a) => a === '200' || a === '422 write:notes:not_whitelisted'), `answers: ${[...answers].join(' | ')}`)
  t.equal((await call(origin, '/readyz')).status, 200)
})

t.test('close() stops the watch and a pending debounced reload', async (t) => {
  const dir = await policyFolder(t)
  const service = await startService(t, { policyDir: dir, watch: true, reloadDebounceMs: 300 })
  const file = join(dir, 'agent-desktop-worker.yaml')
  await writeFile(file, addScope(await readFile(file, 'utf8')))
  await new Promise((resolve) => setTimeout(resolve, 100)) // the change is seen, its reload pending
  await service.app.close()
  await writeFile(file, 'app: [\n')
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.notOk(
    service.logs.some((l) => l.includes('"cause":"file change"')),
    'no reload after close'
  )
})

t.test('after close() nothing of the watch keeps the process alive, not even a pending reload', async (t) => {
  // In a process of its own (the built service): a watcher or a debounce timer left open
  // would hold its exit for ever, or for the one-minute debounce.
  const dir = await policyFolder(t)
  const app = pathToFileURL(join(repoRoot, 'dist/service/http/app.js')).href
  const script = `
    import { appendFile } from 'node:fs/promises'
    import { buildPreflightApp } from ${JSON.stringify(app)}
    const app = buildPreflightApp({ policyDir: process.argv[1], watch: true, reloadDebounceMs: 60_000 })
    await app.listen({ port: 0, host: '127.0.0.1' })
    await appendFile(process.argv[1] + '/agent-desktop-worker.yaml', '\\n')
    await new Promise((resolve) => setTimeout(resolve, 300))
    await app.close()
    console.log('closed')
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => void (out += chunk))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  t.teardown(() => {
    clearTimeout(timer)
    child.kill('SIGKILL')
  })
  t.equal(await exited, 0, 'the process ends by itself')
  t.equal(out, 'closed\n')
})
