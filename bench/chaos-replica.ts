// One replica of bench/redis-chaos.ts, in its own process: a Fastify app with the
// plugin on a Redis store, calling app.appToken.get() RATE times a second. It
// reports its callers' failures and longest wait to the bench over IPC; on SIGTERM
// it stops calling, lets the calls in flight settle and calls app.close() — what a
// host must do (docs/redis.md).
import Fastify from 'fastify'
import { Agent, type Dispatcher } from 'undici'
import appToken from '../plugin/index.js'
import { redisStore } from '../plugin/store/redis.js'

export interface ChaosReplicaConfig {
  id: string
  tokenEndpoint: string
  redisUrl: string
  keyPrefix: string
  /** get() calls per second. */
  rate: number
}

export interface ChaosReport {
  id: string
  calls: number
  failed: number
  /** Longest time one get() took, ms. */
  longest: number
  /** Error codes of the failed calls, counted. */
  errors: Record<string, number>
}

const config = JSON.parse(process.env.CHAOS_REPLICA ?? '') as ChaosReplicaConfig
const agent = new Agent({ keepAliveTimeout: 30_000 })
// Each token request names its replica, so the bench knows which one holds the lock.
const tagged: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
  dispatch({ ...opts, headers: { ...opts.headers as Record<string, string>, 'x-bench-replica': config.id } }, handler)
// Warnings only (a store outage, a lost lease), on stderr: the bench shows them.
const app = Fastify({ logger: { level: 'warn', stream: process.stderr } })
await app.register(appToken, {
  clientId: 'chaos-app',
  clientSecret: 'chaos-secret',
  tokenEndpoint: config.tokenEndpoint,
  scopes: ['read:chaos'],
  store: redisStore({ url: config.redisUrl, keyPrefix: config.keyPrefix }),
  dispatcher: agent.compose(tagged)
})
await app.ready()

const report: ChaosReport = { id: config.id, calls: 0, failed: 0, longest: 0, errors: {} }
const inFlight = new Set<Promise<void>>()
const send = (): void => { if (process.connected) process.send?.(report) }

function one (): void {
  const started = Date.now()
  const call = app.appToken.get().then(() => {}, (err: { code?: string }) => {
    report.failed++
    const code = err.code ?? 'unknown'
    report.errors[code] = (report.errors[code] ?? 0) + 1
  }).finally(() => {
    report.calls++
    report.longest = Math.max(report.longest, Date.now() - started)
    inFlight.delete(call)
  })
  inFlight.add(call)
}

const load = setInterval(one, 1000 / config.rate)
const reporting = setInterval(send, 200)
process.send?.({ ready: config.id })

process.once('SIGTERM', () => {
  clearInterval(load)
  void Promise.allSettled([...inFlight]).then(async () => {
    clearInterval(reporting)
    send()
    await app.close()
    await agent.close()
    process.disconnect?.()
  })
})
