// The shared store on Redis Sentinel (1 master, 1 replica, 3 sentinels of the
// test's own): `new Redis({ sentinels, name })` shares tokens, and the failover
// of the master fails no request (token requests counted at the server,
// failures at the client; a lost lock may cost one extra token request).
import t, { type Test } from 'tap'
import { Redis, type RedisOptions } from 'ioredis'
import { redisStore } from '../../plugin/store/redis.js'
import { TokenCache } from '../../plugin/token/cache.js'
import type { TokenLogger } from '../../plugin/token/logger.js'
import { startFaultServer, type FaultServer } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { sleep, uniquePrefix } from '../helpers/redis.js'
import { serveThroughFailover, startSentinel, topologyAvailable, type LocalSentinel } from '../helpers/redis-topology.js'

/** The options docs/redis.md recommends for a Sentinel client. */
function sentinelOptions (setup: LocalSentinel): RedisOptions {
  return {
    sentinels: setup.sentinels,
    name: setup.name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    autoResendUnfulfilledCommands: false,
    connectTimeout: 1000,
    sentinelRetryStrategy: (times) => Math.min(times * 100, 1000),
    retryStrategy: (times) => Math.min(times * 100, 1000)
  }
}

if (topologyAvailable(t, 'Redis Sentinel')) {
  const setup = await startSentinel(t)

  function replica (t: Test, server: FaultServer, prefix: string, logger?: TokenLogger): TokenCache {
    const client = new Redis(sentinelOptions(setup))
    client.on('error', () => {})
    const store = redisStore({ client, keyPrefix: prefix })
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'sentinel-client', clientSecret: 'sentinel-secret', store, ...(logger === undefined ? {} : { logger }) })
    t.teardown(async () => { await cache.close(); await store.close(); client.disconnect() })
    return cache
  }

  t.test('replicas on a Sentinel client share one token', async (t) => {
    const server = await startFaultServer()
    t.teardown(() => server.close())
    const prefix = uniquePrefix('sentinel')
    const caches = [replica(t, server, prefix), replica(t, server, prefix), replica(t, server, prefix)]
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => (caches[i % 3] as TokenCache).get()))
    t.equal(new Set(tokens.map((tk) => tk.accessToken)).size, 1)
    t.equal(server.requests.length, 1)
  })

  t.test('failover of the master: no failed request, at most one extra token request, sharing resumes', async (t) => {
    const server = await startFaultServer()
    t.teardown(() => server.close())
    const prefix = uniquePrefix('sentinel-failover')
    const replicas = [replica(t, server, prefix), replica(t, server, prefix)]
    const first = await (replicas[0] as TokenCache).get()
    t.equal((await (replicas[1] as TokenCache).get()).accessToken, first.accessToken)
    await sleep(300) // the token reaches the replica
    await setup.master.stop()

    const { served, failed } = await serveThroughFailover(replicas, () => replica(t, server, prefix))
    t.equal(failed, 0, `no failed request (${served} served) while the master was down`)
    t.ok(server.requests.length <= 2, `${server.requests.length} token requests: at most one extra`)

    const deadline = Date.now() + 20_000
    while (await setup.currentMaster() !== setup.replica.port) {
      if (Date.now() > deadline) throw new Error('the sentinels did not promote the replica')
      await sleep(200)
    }
    const before = server.requests.length
    const log = logCapture()
    const after = replica(t, server, prefix, log.logger)
    t.ok(await after.get(), 'a replica started after the failover gets a token')
    t.equal(server.requests.length, before, 'from the promoted master, not the token endpoint')
    assertNoSecrets(t, log, ['sentinel-secret', first.accessToken])
  })
}
