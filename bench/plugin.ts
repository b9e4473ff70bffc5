// request.appToken (cached) vs the same route without the plugin: autocannon
// against two servers, each in its own child process, alternating ≥ 5 times.
// Prints every run, the median throughput ratio (target ≥ 0.95) and its spread.
// BENCH_OTEL=1: both servers with an OpenTelemetry SDK installed (bench/otel.ts).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import autocannon from 'autocannon'
import { OTEL } from './otel.js'

const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 9))
const DURATION = Number(process.env.BENCH_DURATION ?? 2) // seconds per run: short, so load drift hits both sides of a pair alike
const CONNECTIONS = 50

async function start (variant: 'with' | 'without'): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(new URL('./plugin-server.js', import.meta.url), [variant], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = await once(child, 'message') as [{ port: number }]
  return { child, url: `http://127.0.0.1:${message.port}/calls` }
}

async function run (url: string, duration: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration })
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: ${result.errors} errors, ${result.non2xx} non-2xx`)
  return result.requests.average
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const servers = { with: await start('with'), without: await start('without') }
try {
  for (const s of Object.values(servers)) await run(s.url, 1) // warm-up: JIT, keep-alive sockets
  const ratios: number[] = []
  console.log(`${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections; req/s; OpenTelemetry SDK ${OTEL ? 'installed (BENCH_OTEL=1)' : 'not installed'}`)
  console.log('round  without   with      ratio')
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first so drift on a noisy machine falls on both sides.
    const order = i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)
    const rps = { with: 0, without: 0 }
    for (const v of order) rps[v] = await run(servers[v].url, DURATION)
    const ratio = rps.with / rps.without
    ratios.push(ratio)
    console.log(`${String(i + 1).padStart(5)}  ${rps.without.toFixed(0).padStart(7)}  ${rps.with.toFixed(0).padStart(7)}  ${ratio.toFixed(3)}`)
  }
  const m = median(ratios)
  console.log(`median ratio with/without: ${m.toFixed(3)} (target ≥ 0.95: ${m >= 0.95 ? 'met' : 'MISSED'}); ` +
    `spread ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`)
} finally {
  for (const s of Object.values(servers)) s.child.disconnect()
}
