// The cached path: get() calls a second on a cached token (target ≥ 1,000,000).
// Measures bare calls with one scopes array (the promise handed back), calls
// with a fresh normalised array each time (as the plugin passes its policy
// check's result) and awaited calls: 7 rounds of 2,000,000; median and spread.
import { TokenCache } from '../plugin/token/index.js'
import { benchTokenServer } from './token-server.js'

const CALLS = 2_000_000
const ROUNDS = 7
const server = await benchTokenServer(3600)
const cache = new TokenCache({ tokenEndpoint: server.url, clientId: 'bench-app', clientSecret: 'bench-secret' })
const scopes = ['read:interaction', 'read:analytics'] as const // one array per route, as the plugin passes it
const opts = { scopes }
await cache.get(opts)

function bare (): number {
  const started = performance.now()
  let last: Promise<unknown> | undefined
  for (let i = 0; i < CALLS; i++) last = cache.get(opts)
  if (last === undefined) throw new Error('unreachable')
  return CALLS / ((performance.now() - started) / 1000)
}

/** As the plugin calls it: a fresh, already normalised scopes array on every call. */
function fresh (): number {
  const started = performance.now()
  let last: Promise<unknown> | undefined
  for (let i = 0; i < CALLS; i++) last = cache.get({ scopes: ['read:analytics', 'read:interaction'] })
  if (last === undefined) throw new Error('unreachable')
  return CALLS / ((performance.now() - started) / 1000)
}

async function awaited (): Promise<number> {
  const started = performance.now()
  for (let i = 0; i < CALLS; i++) await cache.get(opts)
  return CALLS / ((performance.now() - started) / 1000)
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
bare() // warm-up (JIT)
const results = { bare: [] as number[], fresh: [] as number[], awaited: [] as number[] }
for (let i = 0; i < ROUNDS; i++) {
  results.bare.push(bare())
  results.fresh.push(fresh())
  results.awaited.push(await awaited())
}
const requests = server.requests.length
await cache.close()
await server.close()
console.log(`cached path: ${ROUNDS} rounds × ${fmt(CALLS)} get() on one cached token (two scopes)`)
for (const [name, xs] of Object.entries(results)) {
  console.log(`${name.padEnd(8)} median ${fmt(median(xs))}/s  (min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))})`)
}
console.log(`token requests: ${requests}`)
console.log(`target ≥ 1,000,000 get()/s → ${Math.min(median(results.bare), median(results.fresh)) >= 1_000_000 ? 'PASS' : 'FAIL'}`)
