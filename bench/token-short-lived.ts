// Short-lived tokens: 3 s lifetime, 50 concurrent callers each calling get()
// every 20 ms for 20 s. Prints tokens handed out past the server's own expiry
// (target 0), calls that waited on a token request after warm-up (target 0)
// and token requests per second (target ≤ 1 per 1.2 s).
import { TokenCache } from '../plugin/token/index.js'
import { benchTokenServer } from './token-server.js'

const LIFETIME = 3
const CALLERS = 50
const EVERY = 20 // ms
const DURATION = Number(process.env.BENCH_DURATION ?? 20) // seconds

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const server = await benchTokenServer(LIFETIME, 5)
const cache = new TokenCache({ tokenEndpoint: server.url, clientId: 'bench-app', clientSecret: 'bench-secret' })

await cache.get() // warm-up: the first fetch, which every first caller waits for
const warm = { waits: cache.stats().waits, requests: server.requests.length, at: Date.now() }
let calls = 0
let late = 0
let slowest = 0
const end = Date.now() + DURATION * 1000
await Promise.all(Array.from({ length: CALLERS }, async () => {
  while (Date.now() < end) {
    const asked = performance.now()
    const token = await cache.get()
    const now = Date.now()
    slowest = Math.max(slowest, performance.now() - asked)
    calls++
    if (now >= server.expiry.get(token.accessToken)!) late++
    await sleep(EVERY)
  }
}))
const seconds = (Date.now() - warm.at) / 1000
const requests = server.requests.length - warm.requests
const waits = cache.stats().waits - warm.waits
const gaps = server.requests.slice(1).map((at, i) => at - server.requests[i]!)
await cache.close()
await server.close()

console.log(`short-lived tokens: ${LIFETIME} s lifetime, ${CALLERS} callers every ${EVERY} ms for ${DURATION} s`)
console.log(`get() calls:                          ${calls}`)
console.log(`tokens past the server's expiry:      ${late} (target 0)`)
console.log(`calls that waited after warm-up:      ${waits} (target 0); slowest get(): ${slowest.toFixed(2)} ms`)
console.log(`token requests after warm-up:         ${requests} in ${seconds.toFixed(1)} s = one per ${(seconds / requests).toFixed(2)} s (target ≥ 1.2 s)`)
console.log(`gap between token requests:           min ${Math.min(...gaps)} ms, max ${Math.max(...gaps)} ms`)
const pass = late === 0 && waits === 0 && seconds / requests >= 1.2
console.log(pass ? 'PASS' : 'FAIL')
