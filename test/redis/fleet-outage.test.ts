// Redis (a redis-server of our own) stopped in the middle of a run, then
// restarted: no request fails, each replica logs the outage once, and the
// fleet goes back to one refresh for all.
import t from 'tap'
import { sleep, uniquePrefix, useOwnRedis, dump, inspector } from '../helpers/redis.js'
import { call, fleet, newSecret, oidc } from './fixtures/fleet.js'

const own = await useOwnRedis(t)
if (own !== undefined) {
  t.test('Redis stopped mid-run, then restarted: no request fails, sharing resumes', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret, 3)
    const prefix = uniquePrefix('outage')
    const replicas = await fleet(t, { size: 4, tokenEndpoint: server.tokenEndpoint, secret, store: { url: own.url, keyPrefix: prefix, commandTimeout: 200 } })

    const tokens = new Set<string>()
    let failed = 0
    let served = 0
    const load = { running: true }
    const traffic = Promise.all(replicas.map(async (replica) => {
      while (load.running) {
        const { status, token } = await call(replica)
        if (status === 200 && token !== undefined) { served++; tokens.add(token) } else failed++
        await sleep(25)
      }
    }))

    await sleep(4_000)
    const beforeOutage = server.tokenRequests.length
    await own.stop()
    const stoppedAt = Date.now()
    await sleep(5_000)
    await own.start()
    const restartedAt = Date.now()
    // ioredis reconnects with a backoff of at most 2 s; give the fleet one refresh to meet again.
    await sleep(3_000)
    const windowStart = Date.now()
    await sleep(6_000)
    load.running = false
    await traffic
    const at = server.tokenRequests.map((r) => r.at)
    const during = at.filter((ms) => ms >= stoppedAt && ms < restartedAt).length
    const after = at.filter((ms) => ms >= windowStart).length
    t.comment(`token requests: ${beforeOutage} in 4 s shared, ${during} in 5 s with Redis down, ${after} in the last 6 s; ${served} requests served`)

    t.equal(failed, 0, 'no request failed')
    t.ok(during >= 4, `with Redis down each replica fetched for itself (${during} requests in 5 s)`)
    // Shared: one fleet refresh every ≥1.35 s → ≤ 5 in 6 s (a race may add one); four replicas on their own: ~16.
    t.ok(after <= 8, `sharing resumed: ${after} token requests in the last 6 s`)
    const held = await dump(inspector(t, own.url), prefix)
    t.ok([...held.keys()].some((key) => key.startsWith(`${prefix}v3:`) && key.endsWith(':token')), 'the token is in Redis again')

    for (const [i, replica] of replicas.entries()) {
      const entries = replica.logs.map((line) => JSON.parse(line) as { level: number, msg: string })
      const down = entries.filter((e) => e.msg.startsWith('shared token store failed'))
      const back = entries.filter((e) => e.msg.startsWith('shared token store answers again'))
      t.equal(down.length, 1, `replica ${i} logged the outage once`)
      t.ok(back.length >= 1, `replica ${i} logged the recovery`)
    }
    const logs = replicas.flatMap((r) => r.logs).join('\n')
    for (const needle of [secret, encodeURIComponent(secret), ...tokens]) t.notOk(logs.includes(needle), 'no secret or token in the logs')
  })
}
