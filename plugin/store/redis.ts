/**
 * The shared token store on Redis (docs/api.md).
 *
 * @module fastify-app-token/redis
 */
// The Redis implementation of the shared token store (docs/redis.md): replicas
// share one token per cache key, one of them refreshes under a lock with an
// expiry, the others wait for its result. Every call is bounded in time, so a
// down or slow Redis costs a request at most `commandTimeout`, and the token
// core falls back to its own memory cache.
import { createRequire } from 'node:module'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { withDeadline } from '../token/deadline.js'
import { InvalidOptionError } from '../token/errors.js'
import { asStoredToken, LOCK_CEILING, lockLapsed, type SharedTokenStore, type StoredToken } from '../token/shared-store.js'
import { parseSealKeys, passphraseKey, seal, unseal, type SealKeyInput } from './seal.js'

export type { SharedTokenStore, StoredToken } from '../token/shared-store.js'

/** Options of `redisStore` (docs/redis.md). */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL: the store opens (and closes) its own connections. */
  url?: string
  /** An ioredis client of the caller's (`Redis`, Sentinel included, or `Cluster`): used as is and never closed by the store. */
  client?: Redis | Cluster
  /** Prefix of every key and channel (default `'fastify-app-token:'`). */
  keyPrefix?: string
  /**
   * 32 random bytes sealing values with AES-256-GCM: a Buffer, 64 hex digits or base64;
   * or a list of them — the first seals, every one opens (key rotation). Default: env
   * `APP_TOKEN_STORE_KEY` (comma-separated). Without a key, values are JSON authenticated
   * by the token cache with a key derived from the client secret.
   */
  encryptionKey?: SealKeyInput | readonly SealKeyInput[]
  /** Instead of encryptionKey: a passphrase of 16+ characters, stretched with scrypt (docs/redis.md). */
  encryptionPassphrase?: string
  /** @deprecated Ignored, with one warning: the lock is a lease, set with the plugin's (or TokenCache's) `lockTtl`. */
  lockTtl?: number
  /** @deprecated Ignored, with one warning: a waiter follows the holder's lease; `maxWait` bounds each caller. */
  waitTimeout?: number
  /** Longest time in ms any one call may take, connecting included (default 500). */
  commandTimeout?: number
}

const DEFAULT_PREFIX = 'fastify-app-token:'
const DEFAULT_COMMAND_TIMEOUT = 500
/**
 * How often a waiter looks at Redis itself: a lock that expired sends no message. While
 * the pub/sub connection is subscribed, messages do the waking and polling is a back-up;
 * without it, polling is the only way (hundreds of waiters polling fast would crowd out
 * the holders' own commands).
 */
const POLL_MS = 100
const SUBSCRIBED_POLL_MS = 1000
/** Deletes the lock only when `owner` holds it, then wakes the waiters. */
const UNLOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
  redis.call('publish', ARGV[2], ARGV[3])
  return 1
end
return 0`

/** Replaces the value only if it is still the one read, keeping its expiry (Redis ≥ 6). */
const RESEAL_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('set', KEYS[1], ARGV[2], 'KEEPTTL')
end
return 0`

/**
 * Takes the lock when it is free or lapsed (no expiry, or one beyond the ceiling: a lock no
 * cache of ours wrote), atomically, so two waiters never both take it.
 */
const LOCK_SCRIPT = `if redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end
local left = redis.call('pttl', KEYS[1])
if left == -1 or left > tonumber(ARGV[3]) then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`

/** Extends the lease only if `owner` still holds it. */
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0`

/** Deletes the value only if it is still the one read. */
const DELETE_IF_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`

const noop = (): void => {}
let deprecationWarned = false

/**
 * A {@link SharedTokenStore} on Redis, Cluster or Sentinel: replicas share one token per entry
 * and one refresh (a lock), values sealed with AES-256-GCM or authenticated with an HMAC
 * (docs/redis.md). A store outage is a cache miss, never a failed request.
 *
 * @example
 * ```ts
 * import appToken from 'fastify-app-token'
 * import { redisStore } from 'fastify-app-token/redis'
 *
 * await app.register(appToken, { policy: './policies', clientId: 'svc', store: redisStore({ url: process.env.REDIS_URL }) })
 * ```
 */
export function redisStore (options: RedisStoreOptions = {}): SharedTokenStore {
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new InvalidOptionError('redisStore needs exactly one of `url` and `client`')
  }
  const { commandTimeout: timeoutOption } = options
  if (timeoutOption !== undefined && !(typeof timeoutOption === 'number' && timeoutOption > 0 && Number.isFinite(timeoutOption))) {
    throw new InvalidOptionError('redisStore option commandTimeout must be a positive number of milliseconds')
  }
  if ((options.lockTtl !== undefined || options.waitTimeout !== undefined) && !deprecationWarned) {
    deprecationWarned = true
    process.emitWarning('redisStore options lockTtl and waitTimeout are ignored: the refresh lock is a lease the holder renews; ' +
      'drop them, and set lockTtl on the plugin (or TokenCache) if the default min(5 s, maxWait / 2) does not suit (docs/redis.md)',
    { type: 'DeprecationWarning', code: 'FST_APP_TOKEN_REDIS_LOCK_OPTIONS' })
  }
  if (options.keyPrefix !== undefined && typeof options.keyPrefix !== 'string') throw new InvalidOptionError('redisStore option keyPrefix must be a string')
  const prefix = options.keyPrefix ?? DEFAULT_PREFIX
  const commandTimeout = options.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT
  const sealKeys = sealKeysOf(options)
  const ownsClient = options.client === undefined
  const client = options.client ?? createClient(options.url as string)
  const channel = `${prefix}stored`
  // Key format v3 (docs/redis.md): the `{…}` hash tag puts an entry's token and lock in one Redis Cluster slot.
  const tokenKey = (key: string): string => `${prefix}v3:{${key}}:token`
  const lockKey = (key: string): string => `${prefix}v3:{${key}}:lock`
  const holdOffKey = (key: string): string => `${prefix}v3:{${key}}:holdoff`

  /** In-process waiters per cache key, woken by the pub/sub message for it. */
  const waiters = new Map<string, Set<() => void>>()
  let subscriber: Redis | Cluster | undefined
  let subscribed = false
  let closed = false
  /** Resolves when the connection being opened is ready. */
  let opening: Promise<void> | undefined

  /** Runs one Redis call within commandTimeout; its errors carry no command arguments (they hold tokens). */
  async function run<T> (op: string, call: () => Promise<T>): Promise<T> {
    if (closed) throw new Error(`redis store ${op}: store closed`)
    let gaveUp = false
    // Never sent once the caller gave up: a late lock would be one no one releases.
    const work = connected().then(() => {
      if (gaveUp || closed) throw new Error('gave up')
      return call()
    })
    work.catch(noop)
    try {
      return await withDeadline(work, commandTimeout, () => { gaveUp = true; return new Error(`timed out after ${commandTimeout} ms`) })
    } catch (err) {
      throw new Error(`redis store ${op}: ${String((err as Error).message).slice(0, 200)}`)
    }
  }

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

  function encode (redisKey: string, value: StoredToken): string {
    const json = JSON.stringify({
      accessToken: value.accessToken,
      tokenType: value.tokenType,
      scopes: value.scopes,
      usableUntil: value.usableUntil,
      expiresAt: value.expiresAt,
      refreshAt: value.refreshAt,
      mac: value.mac
    })
    return sealKeys === undefined ? json : seal(sealKeys[0] as Buffer, json, redisKey)
  }

  /** Anything but a well-formed token (sealed with our key for this key name, when sealing) is a miss. */
  function decode (redisKey: string, raw: string | null): StoredToken | undefined {
    if (raw === null) return undefined
    const json = sealKeys === undefined ? raw : unseal(sealKeys, raw, redisKey)
    if (json === undefined) return undefined
    try {
      return asStoredToken(JSON.parse(json))
    } catch {
      return undefined
    }
  }

  /**
   * A value sealed with an older key of the list is sealed again with the first, in
   * place (same ttl) and only if unchanged: once a rolled replica has read an entry,
   * replicas that hold only the new key can open it (docs/redis.md, key rotation).
   */
  function reseal (redisKey: string, raw: string, value: StoredToken): void {
    if (unseal(sealKeys?.[0] as Buffer, raw, redisKey) !== undefined) return
    run('reseal', () => client.eval(RESEAL_SCRIPT, 1, redisKey, raw, encode(redisKey, value))).catch(noop)
  }

  /** The raw token value and the lock's remaining ms (0 when there is none or it lapsed), in one round trip. */
  async function peek (key: string): Promise<{ raw: string | null, locked: number }> {
    const replies = await run('waitFor', () => client.pipeline().get(tokenKey(key)).pttl(lockKey(key)).exec())
    const [got, pttl] = checkReplies('waitFor', replies, 2)
    return { raw: typeof got === 'string' ? got : null, locked: typeof pttl === 'number' && !lockLapsed(pttl) ? Math.max(1, pttl) : 0 }
  }

  function subscribe (): void {
    if (subscriber !== undefined || closed) return
    // A connection in subscriber mode can run no other command: a dedicated one.
    const sub = client.duplicate()
    subscriber = sub
    sub.on('error', noop)
    sub.on('message', (from: string, key: string) => {
      if (from === channel) for (const wake of waiters.get(key) ?? []) wake()
    })
    // Subscribe on every (re)connection: fast polling covers the gaps.
    const listen = (): void => { sub.subscribe(channel).then(() => { subscribed = true }, noop) }
    sub.on('ready', listen)
    sub.on('close', () => { subscribed = false })
    if (sub.status === 'wait') sub.connect().catch(noop)
    else if (sub.status === 'ready') listen()
  }

  async function waitLoop (key: string, timeoutMs: number, stop: { stopped: boolean }, accept: (value: StoredToken) => boolean): Promise<StoredToken | undefined> {
    const deadline = Date.now() + timeoutMs
    let wake: () => void = noop
    let woken = false
    const onMessage = (): void => { woken = true; wake() }
    let mine = waiters.get(key)
    if (mine === undefined) waiters.set(key, mine = new Set())
    mine.add(onMessage)
    try {
      subscribe()
      const first = await peek(key)
      // No lock: no one is fetching, what is stored (if anything) is the answer.
      if (first.locked === 0) return decode(tokenKey(key), first.raw)
      const initial = decode(tokenKey(key), first.raw)
      if (initial !== undefined && accept(initial)) return initial
      let lease = first.locked
      for (;;) {
        const left = deadline - Date.now()
        if (left <= 0 || stop.stopped || closed) return undefined
        if (!woken) {
          await new Promise<void>((resolve) => {
            // A lease that lapses sends no message: look again when it would.
            const timer = setTimeout(resolve, Math.min(subscribed ? SUBSCRIBED_POLL_MS : POLL_MS, left, lease + 5))
            wake = () => { clearTimeout(timer); resolve() }
          })
        }
        woken = false
        wake = noop
        if (stop.stopped || closed) return undefined
        const now = await peek(key)
        // Lock gone: the holder is done (or dead); what is stored now is the answer.
        if (now.locked === 0) return decode(tokenKey(key), now.raw)
        lease = now.locked
        // Still locked, but a value other than the one present when the wait began is the holder's result.
        const fresh = now.raw !== first.raw ? decode(tokenKey(key), now.raw) : undefined
        if (fresh !== undefined) return fresh
      }
    } finally {
      mine.delete(onMessage)
      if (mine.size === 0) waiters.delete(key)
    }
  }

  return {
    async get (key) {
      const redisKey = tokenKey(key)
      const raw = await run('get', () => client.get(redisKey))
      const value = decode(redisKey, raw)
      if (value !== undefined && raw !== null && sealKeys !== undefined && sealKeys.length > 1) reseal(redisKey, raw, value)
      return value
    },

    async set (key, value, ttlMs) {
      const ttl = Math.ceil(ttlMs)
      if (!(ttl > 0)) return
      const redisKey = tokenKey(key)
      const replies = await run('set', () =>
        client.pipeline().set(redisKey, encode(redisKey, value), 'PX', ttl).publish(channel, key).exec())
      checkReplies('set', replies, 2)
    },

    async lock (key, owner, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs))
      return (await run('lock', () => client.eval(LOCK_SCRIPT, 1, lockKey(key), owner, ttl, LOCK_CEILING))) === 1
    },

    async unlock (key, owner) {
      await run('unlock', () => client.eval(UNLOCK_SCRIPT, 1, lockKey(key), owner, channel, key))
    },

    async renew (key, owner, ttlMs) {
      return (await run('renew', () => client.eval(RENEW_SCRIPT, 1, lockKey(key), owner, Math.max(1, Math.ceil(ttlMs))))) === 1
    },

    async lockRemaining (key) {
      return await run('lockRemaining', () => client.pttl(lockKey(key)))
    },

    async deleteIfHolds (key, accessToken) {
      const redisKey = tokenKey(key)
      const raw = await run('deleteIfHolds', () => client.get(redisKey))
      if (raw === null || decode(redisKey, raw)?.accessToken !== accessToken) return
      await run('deleteIfHolds', () => client.eval(DELETE_IF_SCRIPT, 1, redisKey, raw))
    },

    async waitFor (key, timeoutMs, accept = () => false) {
      const limit = Math.max(0, timeoutMs)
      const stop = { stopped: false }
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), limit) })
      try {
        return await Promise.race([waitLoop(key, limit, stop, accept), timeout])
      } finally {
        stop.stopped = true
        clearTimeout(timer)
      }
    },

    async close () {
      if (closed) return
      closed = true
      for (const set of waiters.values()) for (const wake of set) wake()
      subscriber?.disconnect()
      if (ownsClient) {
        // QUIT lets replies in flight arrive; a down or slow Redis must not hold up shutdown.
        if (client.status === 'ready') {
          let timer: NodeJS.Timeout | undefined
          await Promise.race([client.quit().catch(noop), new Promise((resolve) => { timer = setTimeout(resolve, commandTimeout) })])
          clearTimeout(timer)
        }
        client.disconnect()
      }
    },

    // The optional hold-off group (shared-store.ts): the epoch ms it ends, kept as long as it lasts.
    async holdOff (key, ttlMs) {
      const ttl = Math.ceil(ttlMs)
      if (!(ttl > 0)) return
      await run('holdOff', () => client.set(holdOffKey(key), String(Date.now() + ttl), 'PX', ttl))
    },

    async heldOffUntil (key) {
      const raw = await run('heldOffUntil', () => client.get(holdOffKey(key)))
      const until = raw === null ? NaN : Number(raw)
      return Number.isFinite(until) ? until : undefined
    }
  }
}

function createClient (url: string): Redis {
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

function checkReplies (op: string, replies: Array<[Error | null, unknown]> | null, count: number): unknown[] {
  if (replies === null || replies.length !== count) throw new Error(`redis store ${op}: no reply`)
  for (const [err] of replies) {
    if (err !== null) throw new Error(`redis store ${op}: ${String(err.message).slice(0, 200)}`)
  }
  return replies.map(([, result]) => result)
}

/** The sealing keys (the first seals), from the options or env APP_TOKEN_STORE_KEY; undefined: values are not encrypted. */
function sealKeysOf (options: RedisStoreOptions): Buffer[] | undefined {
  if (options.encryptionPassphrase !== undefined) {
    if (options.encryptionKey !== undefined) throw new InvalidOptionError('redisStore takes encryptionKey or encryptionPassphrase, not both')
    return [passphraseKey(options.encryptionPassphrase)]
  }
  if (options.encryptionKey !== undefined) return parseSealKeys(options.encryptionKey)
  const env = process.env.APP_TOKEN_STORE_KEY
  return env === undefined || env.trim() === '' ? undefined : parseSealKeys(env.split(',').map((key) => key.trim()))
}
