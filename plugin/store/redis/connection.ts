// The Redis store's connection (docs/redis.md): opened on first use, every command bounded by
// commandTimeout, so a down or slow Redis costs a request at most that.
import { createRequire } from 'node:module'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { withDeadline } from '../../token/deadline.js'

export const noop = (): void => {}

/** Runs one Redis call within commandTimeout; its errors carry no command arguments (they hold tokens). */
export type RunCommand = <T>(op: string, call: () => Promise<T>) => Promise<T>

export function commandRunner (client: Redis | Cluster, commandTimeout: number, isClosed: () => boolean): RunCommand {
  /** Resolves when the connection being opened is ready. */
  let opening: Promise<void> | undefined

  /** At once when the connection is ready; on 'ready' while it is being opened; refused while Redis is known to be down. */
  async function connected (): Promise<void> {
    const status = client.status
    if (status === 'ready') return
    if (status === 'wait') client.connect().catch(noop)
    else if (status !== 'connecting' && status !== 'connect') throw new Error(`not connected (${status})`)
    opening ??= new Promise<void>((resolve) => {
      client.once('ready', () => { opening = undefined; resolve() })
    })
    await opening
  }

  return async function run<T> (op: string, call: () => Promise<T>): Promise<T> {
    if (isClosed()) throw new Error(`redis store ${op}: store closed`)
    let gaveUp = false
    // Never sent once the caller gave up: a late lock would be one no one releases.
    const work = connected().then(() => {
      if (gaveUp || isClosed()) throw new Error('gave up')
      return call()
    })
    work.catch(noop)
    try {
      return await withDeadline(work, commandTimeout, () => { gaveUp = true; return new Error(`timed out after ${commandTimeout} ms`) })
    } catch (err) {
      throw new Error(`redis store ${op}: ${String((err as Error).message).slice(0, 200)}`)
    }
  }
}

export function createClient (url: string): Redis {
  const { Redis: RedisClient } = loadIoredis()
  const options: RedisOptions = {
    // Connect on first use; while Redis is down, fail at once instead of queueing.
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A lock command replayed after a reconnection could take a lock no one releases.
    autoResendUnfulfilledCommands: false,
    // Keep reconnecting in the background: sharing resumes when Redis returns.
    retryStrategy: (times) => Math.min(times * 100, 2000)
  }
  const client = new RedisClient(url, options)
  // Errors reach callers as rejections; the token core logs once per outage.
  client.on('error', noop)
  return client
}

function loadIoredis (): typeof import('ioredis') {
  try {
    return createRequire(import.meta.url)('ioredis') as typeof import('ioredis')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes("'ioredis'")) {
      throw new Error('fastify-app-token/redis needs the ioredis package (an optional peer dependency): npm install ioredis')
    }
    throw err
  }
}

export function checkReplies (op: string, replies: Array<[Error | null, unknown]> | null, count: number): unknown[] {
  if (replies === null || replies.length !== count) throw new Error(`redis store ${op}: no reply`)
  for (const [err] of replies) {
    if (err !== null) throw new Error(`redis store ${op}: ${String(err.message).slice(0, 200)}`)
  }
  return replies.map(([, result]) => result)
}
