// The lease under churn (docs/redis.md), on REDIS_URL (default redis://127.0.0.1:6379):
// 4 replicas (child processes, bench/chaos-replica.ts) share one Redis and 3 s tokens,
// each making 50 get()/s. For 20 s, each replica in turn is stopped with SIGTERM (it
// calls app.close()) and replaced; then the lock holder is SIGKILLed mid-fetch (its
// token request never gets an answer) and the survivors run on for one lease and more.
// Prints failed calls (goal 0), the longest caller wait (goal ≤ lockTtl + 1 s) and
// token requests per usable token lifetime for the fleet (goal ≤ 1.5). Bounded: ~30 s
// of load once the replicas have started; stops by itself.
import { fork, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { ChaosReplicaConfig, ChaosReport } from './chaos-replica.js'
import { benchTokenServer } from './token-server.js'

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const REPLICAS = 4
const RATE = 50
const LIFETIME = 3 // s: expires_in of every token
/** What the cache serves of a 3 s token: − 1 s rounding, − 10 % skew. One replica alone refreshes at 75–85 % of it. */
const USABLE_MS = (LIFETIME - 1) * 900
const ROLLING_MS = 20_000
/** The default lease, min(5 s, maxWait / 2) with maxWait 10 s. */
const LOCK_TTL = 5_000
/** After the kill: one lease for the dead holder's lock to lapse, and 3 s of serving after it. */
const AFTER_KILL_MS = LOCK_TTL + 3_000

interface Running { id: string, child: ChildProcess, exited: Promise<void> }

const reports = new Map<string, ChaosReport>()
let hangNext = false
let onHung: (id: string) => void = () => {}
const hung = new Promise<string>((resolve) => { onHung = resolve })
const server = await benchTokenServer(LIFETIME, 0, (req) => {
  if (!hangNext) return false
  hangNext = false
  onHung(String(req.headers['x-bench-replica']))
  return true
})
const keyPrefix = `fastify-app-token-bench:chaos:${randomUUID()}:`
const script = fileURLToPath(new URL('./chaos-replica.js', import.meta.url))
let spawned = 0

/** Starts a replica; resolves once its app is ready and calling. */
function start (): Promise<Running> {
  const id = `r${spawned++}`
  const config: ChaosReplicaConfig = { id, tokenEndpoint: server.url, redisUrl: REDIS_URL, keyPrefix, rate: RATE }
  const child = fork(script, { env: { ...process.env, CHAOS_REPLICA: JSON.stringify(config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    child.on('message', (message: ChaosReport | { ready: string }) => {
      if ('ready' in message) resolve({ id, child, exited })
      else reports.set(message.id, message)
    })
    child.once('exit', (code) => reject(new Error(`replica ${id} exited (${code}) before it was ready`)))
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

console.log(`starting ${REPLICAS} replicas…`)
const fleet = await Promise.all(Array.from({ length: REPLICAS }, () => start()))
const began = Date.now()
console.log(`load: ${REPLICAS} × ${RATE} get()/s, ${LIFETIME} s tokens; rolling restart over ${ROLLING_MS / 1000} s`)

// Rolling restart, as a deployment does it: each replica in turn gets a successor,
// and SIGTERM once the successor serves (on a loaded machine a start takes seconds).
const step = ROLLING_MS / REPLICAS
const at = (): string => `${((Date.now() - began) / 1000).toFixed(1)} s`
const replaced = Array.from({ length: REPLICAS }, async (_, i) => {
  await sleep((i + 0.5) * step)
  const next = await start()
  const old = fleet[i] as Running
  old.child.kill('SIGTERM')
  await old.exited
  console.log(`  ${at()}: ${next.id} serving, ${old.id} stopped (SIGTERM) and exited`)
  return next
})
fleet.splice(0, REPLICAS, ...await Promise.all(replaced))
await sleep(began + ROLLING_MS - Date.now())
const rolled = Date.now()

// The holder of the next refresh hangs on its token request and is killed.
hangNext = true
const holder = await Promise.race([hung, sleep(5_000).then(() => undefined)])
const victim = fleet.find((replica) => replica.id === holder)
if (victim === undefined) throw new Error(`no replica of this fleet sent the hung request (${holder ?? 'none'})`)
victim.child.kill('SIGKILL')
await victim.exited
const killedAt = Date.now()
console.log(`  ${((killedAt - began) / 1000).toFixed(1)} s: ${victim.id} SIGKILLed while holding the lock mid-fetch`)
await sleep(AFTER_KILL_MS)
const ended = Date.now()

const survivors = fleet.filter((replica) => replica !== victim)
for (const replica of survivors) replica.child.kill('SIGTERM')
await Promise.all(survivors.map((replica) => replica.exited))
await server.close()
const redis = new Redis(REDIS_URL)
const left = await redis.keys(`${keyPrefix}*:lock`)
const keys = await redis.keys(`${keyPrefix}*`)
if (keys.length > 0) await redis.del(...keys)
redis.disconnect()

const all = [...reports.values()]
const calls = all.reduce((n, r) => n + r.calls, 0)
const failed = all.reduce((n, r) => n + r.failed, 0)
const longest = Math.max(...all.map((r) => r.longest))
const errors: Record<string, number> = {}
for (const r of all) for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n
// The hung request counts: the dead holder sent it.
const within = (from: number, to: number): number => server.requests.filter((t) => t >= from && t <= to).length
const requests = within(began, ended)
const perLifetime = requests / ((ended - began) / USABLE_MS)
const doubles = server.requests.filter((t, i) => t >= began && t <= ended && i > 0 && t - (server.requests[i - 1] as number) < 100).length
console.log(`calls: ${calls} (the killed replica's calls in flight die with it and are not counted), failed: ${failed}${failed > 0 ? ` ${JSON.stringify(errors)}` : ''} (goal 0)`)
console.log(`longest caller wait: ${longest} ms (goal ≤ lockTtl + 1 s = ${LOCK_TTL + 1_000} ms)`)
console.log(`token requests: ${requests} over ${((ended - began) / 1000).toFixed(1)} s = ${perLifetime.toFixed(2)} per usable token lifetime (${USABLE_MS} ms) for the fleet (goal ≤ 1.5; one replica alone: 1.18–1.33)`)
console.log(`  rolling restart: ${(within(began, rolled) / ((rolled - began) / USABLE_MS)).toFixed(2)} per lifetime; after the kill: ${within(rolled, ended)} requests in ${((ended - rolled) / 1000).toFixed(1)} s (the hung one, then one per refresh once the dead holder's lease lapsed)`)
console.log(`  ${doubles} requests came < 100 ms after another (two replicas fetching for one refresh)`)
console.log(`lock keys left in Redis: ${left.length}`)
