// Requests per second through app.appToken.dispatcher() (Bearer) vs plain undici with the
// same Authorization header set by hand, to the same keep-alive server in its own process.
// Each round interleaves short slices of every variant, so load drift on a busy machine falls
// on all alike; prints every round and the median ratio (target ≥ 0.9).
// With the `dpop` option in the build, a third registration with `dpop: true` measures the
// proof signed per request, printed as its cost in µs per request.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { Agent, request, type Dispatcher } from 'undici'
import appToken, { type AppTokenOptions } from '../plugin/index.js'
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
  const DURATION = Number(process.env.BENCH_DURATION ?? 1500) // ms per variant and round
  const SLICE = 100 // ms
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
  const variants: Partial<Record<'plain' | 'dispatcher' | 'dpop', { dispatcher: Dispatcher; headers: Record<string, string> }>> = {
    plain: { dispatcher: plain, headers: { authorization: token.authorization } },
    dispatcher: { dispatcher: app.appToken.dispatcher(), headers: {} }
  }
  const bound = Fastify()
  try {
    await bound.register(appToken, { clientId: 'bench-app', clientSecret: 'bench-secret', tokenEndpoint: tokens.url, scopes: ['read:interaction'], origins: [origin], dpop: true } as AppTokenOptions)
    variants.dpop = { dispatcher: bound.appToken.dispatcher(), headers: {} }
  } catch (err) {
    if (!/unknown option/.test((err as Error).message)) throw err
    console.log('DPoP: the dpop option is not in this build; Bearer only')
  }

  /** Requests done in `ms`. */
  async function run (variant: keyof typeof variants, ms: number): Promise<number> {
    const { dispatcher, headers } = variants[variant]!
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
    return done
  }

  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    const mid = Math.floor(s.length / 2)
    return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  }

  try {
    const names = Object.keys(variants) as Array<keyof typeof variants>
    for (const v of names) await run(v, 500) // warm-up: JIT, keep-alive sockets
    console.log(`${ROUNDS} rounds × ${DURATION} ms, ${CONCURRENCY} concurrent requests; req/s`)
    console.log(`round${names.map((v) => v.padStart(12)).join('')}  ratio`)
    const ratios: number[] = []
    const proofCosts: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const done: Partial<Record<keyof typeof variants, number>> = {}
      for (let slice = 0; slice < DURATION / SLICE; slice++) {
        // Rotate which goes first in each slice.
        for (let k = 0; k < names.length; k++) {
          const v = names[(k + slice + i) % names.length]!
          done[v] = (done[v] ?? 0) + await run(v, SLICE)
        }
      }
      const rps = Object.fromEntries(names.map((v) => [v, done[v]! / (DURATION / 1000)])) as Partial<Record<keyof typeof variants, number>>
      const ratio = rps.dispatcher! / rps.plain!
      ratios.push(ratio)
      // The client is one thread: 1/rps is its time per request; the difference is the proof's.
      if (rps.dpop !== undefined) proofCosts.push((1 / rps.dpop - 1 / rps.dispatcher!) * 1e6)
      console.log(`${String(i + 1).padStart(5)}${names.map((v) => rps[v]!.toFixed(0).padStart(12)).join('')}  ${ratio.toFixed(3)}`)
    }
    const m = median(ratios)
    console.log(`median ratio dispatcher/plain (Bearer): ${m.toFixed(3)} (target ≥ 0.9: ${m >= 0.9 ? 'met' : 'MISSED'}); ` +
      `spread ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; ${tokens.requests.length} token request(s)`)
    if (proofCosts.length > 0) console.log(`DPoP: median ${median(proofCosts).toFixed(0)} µs of client time more per request than Bearer (the proof signed per request)`)
  } finally {
    await bound.close()
    await app.close()
    await plain.close()
    await tokens.close()
    child.disconnect()
  }
}
