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
import type { Cluster, Redis } from 'ioredis'
import { InvalidOptionError } from '../token/errors.js'
import { LOCK_CEILING, type SharedTokenStore } from '../token/shared-store.js'
import { checkReplies, commandRunner, createClient, noop } from './redis/connection.js'
import { DEFAULT_PREFIX, keyLayout } from './redis/keys.js'
import { DELETE_IF_SCRIPT, LOCK_SCRIPT, RENEW_SCRIPT, RESEAL_SCRIPT, UNLOCK_SCRIPT } from './redis/scripts.js'
import { sealKeysOf, valueCodec } from './redis/values.js'
import { waiters } from './redis/waiters.js'
import type { SealKeyInput } from './seal.js'

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

const DEFAULT_COMMAND_TIMEOUT = 500
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
  const { encode, decode, sealedWithOlderKey } = valueCodec(sealKeysOf(options))
  const ownsClient = options.client === undefined
  const client = options.client ?? createClient(options.url as string)
  const keys = keyLayout(prefix)
  let closed = false
  const isClosed = (): boolean => closed
  const run = commandRunner(client, commandTimeout, isClosed)
  const waiting = waiters({ client, keys, run, decode, isClosed })

  return {
    async get (key) {
      const redisKey = keys.token(key)
      const raw = await run('get', () => client.get(redisKey))
      const value = decode(redisKey, raw)
      // Sealed again with the first key, in place (same ttl) and only if unchanged.
      if (value !== undefined && raw !== null && sealedWithOlderKey(redisKey, raw)) {
        run('reseal', () => client.eval(RESEAL_SCRIPT, 1, redisKey, raw, encode(redisKey, value))).catch(noop)
      }
      return value
    },

    async set (key, value, ttlMs) {
      const ttl = Math.ceil(ttlMs)
      if (!(ttl > 0)) return
      const redisKey = keys.token(key)
      const replies = await run('set', () =>
        client.pipeline().set(redisKey, encode(redisKey, value), 'PX', ttl).publish(keys.channel, key).exec())
      checkReplies('set', replies, 2)
    },

    async lock (key, owner, ttlMs) {
      const ttl = Math.max(1, Math.ceil(ttlMs))
      return (await run('lock', () => client.eval(LOCK_SCRIPT, 1, keys.lock(key), owner, ttl, LOCK_CEILING))) === 1
    },

    async unlock (key, owner) {
      await run('unlock', () => client.eval(UNLOCK_SCRIPT, 1, keys.lock(key), owner, keys.channel, key))
    },

    async renew (key, owner, ttlMs) {
      return (await run('renew', () => client.eval(RENEW_SCRIPT, 1, keys.lock(key), owner, Math.max(1, Math.ceil(ttlMs))))) === 1
    },

    async lockRemaining (key) {
      return await run('lockRemaining', () => client.pttl(keys.lock(key)))
    },

    async deleteIfHolds (key, accessToken) {
      const redisKey = keys.token(key)
      const raw = await run('deleteIfHolds', () => client.get(redisKey))
      if (raw === null || decode(redisKey, raw)?.accessToken !== accessToken) return
      await run('deleteIfHolds', () => client.eval(DELETE_IF_SCRIPT, 1, redisKey, raw))
    },

    waitFor: waiting.waitFor,

    async close () {
      if (closed) return
      closed = true
      waiting.close()
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
      await run('holdOff', () => client.set(keys.holdOff(key), String(Date.now() + ttl), 'PX', ttl))
    },

    async heldOffUntil (key) {
      const raw = await run('heldOffUntil', () => client.get(keys.holdOff(key)))
      const until = raw === null ? NaN : Number(raw)
      return Number.isFinite(until) ? until : undefined
    }
  }
}
