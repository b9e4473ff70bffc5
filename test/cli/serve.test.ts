// `scope-policy serve` starts the preflight API of docs/preflight-api.md on the given folder.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { BIN, runCli, WORKER } from '../helpers/cli.js'

t.test('serve --policies DIR answers preflight requests and stops on SIGTERM', async (t) => {
  const dir = t.testdir({ 'agent-desktop-worker.yaml': WORKER })
  const { POLICY_DIR: _ignored, ...env } = process.env
  const child = spawn(process.execPath, [BIN, 'serve', '--policies', dir], {
    env: { ...env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let log = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)))
  })
  const res = await fetch(`${url}/v1/preflight`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'prod-app-8821', environment: 'prod', scopes: 'read:Interaction' }),
  })
  t.equal(res.status, 422)
  t.match(await res.json(), { allowed: false, violations: [{ code: 'case_mismatch', suggestion: 'read:interaction' }] })
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
})

t.test('serve with a bad environment: one line, exit 1', async (t) => {
  const r = await runCli(['serve'], { env: { PORT: 'not-a-port' } })
  t.equal(r.code, 1)
  t.match(r.stderr, /^scope-policy: .*PORT.*\n$/)
})
