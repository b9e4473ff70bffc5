// `scope-policy serve` as a process: configuration from the environment, SIGHUP reload,
// graceful shutdown, start-up failures. Runs the built CLI: `npm run build` first.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rename, rm, symlink, writeFile, cp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { request } from 'undici'
import { call, fixtures, policyFolder, preflight } from './harness.js'
import { cliMain, spawnServe } from './spawn.js'

if (!existsSync(cliMain)) t.fail(`${cliMain} is missing: run npm run build`)

const allowed = { clientId: 'prod-app-8821', scopes: 'read:interaction' }

t.test('serves the policy folder from POLICY_DIR on PORT', async (t) => {
  const dir = await policyFolder(t)
  const server = spawnServe(t, { POLICY_DIR: dir })
  const origin = await server.origin()
  t.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/, 'HOST defaults to 127.0.0.1')
  t.equal((await call(origin, '/healthz')).status, 200)
  t.equal((await preflight(origin, allowed)).status, 200)
  t.ok(server.lines.some((l) => l.msg === 'policy set loaded' && l.apps === 2))
})

t.test('PREFLIGHT_API_KEYS turns keys on; no key reaches the log', async (t) => {
  const dir = await policyFolder(t)
  const keys = ['env-key-one-1f2e3d4c', 'env-key-two-9a8b7c6d']
  const server = spawnServe(t, { POLICY_DIR: dir, PREFLIGHT_API_KEYS: ` ${keys[0]}, ${keys[1]},` })
  const origin = await server.origin()
  t.equal((await preflight(origin, allowed)).status, 401)
  t.equal((await preflight(origin, allowed, { authorization: `Bearer ${keys[1]}` })).status, 200)
  t.equal((await call(origin, '/readyz')).status, 200)
  server.child.kill('SIGTERM')
  await server.exited
  for (const key of keys) t.notOk(server.stdout().includes(key) || server.stderr().includes(key), 'key not logged')
})

t.test('SIGHUP reloads a folder swapped behind a symlink, which no watch sees, and the watch follows it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'preflight-hup-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  await cp(join(fixtures, 'basic'), join(root, 'v1'), { recursive: true })
  await cp(join(fixtures, 'basic'), join(root, 'v2'), { recursive: true })
  const file = join(root, 'v2', 'agent-desktop-worker.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('read:analytics: queue', 'write:notes: notes (SEC-9)\n      read:analytics: queue'))
  await symlink(join(root, 'v1'), join(root, 'current'))

  const server = spawnServe(t, { POLICY_DIR: join(root, 'current') })
  const origin = await server.origin()
  const request = { clientId: 'prod-app-8821', scopes: 'write:notes' }
  t.equal((await preflight(origin, request)).status, 422)

  // Re-point the symlink atomically, as a deploy would.
  await symlink(join(root, 'v2'), join(root, 'next'))
  await rename(join(root, 'next'), join(root, 'current'))
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal((await preflight(origin, request)).status, 422, 'no reload without the signal')

  server.child.kill('SIGHUP')
  await server.waitForLine((l) => l.msg === 'policy set loaded' && l.cause === 'SIGHUP')
  t.equal((await preflight(origin, request)).status, 200, 'the new set serves after SIGHUP')

  // The watch now follows the new folder: an invalid change there is refused at once.
  await writeFile(join(root, 'v2', 'broken.yaml'), 'app: broken\nowner: [\n')
  await server.waitForLine((l) => l.cause === 'file change' && /^policy set refused/.test(l.msg))
  t.ok(server.lines.some((l) => l.level === 50 && /broken\.yaml:\d+:\d+: error /.test(l.msg)), 'finding logged file:line:col')
  const ready = await call(origin, '/readyz')
  t.equal(ready.status, 503)
  t.same(ready.body.files, ['broken.yaml'])
  t.equal((await preflight(origin, request)).status, 200, 'the last good set serves')
  t.equal(server.child.exitCode, null, 'still running')
})

t.test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async (t) => {
  const dir = await policyFolder(t)
  const server = spawnServe(t, { POLICY_DIR: dir })
  const origin = await server.origin()
  const body = Buffer.from(JSON.stringify(allowed))
  const stream = new PassThrough()
  const inFlight = request(`${origin}/v1/preflight`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    body: stream,
  })
  stream.write(body.subarray(0, 10))
  await new Promise((resolve) => setTimeout(resolve, 200))

  server.child.kill('SIGTERM')
  await server.waitForLine((l) => l.msg === 'shutting down: finishing in-flight requests')
  // A connection opened as the close begins gets a 503; then none is accepted.
  let refused = false
  for (const until = Date.now() + 10_000; !refused && Date.now() < until;) {
    try {
      t.equal((await call(origin, '/healthz')).status, 503, 'answered while closing')
    } catch {
      refused = true
    }
  }
  t.ok(refused, 'new connections are refused')
  stream.end(body.subarray(10))
  const res = await inFlight
  t.equal(res.statusCode, 200, 'the in-flight request completes')
  t.equal(res.headers.connection, 'close', 'and closes its keep-alive connection, which would hold the exit')
  t.same(await res.body.json(), { allowed: true, app: 'agent-desktop-worker', environment: 'prod', scopes: ['read:interaction'] })
  t.same(await server.exited, { code: 0, signal: null })
})

t.test('SIGINT exits 0 too', async (t) => {
  const server = spawnServe(t, { POLICY_DIR: await policyFolder(t) })
  await server.origin()
  server.child.kill('SIGINT')
  t.same(await server.exited, { code: 0, signal: null })
})

t.test('a bad environment variable fails start-up, naming the variable and not its value', async (t) => {
  const dir = await policyFolder(t)
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT must be integer/],
    [{ PORT: '70000' }, /PORT must be <= 65535/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ PREFLIGHT_API_KEYS: 'secret one-0123456789,another-key-0123456789' }, /PREFLIGHT_API_KEYS holds a key that holds a character other than printable ASCII/],
    [{ PREFLIGHT_API_KEYS: 'secret-one,another-key-0123456789' }, /PREFLIGHT_API_KEYS holds a key that is shorter than 16 characters/],
    [{ HOST: '' }, /HOST must NOT have fewer than 1 characters/],
  ]
  for (const [env, message] of cases) {
    const server = spawnServe(t, { POLICY_DIR: dir, ...env })
    const { code } = await server.exited
    t.equal(code, 1, JSON.stringify(env))
    t.match(server.stderr(), message, JSON.stringify(env))
    t.notOk(/secret.one|another-key/.test(server.stderr()), 'the value is not echoed')
  }
})

t.test('an invalid policy folder fails start-up with each finding file:line:col', async (t) => {
  const dir = await policyFolder(t)
  await writeFile(join(dir, 'broken.yaml'), 'app: broken\nowner: x\nowner: y\n')
  const server = spawnServe(t, { POLICY_DIR: dir })
  const { code } = await server.exited
  t.equal(code, 1)
  t.ok(server.lines.some((l) => l.level === 50 && /broken\.yaml:\d+:\d+: error /.test(l.msg)), 'finding logged')
  t.match(server.stderr(), /invalid policy folder/)

  const missing = spawnServe(t, { POLICY_DIR: join(dir, 'nope') })
  t.equal((await missing.exited).code, 1)
  t.ok(missing.lines.some((l) => /missing-folder/.test(l.msg ?? '')))
})

t.test('the --policies flag wins over POLICY_DIR', async (t) => {
  const dir = await policyFolder(t)
  const server = spawnServe(t, { POLICY_DIR: '/nonexistent' }, [process.execPath, cliMain, 'serve', '--policies', dir])
  const origin = await server.origin()
  t.equal((await preflight(origin, allowed)).status, 200)
})

t.test('npm start in the repository answers /healthz, and a SIGTERM to npm stops the server', async (t) => {
  // A process group of its own, so teardown can end everything if the signal is not passed on.
  const server = spawnServe(t, { npm_config_update_notifier: 'false' }, ['npm', 'start', '--silent'], true)
  const origin = await server.origin()
  t.same((await call(origin, '/healthz')).body, { status: 'ok' })
  t.equal((await call(origin, '/readyz')).status, 200, 'the repository policies load')
  // `exec` in the start script makes the server npm's own child, so npm's SIGTERM reaches it.
  process.kill(server.child.pid!, 'SIGTERM')
  await server.waitForLine((l) => l.msg === 'shutting down: finishing in-flight requests')
  await server.exited
})
