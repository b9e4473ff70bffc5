// Real Redis for tests: the shared server on 127.0.0.1:6379 (CI starts it), or
// a redis-server of the test's own on a free port, for tests that stop it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { connect, createServer, type AddressInfo } from 'node:net'
import { Redis } from 'ioredis'

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379'

/** The part of a tap test these helpers use. */
interface TestLike {
  plan(n: number, reason?: string): void
  teardown(fn: () => unknown): void
}

/** True when something answers PING with PONG on host:port within timeoutMs. */
export function redisAnswers (port = 6379, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host })
    let reply = ''
    const done = (ok: boolean): void => { socket.destroy(); clearTimeout(timer); resolve(ok) }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => { reply += chunk.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')) })
    socket.on('error', () => done(false))
  })
}

export function redisAvailable (): Promise<boolean> {
  return redisAnswers(6379)
}

export function redisServerInstalled (): boolean {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0
}

/**
 * A Redis URL for the test: 127.0.0.1:6379 when it answers; under CI=true its
 * absence fails the test; elsewhere a redis-server of our own, or the file is
 * skipped (returns undefined) when there is no redis-server binary.
 */
export async function useRedis (t: TestLike): Promise<string | undefined> {
  if (await redisAvailable()) return SHARED_REDIS_URL
  if (process.env.CI === 'true') throw new Error('Redis does not answer on 127.0.0.1:6379 (CI=true: these tests need it)')
  if (!redisServerInstalled()) {
    t.plan(0, 'no Redis on 127.0.0.1:6379 and no redis-server binary')
    return undefined
  }
  const own = await startOwnRedis()
  t.teardown(() => own.kill())
  return own.url
}

/** Like useRedis, for tests that stop and restart Redis: always a server of our own. */
export async function useOwnRedis (t: TestLike): Promise<OwnRedis | undefined> {
  if (!redisServerInstalled()) {
    if (process.env.CI === 'true') throw new Error('redis-server is not installed (CI=true: these tests need it)')
    t.plan(0, 'no redis-server binary to start and stop')
    return undefined
  }
  const own = await startOwnRedis()
  t.teardown(() => own.kill())
  return own
}

export interface OwnRedis {
  port: number
  url: string
  /** Kills the server (SIGKILL, like a crash) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void
  /** Thaws a paused server (SIGCONT). */
  resume(): void
  /** Stops it for good (teardown). */
  kill(): Promise<void>
}

/** Spawns `redis-server --port N --save '' --appendonly no` on a free loopback port. */
export async function startOwnRedis (): Promise<OwnRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined

  async function start (): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    child = proc
    const deadline = Date.now() + 10_000
    while (!(await redisAnswers(port, '127.0.0.1', 300))) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
      await sleep(50)
    }
  }

  async function stop (): Promise<void> {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise((resolve) => proc.once('exit', resolve))
    proc.kill('SIGCONT')
    proc.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => { child?.kill('SIGSTOP') },
    resume: () => { child?.kill('SIGCONT') },
    kill: stop
  }
}

/** A key prefix no other test uses (tests share 127.0.0.1:6379 and run in parallel). */
export function uniquePrefix (name = 'test'): string {
  return `fat-test:${name}:${randomUUID()}:`
}

/** A plain client for looking at what Redis holds; closed at teardown. */
export function inspector (t: TestLike, url: string): Redis {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  client.on('error', () => {})
  t.teardown(() => { client.disconnect() })
  return client
}

/** Every key under prefix, with its value when it is a string. */
export async function dump (client: Redis, prefix: string): Promise<Map<string, string | null>> {
  const keys = await client.keys(`${escapeGlob(prefix)}*`)
  const out = new Map<string, string | null>()
  for (const key of keys) out.set(key, await client.get(key))
  return out
}

/** Deletes every key under prefix (the shared Redis outlives the test). */
export async function cleanup (client: Redis, prefix: string): Promise<void> {
  const keys = await client.keys(`${escapeGlob(prefix)}*`)
  if (keys.length > 0) await client.del(...keys)
}

function escapeGlob (text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
