// The cached path, side by side in one run: the public `app.appToken.get()`
// with the default scopes and with explicit scopes (a fresh array literal each
// call, as users write it), against the physical limit here — a bare
// `Map.get` + awaited resolved promise. Every loop awaits, as callers do.
// Targets: default ≥ 0.5 of bare, explicit ≥ 0.25, and ≥ 5 M/s.
// BENCH_OTEL=1: with an OpenTelemetry SDK installed (bench/otel.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import appToken from '../plugin/index.js'
import { benchOtel, OTEL } from './otel.js'
import { benchTokenServer } from './token-server.js'

const CALLS = 2_000_000
const ROUNDS = 7
const server = await benchTokenServer(86_400)
// A policy, so each get() is a policy decision (the hot path must not recompute it).
const dir = await mkdtemp(join(tmpdir(), 'bench-cached-'))
await writeFile(join(dir, 'bench.yaml'), [
  'app: bench', 'description: Cached-path bench', 'owner: "@team/bench"', 'provider: generic', 'environments:', '  prod:',
  '      clientId: bench-app', `      tokenEndpoint: ${server.url}`, '      authMethod: client_secret_basic', '      scopes:',
  '        read:interaction: calls (BENCH-1)', '        read:analytics: stats (BENCH-1)', ''
].join('\n'))
const stopOtel = await benchOtel()
const app = Fastify()
await app.register(appToken, { clientId: 'bench-app', clientSecret: 'bench-secret', policy: dir, scopes: ['read:interaction'] })
await app.ready()
const { appToken: api } = app
const token = await api.get()
await api.get({ scopes: ['read:analytics', 'read:interaction'] })

const map = new Map([['read:interaction', Promise.resolve(token)]])
let sink: unknown
const loops: Record<string, () => Promise<void>> = {
  bare: async () => { for (let i = 0; i < CALLS; i++) sink = await map.get('read:interaction') },
  default: async () => { for (let i = 0; i < CALLS; i++) sink = await api.get() },
  explicit: async () => { for (let i = 0; i < CALLS; i++) sink = await api.get({ scopes: ['read:analytics', 'read:interaction'] }) }
}

async function rate (loop: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await loop()
  return CALLS / ((performance.now() - started) / 1000)
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`
for (const loop of Object.values(loops)) await rate(loop) // warm-up (JIT)
const results: Record<string, number[]> = { bare: [], default: [], explicit: [] }
for (let i = 0; i < ROUNDS; i++) {
  // Interleaved, so load drift on a shared machine falls on every loop alike.
  for (const [name, loop] of Object.entries(loops)) results[name]!.push(await rate(loop))
}
const requests = server.requests.length
await app.close()
await stopOtel()
await server.close()
await rm(dir, { recursive: true, force: true })
if (sink === undefined) throw new Error('unreachable')

const bare = median(results.bare!)
console.log(`cached path: ${ROUNDS} rounds × ${CALLS.toLocaleString('en-US')} awaited calls each; median (min–max); ` +
  `OpenTelemetry SDK ${OTEL ? 'installed (BENCH_OTEL=1)' : 'not installed'}`)
for (const [name, xs] of Object.entries(results)) {
  const ratio = name === 'bare' ? '' : `  ratio to bare ${(median(xs) / bare).toFixed(2)}`
  console.log(`${name.padEnd(9)} ${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})${ratio}`)
}
const def = median(results.default!)
const exp = median(results.explicit!)
console.log(`token requests: ${requests}`)
console.log(`targets: default ≥ 0.5 × bare ${def / bare >= 0.5 ? 'met' : 'MISSED'}; explicit ≥ 0.25 × bare ${exp / bare >= 0.25 ? 'met' : 'MISSED'}; ` +
  `≥ 5 M/s ${Math.min(def, exp) >= 5e6 ? 'met' : 'MISSED'}`)
