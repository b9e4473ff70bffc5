// The shared store on a Redis Cluster of the test's own (3 masters, 1 replica
// each): an entry's keys share one slot, the Lua unlock and pipelines work,
// waiters wake across nodes, and the failover of the master holding the token
// fails no request (token requests counted at the server, failures at the client).
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { Cluster, type ClusterOptions } from 'ioredis'
import { redisStore } from '../../plugin/store/redis.js'
import { TokenCache } from '../../plugin/token/cache.js'
import type { SharedTokenStore, StoredToken } from '../../plugin/token/shared-store.js'
import { startFaultServer, type FaultServer } from '../helpers/fault-server.js'
import { sleep, uniquePrefix } from '../helpers/redis.js'
import { serveThroughFailover, startCluster, topologyAvailable, type LocalCluster } from '../helpers/redis-topology.js'

/** The options docs/redis.md recommends for a Cluster client. */
const CLUSTER_OPTIONS: ClusterOptions = {
  enableOfflineQueue: false,
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  slotsRefreshTimeout: 1000,
  clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
  redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1000, autoResendUnfulfilledCommands: false }
}

if (topologyAvailable(t, 'Redis Cluster')) {
  const cluster = await startCluster(t)

  function client (t: Test): Cluster {
    const c = new Cluster(cluster.startup, CLUSTER_OPTIONS)
    c.on('error', () => {})
    t.teardown(() => { c.disconnect() })
    return c
  }

  function store (t: Test, prefix: string): SharedTokenStore {
    const s = redisStore({ client: client(t), keyPrefix: prefix })
    t.teardown(() => s.close())
    return s
  }

  function token (): StoredToken {
    const now = Date.now()
    return { accessToken: `at-${randomBytes(8).toString('hex')}`, tokenType: 'Bearer', scopes: ['read:a'], usableUntil: now + 50_000, expiresAt: now + 60_000, refreshAt: now + 40_000 }
  }

  /** Every key under prefix, on every master. */
  async function keysOf (c: Cluster, prefix: string): Promise<string[]> {
    const all = await Promise.all(c.nodes('master').map((node) => node.keys(`${prefix}*`)))
    return all.flat()
  }

  t.test('the store contract over a Cluster client: get/set, lock/unlock (Lua), waitFor across nodes', async (t) => {
    const prefix = uniquePrefix('cluster')
    const a = store(t, prefix)
    const b = store(t, prefix)
    const inspect = client(t)
    const names = Array.from({ length: 12 }, (_, i) => `entry-${i}-${randomBytes(4).toString('hex')}`)
    for (const name of names) {
      const value = token()
      await a.set(name, value, 10_000)
      t.same(await b.get(name), value, `${name}: set on one client, read on another`)
      t.equal(await a.lock(name, 'owner-a', 10_000), true)
      t.equal(await b.lock(name, 'owner-b', 10_000), false, 'one owner at a time')
      t.equal(await a.renew?.(name, 'owner-a', 10_000), true, 'the owner renews its lease (Lua on the slot\'s master)')
      t.equal(await b.renew?.(name, 'owner-b', 10_000), false, 'another owner does not')
      t.ok(await b.lockRemaining?.(name) as number > 0, 'the lease\'s remaining time, read on another client')
      const slots = await Promise.all([`${prefix}v3:{${name}}:token`, `${prefix}v3:{${name}}:lock`].map((key) => inspect.cluster('KEYSLOT', key)))
      t.equal(slots[0], slots[1], 'token and lock in one slot')
      await a.unlock(name, 'owner-a')
      t.equal(await b.lock(name, 'owner-b', 10_000), true, 'released by its owner (Lua on the slot\'s master)')
    }
    const masters = new Set<string>()
    for (const node of inspect.nodes('master')) if ((await node.keys(`${prefix}*`)).length > 0) masters.add(`${node.options.port}`)
    t.ok(masters.size >= 2, `the entries spread over ${masters.size} masters`)

    const name = names[0] as string
    await b.unlock(name, 'owner-b')
    await a.lock(name, 'holder', 10_000)
    const started = Date.now()
    const waiting = b.waitFor(name, 5_000)
    await sleep(200)
    const value = token()
    await a.set(name, value, 10_000)
    await a.unlock(name, 'holder')
    t.same(await waiting, value, 'the waiter on another client got the holder\'s token')
    t.ok(Date.now() - started < 2_000, 'promptly')
    await b.deleteIfHolds?.(name, value.accessToken)
    t.equal(await a.get(name), undefined, 'deleteIfHolds on another client (Lua on the slot\'s master)')
    for (const key of await keysOf(inspect, prefix)) await inspect.del(key)
  })

  async function fleet (t: Test, server: FaultServer, prefix: string, size: number): Promise<TokenCache[]> {
    return Array.from({ length: size }, () => {
      const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'cluster-client', clientSecret: 'cluster-secret', store: store(t, prefix) })
      t.teardown(() => cache.close())
      return cache
    })
  }

  t.test('three replicas over the Cluster: one token request', async (t) => {
    const server = await startFaultServer()
    t.teardown(() => server.close())
    const caches = await fleet(t, server, uniquePrefix('cluster-fleet'), 3)
    const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => (caches[i % 3] as TokenCache).get({ scopes: ['read:a'] })))
    t.equal(new Set(tokens.map((tk) => tk.accessToken)).size, 1)
    t.equal(server.requests.length, 1)
  })

  t.test('failover of the master holding the token: no failed request, at most one extra token request', async (t) => {
    await failover(t, cluster)
  })
}

async function failover (t: Test, cluster: LocalCluster): Promise<void> {
  const server = await startFaultServer()
  t.teardown(() => server.close())
  const prefix = uniquePrefix('cluster-failover')
  const make = (): TokenCache => {
    const c = new Cluster(cluster.startup, CLUSTER_OPTIONS)
    c.on('error', () => {})
    const s = redisStore({ client: c, keyPrefix: prefix })
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'failover-client', clientSecret: 'failover-secret', store: s })
    t.teardown(async () => { await cache.close(); await s.close(); c.disconnect() })
    return cache
  }
  const [a, b] = [make(), make()]
  const first = await a.get()
  t.equal((await b.get()).accessToken, first.accessToken, 'shared before the failover')
  t.equal(server.requests.length, 1)

  const probe = new Cluster(cluster.startup, CLUSTER_OPTIONS)
  probe.on('error', () => {})
  t.teardown(() => { probe.disconnect() })
  await sleep(300)
  const tokenKey = (await Promise.all(probe.nodes('master').map((n) => n.keys(`${prefix}*`)))).flat().find((k) => k.endsWith(':token'))
  t.ok(tokenKey, 'the token is in the Cluster')
  const master = await cluster.masterOf(tokenKey as string)
  await master.stop()

  const { served, failed } = await serveThroughFailover([a, b], make)
  t.equal(failed, 0, `no failed request (${served} served) while the master was down`)
  t.ok(server.requests.length <= 2, `${server.requests.length} token requests: at most one extra`)
  await cluster.healthy()
  const before = server.requests.length
  await make().get()
  t.equal(server.requests.length, before, 'a replica started after the failover takes the token from the promoted replica')
}
