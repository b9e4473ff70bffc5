// Replicas waiting for the lock holder's result (docs/redis.md): woken by the pub/sub message on
// the store's channel, polling as a back-up (a lease that lapses sends no message).
import type { Cluster, Redis } from 'ioredis'
import { lockLapsed, type StoredToken } from '../../token/shared-store.js'
import { checkReplies, noop, type RunCommand } from './connection.js'
import type { KeyLayout } from './keys.js'

/**
 * How often a waiter looks at Redis itself: a lock that expired sends no message. While
 * the pub/sub connection is subscribed, messages do the waking and polling is a back-up;
 * without it, polling is the only way (hundreds of waiters polling fast would crowd out
 * the holders' own commands).
 */
const POLL_MS = 100
const SUBSCRIBED_POLL_MS = 1000

export interface WaiterDeps {
  client: Redis | Cluster
  keys: KeyLayout
  run: RunCommand
  decode(redisKey: string, raw: string | null): StoredToken | undefined
  isClosed(): boolean
}

export interface Waiters {
  /** The store's `waitFor` (shared-store.ts). */
  waitFor(key: string, timeoutMs: number, accept?: (value: StoredToken) => boolean): Promise<StoredToken | undefined>
  /** Wakes every waiter and closes the pub/sub connection (the store is closing). */
  close(): void
}

export function waiters ({ client, keys, run, decode, isClosed }: WaiterDeps): Waiters {
  /** In-process waiters per cache key, woken by the pub/sub message for it. */
  const byKey = new Map<string, Set<() => void>>()
  let subscriber: Redis | Cluster | undefined
  let subscribed = false

  /** The raw token value and the lock's remaining ms (0 when there is none or it lapsed), in one round trip. */
  async function peek (key: string): Promise<{ raw: string | null, locked: number }> {
    const replies = await run('waitFor', () => client.pipeline().get(keys.token(key)).pttl(keys.lock(key)).exec())
    const [got, pttl] = checkReplies('waitFor', replies, 2)
    return { raw: typeof got === 'string' ? got : null, locked: typeof pttl === 'number' && !lockLapsed(pttl) ? Math.max(1, pttl) : 0 }
  }

  function subscribe (): void {
    if (subscriber !== undefined || isClosed()) return
    // A connection in subscriber mode can run no other command: a dedicated one.
    const sub = client.duplicate()
    subscriber = sub
    sub.on('error', noop)
    sub.on('message', (from: string, key: string) => {
      if (from === keys.channel) for (const wake of byKey.get(key) ?? []) wake()
    })
    // Subscribe on every (re)connection: fast polling covers the gaps.
    const listen = (): void => { sub.subscribe(keys.channel).then(() => { subscribed = true }, noop) }
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
    let mine = byKey.get(key)
    if (mine === undefined) byKey.set(key, mine = new Set())
    mine.add(onMessage)
    try {
      subscribe()
      const first = await peek(key)
      // No lock: no one is fetching, what is stored (if anything) is the answer.
      if (first.locked === 0) return decode(keys.token(key), first.raw)
      const initial = decode(keys.token(key), first.raw)
      if (initial !== undefined && accept(initial)) return initial
      let lease = first.locked
      for (;;) {
        const left = deadline - Date.now()
        if (left <= 0 || stop.stopped || isClosed()) return undefined
        if (!woken) {
          await new Promise<void>((resolve) => {
            // A lease that lapses sends no message: look again when it would.
            const timer = setTimeout(resolve, Math.min(subscribed ? SUBSCRIBED_POLL_MS : POLL_MS, left, lease + 5))
            wake = () => { clearTimeout(timer); resolve() }
          })
        }
        woken = false
        wake = noop
        if (stop.stopped || isClosed()) return undefined
        const now = await peek(key)
        // Lock gone: the holder is done (or dead); what is stored now is the answer.
        if (now.locked === 0) return decode(keys.token(key), now.raw)
        lease = now.locked
        // Still locked, but a value other than the one present when the wait began is the holder's result.
        const fresh = now.raw !== first.raw ? decode(keys.token(key), now.raw) : undefined
        if (fresh !== undefined) return fresh
      }
    } finally {
      mine.delete(onMessage)
      if (mine.size === 0) byKey.delete(key)
    }
  }

  return {
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

    close () {
      for (const set of byKey.values()) for (const wake of set) wake()
      subscriber?.disconnect()
    },
  }
}
