// Requests per second through app.appToken.dispatcher() (Bearer) vs plain undici with the
// same Authorization header set by hand, to the same keep-alive server in its own process.
// Alternating rounds of a fixed time each; prints every round and the median ratio (target ≥ 0.9).
// DPoP (the proof signed per request) is measured here once the `dpop` option lands: add a
// third variant `dpop` registering with `dpop: true` and print its cost per request.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { Agent, request, type Dispatcher } from 'undici'
import appToken from '../plugin/index.js'
import { benchTokenServer } from './token-server.js'

if (process.argv[2] === 'server') {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"ok":true}') })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }))
  process.on('disconnect', () => process.exit(0))
} else {
  const ROUNDS = Math.max(5, Number(process.env.BENCH_ROUNDS ?? 9))
  const DURATION = Number(process.env.BENCH_DURATION ?? 1500) // ms per round
  const CONCURRENCY = 20
  const child = fork(new URL(import.meta.url), ['server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [{ port }] = await once(child, 'message') as [{ port: number }]
  const origin = `http://127.0.0.1:${port}`
  const tokens = await benchTokenServer(86_400)
  const app = Fastify()
  await app.register(appToken, { clientId: 'bench-app', clientSecret: 'bench-secret', tokenEndpoint: tokens.url, scopes: ['read:interaction'], origins: [origin] })
  await app.ready()
  const token = await app.appToken.get()
  const plain = new Agent()
  const variants: Record<'plain' | 'dispatcher', { dispatcher: Dispatcher; headers: Record<string, string> }> = {
    plain: { dispatcher: plain, headers: { authorization: token.authorization } },
    dispatcher: { dispatcher: app.appToken.dispatcher(), headers: {} }
  }

  async function run (variant: keyof typeof variants, ms: number): Promise<number> {
    const { dispatcher, headers } = variants[variant]
    const until = performance.now() + ms
    let done = 0
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const res = await request(`${origin}/v1/calls`, { dispatcher, headers })
        await res.body.dump()
        if (res.statusCode !== 200) throw new Error(`${variant}: status ${res.statusCode}`)
        done++
      }
    }))
    return done / (ms / 1000)
  }

  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    const mid = Math.floor(s.length / 2)
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  }

  try {
    await run('plain', 500)
    await run('dispatcher', 500) // warm-up: JIT, keep-alive sockets
    console.log(`${ROUNDS} rounds × ${DURATION} ms, ${CONCURRENCY} concurrent requests; req/s`)
    console.log('round    plain  dispatcher  ratio')
    const ratios: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      // Alternate which goes first so drift on a noisy machine falls on both sides.
      const order = i % 2 === 0 ? (['plain', 'dispatcher'] as const) : (['dispatcher', 'plain'] as const)
      const rps = { plain: 0, dispatcher: 0 }
      for (const v of order) rps[v] = await run(v, DURATION)
      const ratio = rps.dispatcher / rps.plain
      ratios.push(ratio)
      console.log(`${String(i + 1).padStart(5)}  ${rps.plain.toFixed(0).padStart(7)}  ${rps.dispatcher.toFixed(0).padStart(10)}  ${ratio.toFixed(3)}`)
    }
    const m = median(ratios)
    console.log(`median ratio dispatcher/plain (Bearer): ${m.toFixed(3)} (target ≥ 0.9: ${m >= 0.9 ? 'met' : 'MISSED'}); ` +
      `spread ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; ${tokens.requests.length} token request(s)`)
  } finally {
    await app.close()
    await plain.close()
    await tokens.close()
    child.disconnect()
  }
}
