// Redis down, frozen or speaking garbage: every store call settles within
// commandTimeout (so the token core falls back to its memory cache), nothing
// is printed, no error carries the token, and sharing resumes when Redis returns.
import t, { type Test } from 'tap'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { redisStore } from '../../plugin/store/redis.js'
import type { SharedTokenStore, StoredToken } from '../../plugin/token/shared-store.js'
import { freePort, sleep, uniquePrefix, useOwnRedis } from '../helpers/redis.js'

const COMMAND_TIMEOUT = 200
/** What "quickly" means here: the command timeout plus scheduling slack on a busy 2-core machine. */
const QUICK = COMMAND_TIMEOUT + 800

function token (): StoredToken {
  const now = Date.now()
  return { accessToken: `secret-at-${randomBytes(12).toString('hex')}`, tokenType: 'Bearer', scopes: ['read:a'], usableUntil: now + 50_000, expiresAt: now + 60_000, refreshAt: now + 40_000 }
}

/** Each call of the store, timed: it must resolve or reject within QUICK. */
async function everyCallSettlesQuickly (t: Test, store: SharedTokenStore, what: string): Promise<Error[]> {
  const errors: Error[] = []
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['get', () => store.get('k')],
    ['set', () => store.set('k', token(), 10_000)],
    ['lock', () => store.lock('k', 'owner', 10_000)],
    ['unlock', () => store.unlock('k', 'owner')],
    ['waitFor', () => store.waitFor('k', 10_000)]
  ]
  for (const [name, call] of calls) {
    const started = Date.now()
    try {
      const result = await call()
      if (name === 'get' || name === 'waitFor') t.equal(result, undefined, `${what}: ${name} is a miss`)
    } catch (err) {
      errors.push(err as Error)
    }
    const took = Date.now() - started
    t.ok(took < QUICK, `${what}: ${name} settled in ${took} ms`)
  }
  return errors
}

/** Whatever a store writes through console while the test runs. */
function captureConsole (t: Test): string[] {
  const lines: string[] = []
  const saved = { error: console.error, warn: console.warn, log: console.log }
  for (const name of ['error', 'warn', 'log'] as const) console[name] = (...args: unknown[]) => { lines.push(args.map(String).join(' ')) }
  t.teardown(() => Object.assign(console, saved))
  return lines
}

async function fakeServer (t: Test, onSocket: (socket: Socket) => void): Promise<string> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return `redis://127.0.0.1:${(server.address() as AddressInfo).port}`
}

t.test('nothing listening: every call settles quickly, repeated calls at once', async (t) => {
  const printed = captureConsole(t)
  const store = redisStore({ url: `redis://127.0.0.1:${await freePort()}`, keyPrefix: uniquePrefix('down'), commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const errors = await everyCallSettlesQuickly(t, store, 'connection refused')
  t.ok(errors.length >= 3, 'calls reject, so the core knows the store is down')
  for (const err of errors) t.match(err.message, /^redis store \w+: /)
  const started = Date.now()
  for (let i = 0; i < 50; i++) await store.get('k').catch(() => {})
  t.ok(Date.now() - started < QUICK, `50 more gets while down took ${Date.now() - started} ms: no waiting per call`)
  t.same(printed, [], 'nothing printed (ioredis errors are not left unhandled)')
})

t.test('a server that accepts and never answers: calls end at commandTimeout', async (t) => {
  const url = await fakeServer(t, () => {})
  const store = redisStore({ url, keyPrefix: uniquePrefix('mute'), commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const errors = await everyCallSettlesQuickly(t, store, 'mute server')
  t.ok(errors.some((err) => /timed out|not connected/.test(err.message)))
})

t.test('a server that answers garbage: calls settle quickly, never with a token', async (t) => {
  const printed = captureConsole(t)
  const url = await fakeServer(t, (socket) => {
    socket.on('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n\x00\xff garbage'))
  })
  const store = redisStore({ url, keyPrefix: uniquePrefix('garbage'), commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  await everyCallSettlesQuickly(t, store, 'garbage server')
  t.same(printed, [])
})

t.test('a server answering +OK to everything: get reads a miss', async (t) => {
  const url = await fakeServer(t, (socket) => {
    socket.on('data', (chunk) => {
      // One +OK per command (RESP arrays start with *).
      const commands = chunk.toString().split('\r\n').filter((line) => line.startsWith('*')).length
      socket.write('+OK\r\n'.repeat(Math.max(1, commands)))
    })
  })
  const store = redisStore({ url, keyPrefix: uniquePrefix('liar'), commandTimeout: COMMAND_TIMEOUT })
  t.teardown(() => store.close())
  const started = Date.now()
  t.equal(await store.get('k').catch(() => undefined), undefined)
  t.ok(Date.now() - started < QUICK)
})

t.test('Redis stopped, then restarted: calls fail fast while it is down, and work again once it is back', async (t) => {
  const own = await useOwnRedis(t)
  if (own === undefined) return
  const printed = captureConsole(t)
  const prefix = uniquePrefix('restart')
  const a = redisStore({ url: own.url, keyPrefix: prefix, commandTimeout: COMMAND_TIMEOUT })
  const b = redisStore({ url: own.url, keyPrefix: prefix, commandTimeout: COMMAND_TIMEOUT })
  t.teardown(async () => { await a.close(); await b.close() })

  const before = token()
  await a.set('k', before, 10_000)
  t.same(await b.get('k'), before, 'shared before the outage')
  await b.lock('w', 'b', 10_000)
  const waiting = b.waitFor('w', 10_000)

  await own.stop()
  const started = Date.now()
  await t.rejects(waiting, /redis store waitFor/, 'a waiter learns of the outage instead of waiting it out')
  t.ok(Date.now() - started < QUICK, `waiter released ${Date.now() - started} ms after Redis died`)
  const during = token()
  const errors = await everyCallSettlesQuickly(t, a, 'stopped')
  t.ok(errors.length > 0)
  await a.set('k', during, 10_000).catch((err: Error) => {
    const shown = JSON.stringify({ ...err, message: err.message, stack: err.stack })
    t.notOk(shown.includes(during.accessToken), 'the error carries no token')
  })

  await own.start()
  // ioredis reconnects in the background (backoff capped at 2 s).
  const deadline = Date.now() + 6_000
  let after: StoredToken | undefined
  const value = token()
  while (Date.now() < deadline) {
    try {
      await a.set('k', value, 10_000)
      after = await b.get('k')
      if (after !== undefined) break
    } catch {}
    await sleep(100)
  }
  t.same(after, value, 'sharing resumes: b reads what a stored after the restart')

  // Pub/sub (or polling) works again for waiters.
  t.equal(await a.lock('x', 'a', 10_000), true)
  const waiter = b.waitFor('x', 5_000)
  await sleep(150)
  const next = token()
  await a.set('x', next, 10_000)
  t.same(await waiter, next, 'a waiter is woken after the restart')
  t.same(printed, [], 'nothing printed through the outage')
})

t.test('Redis frozen (SIGSTOP): calls end at commandTimeout; it answers again when thawed', async (t) => {
  const own = await useOwnRedis(t)
  if (own === undefined) return
  const store = redisStore({ url: own.url, keyPrefix: uniquePrefix('frozen'), commandTimeout: COMMAND_TIMEOUT })
  t.teardown(async () => { own.resume(); await store.close() })
  const value = token()
  await store.set('k', value, 10_000)
  own.pause()
  const errors = await everyCallSettlesQuickly(t, store, 'frozen')
  t.ok(errors.some((err) => /timed out/.test(err.message)))
  own.resume()
  // Replies to the timed-out commands arrive late and are dropped; the connection stays usable.
  const deadline = Date.now() + 3_000
  let seen: StoredToken | undefined
  while (seen === undefined && Date.now() < deadline) {
    seen = await store.get('k').catch(() => undefined)
    if (seen === undefined) await sleep(100)
  }
  t.ok(seen !== undefined, 'the store reads again after the freeze')
})
