// The forum thread's "background token refresh loop", done right: no token
// code at all. app.appToken.get() hands out the cached token, refreshed in the
// background before it expires, one request for all callers; the scopes were
// checked against the policy before anything was sent.
// In your project: import appToken from 'fastify-app-token'.
import Fastify, { type FastifyServerOptions } from 'fastify'
import { request } from 'undici'
import appToken, { type AppTokenOptions } from '../../plugin/index.js'

export interface WorkerOptions {
  upstreamUrl: string
  /** Pause between two sync runs. */
  intervalMs: number
  appToken?: AppTokenOptions
  logger?: FastifyServerOptions['logger']
}

export interface Worker {
  /** Sync runs that succeeded and failed so far. */
  readonly runs: { ok: number; failed: number }
  /** Stops the loop and closes the app: every timer and socket. */
  stop (): Promise<void>
}

export async function startWorker (options: WorkerOptions): Promise<Worker> {
  // A worker serves no routes: the plugin is there for app.appToken.
  const app = Fastify({ logger: options.logger ?? true })
  await app.register(appToken, { scopes: ['read:interaction'], global: false, prefetch: 'block', ...options.appToken })
  await app.ready() // prefetch 'block': fails here, at start, if no token can be had

  const runs = { ok: 0, failed: 0 }
  async function syncOnce (): Promise<void> {
    const token = await app.appToken.get()
    const res = await request(new URL('/api/v2/interactions', options.upstreamUrl), { headers: { authorization: token.authorization } })
    await res.body.dump()
    if (res.statusCode === 401) app.appToken.invalidate({ token }) // the next run gets a fresh token
    if (res.statusCode !== 200) throw new Error(`upstream answered ${res.statusCode}`)
  }

  let timer: NodeJS.Timeout | undefined
  let current: Promise<void> | undefined
  let stopped = false
  const loop = (): void => {
    current = syncOnce().then(
      () => { runs.ok++ },
      (err: unknown) => { runs.failed++; app.log.warn({ reason: (err as Error).message }, 'sync failed; next run retries') }
    ).finally(() => { if (!stopped) timer = setTimeout(loop, options.intervalMs) })
  }
  loop()

  return {
    runs,
    async stop () {
      stopped = true
      clearTimeout(timer)
      await current
      await app.close()
    }
  }
}
