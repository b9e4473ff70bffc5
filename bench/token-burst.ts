// Cold burst: 10,000 concurrent get() on an empty cache → token requests
// (target: exactly 1). Five rounds, each with a fresh cache and server.
import { TokenCache } from '../plugin/token/index.js'
import { benchTokenServer } from './token-server.js'

const CALLERS = 10_000
const ROUNDS = 5

console.log(`cold burst: ${CALLERS} concurrent get() on an empty cache, ${ROUNDS} rounds`)
console.log('round  token requests  distinct tokens  all resolved in')
let worst = 0
for (let round = 1; round <= ROUNDS; round++) {
  const server = await benchTokenServer(3600, 50)
  const cache = new TokenCache({ tokenEndpoint: server.url, clientId: 'bench-app', clientSecret: 'bench-secret' })
  const started = process.hrtime.bigint()
  const tokens = await Promise.all(Array.from({ length: CALLERS }, () => cache.get({ scopes: ['read:bench'] })))
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const distinct = new Set(tokens.map((token) => token.accessToken)).size
  worst = Math.max(worst, server.requests.length)
  console.log(`${String(round).padEnd(7)}${String(server.requests.length).padEnd(16)}${String(distinct).padEnd(17)}${ms.toFixed(1)} ms`)
  await cache.close()
  await server.close()
}
console.log(`token requests per burst (worst round): ${worst} (target: 1) → ${worst === 1 ? 'PASS' : 'FAIL'}`)
