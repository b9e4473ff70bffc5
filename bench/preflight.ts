// POST /v1/preflight (an allowed 5-scope request) vs a bare Fastify POST route returning
// a constant JSON body: autocannon against two servers, each in its own child process,
// alternating ≥ 5 times. Prints every run, the median throughput ratio (target ≥ 0.80)
// and its spread. Loopback only; about ROUNDS × 2 × DURATION seconds.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 7))
const DURATION = Number(process.env.BENCH_DURATION ?? 3) // seconds per run
const CONNECTIONS = 10
const TARGET = 0.8

const SCOPES = ['read:analytics', 'read:interaction', 'read:queue', 'read:user', 'read:recording']
const POLICY = `app: bench-reporting
owner: "@bench/team"
provider: generic
environments:
  prod:
    clientId: bench-client-5
    tokenEndpoint: https://api.example.com/oauth/token
    scopes:
${SCOPES.map((s) => `      ${s}: bench`).join('\n')}
`
const BODY = JSON.stringify({ clientId: 'bench-client-5', scopes: SCOPES })

type Variant = 'preflight' | 'bare'

async function start (variant: Variant, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL('./preflight-server.js', import.meta.url), [variant, dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  return { child, url: `http://127.0.0.1:${message.port}/v1/preflight` }
}

async function run (url: string, duration: number): Promise<{ rps: number; p99: number }> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration,
  })
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
  return { rps: result.requests.average, p99: result.latency.p99 }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const dir = await mkdtemp(join(tmpdir(), 'bench-preflight-'))
await writeFile(join(dir, 'bench-reporting.yaml'), POLICY)
const servers = { preflight: await start('preflight', dir), bare: await start('bare', dir) }
try {
  // The request really is allowed, with all five scopes.
  const check = await fetch(servers.preflight.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY })
  const answer = (await check.json()) as { allowed?: boolean; scopes?: string[] }
  if (check.status !== 200 || answer.allowed !== true || answer.scopes?.length !== 5) {
    throw new Error(`the bench request is not allowed: ${check.status} ${JSON.stringify(answer)}`)
  }
  for (const s of Object.values(servers)) await run(s.url, 1) // warm-up: JIT, keep-alive sockets

  const ratios: number[] = []
  console.log(`${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections, 5-scope allowed request; req/s (p99 ms)`)
  console.log('round     bare           preflight      ratio')
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first so drift on a noisy machine falls on both sides.
    const order: Variant[] = i % 2 === 0 ? ['bare', 'preflight'] : ['preflight', 'bare']
    const r = { bare: { rps: 0, p99: 0 }, preflight: { rps: 0, p99: 0 } }
    for (const v of order) r[v] = await run(servers[v].url, DURATION)
    const ratio = r.preflight.rps / r.bare.rps
    ratios.push(ratio)
    const cell = ({ rps, p99 }: { rps: number; p99: number }): string => `${rps.toFixed(0).padStart(7)} (${p99})`.padEnd(15)
    console.log(`${String(i + 1).padStart(5)}     ${cell(r.bare)}${cell(r.preflight)}${ratio.toFixed(3)}`)
  }
  const m = median(ratios)
  const lo = Math.min(...ratios)
  const hi = Math.max(...ratios)
  console.log(
    `median ratio preflight/bare: ${m.toFixed(3)} (target ≥ ${TARGET}: ${m >= TARGET ? 'met' : 'MISSED'}); ` +
      `spread ${lo.toFixed(3)}–${hi.toFixed(3)} (±${(((hi - lo) / 2 / m) * 100).toFixed(1)}% of the median)`
  )
} finally {
  for (const s of Object.values(servers)) s.child.disconnect()
  await rm(dir, { recursive: true, force: true })
}
