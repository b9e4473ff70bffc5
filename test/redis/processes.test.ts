// Four replicas in four processes sharing one Redis: one token request for a
// cold burst, and a lock holder killed mid-fetch does not stall the fleet.
import t, { type Test } from 'tap'
import { cleanup, dump, inspector, sleep, uniquePrefix, useRedis } from '../helpers/redis.js'
import type { FaultServer } from '../helpers/fault-server.js'
import { CLIENT_ID, SCOPES, callProcess, faultTokenServer, newSecret, oidc, spawnReplica, type ProcessReplica } from './fixtures/fleet.js'
import type { ReplicaConfig } from './fixtures/replica.js'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)

  async function processes (size: number, config: ReplicaConfig): Promise<ProcessReplica[]> {
    return await Promise.all(Array.from({ length: size }, () => spawnReplica(t, config)))
  }

  t.test('a cold burst of 1,000 requests over 4 processes → 1 token request; no secret or token in Redis keys or logs', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret)
    const prefix = uniquePrefix('procs')
    t.teardown(() => cleanup(redis, prefix))
    const replicas = await processes(4, { clientId: CLIENT_ID, clientSecret: secret, tokenEndpoint: server.tokenEndpoint, scopes: SCOPES, redisUrl: url, keyPrefix: prefix })

    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => callProcess(replicas[i % 4] as ProcessReplica)))
    t.equal(results.filter((r) => r.status === 200).length, 1000, 'every request got a token')
    const tokens = new Set(results.map((r) => r.token as string))
    t.equal(tokens.size, 1, 'one token in all four processes')
    t.equal(server.tokenRequests.length, 1, 'one token request')

    const keys = [...(await dump(redis, prefix)).keys()]
    t.ok(keys.length > 0)
    const logs = replicas.flatMap((r) => r.logs).join('\n')
    t.match(logs, /app token (fetched|taken from the shared store)/, 'the replicas logged their tokens (by fingerprint)')
    for (const needle of [secret, encodeURIComponent(secret), ...tokens]) {
      t.notOk(keys.some((key) => key.includes(needle)), 'no secret or token in any Redis key')
      t.notOk(logs.includes(needle), 'no secret or token in any log')
    }
  })

  t.test('a replica ends by itself after app.close(): the plugin closes the Redis store it was given', async (t) => {
    const secret = newSecret()
    const server = await oidc(t, secret)
    const prefix = uniquePrefix('exit')
    t.teardown(() => cleanup(redis, prefix))
    const [replica] = await processes(1, { clientId: CLIENT_ID, clientSecret: secret, tokenEndpoint: server.tokenEndpoint, scopes: SCOPES, redisUrl: url, keyPrefix: prefix })
    const r = replica as ProcessReplica
    t.equal((await callProcess(r)).status, 200, 'the store was in use')
    await r.kill('SIGTERM')
    t.equal(await r.exited, 0, 'the process exited on its own, with code 0')
  })

  /**
   * `size` processes whose first token request never gets an answer: its sender, the lock
   * holder, is SIGKILLed mid-fetch. Resolves at the kill with the others.
   */
  async function killHolderMidFetch (t: Test, size: number, options: Partial<ReplicaConfig> = {}): Promise<{ server: FaultServer, others: ProcessReplica[], killedAt: number }> {
    const server = await faultTokenServer(t, (n) => n === 0)
    const prefix = uniquePrefix('killed')
    t.teardown(() => cleanup(redis, prefix))
    const [holder, ...others] = await processes(size, {
      clientId: CLIENT_ID, clientSecret: newSecret(), tokenEndpoint: server.tokenEndpoint, scopes: SCOPES, redisUrl: url as string, keyPrefix: prefix, ...options
    }) as [ProcessReplica, ...ProcessReplica[]]
    callProcess(holder).catch(() => {}) // its answer never comes: it is killed first
    while (server.requests.length === 0) await sleep(10)
    await holder.kill('SIGKILL')
    return { server, others, killedAt: Date.now() }
  }

  t.test('the holder SIGKILLed while its token request hangs: a survivor\'s 5 concurrent callers get a token within lockTtl + 3 s', async (t) => {
    // The defaults: lease min(5 s, maxWait / 2) = 5 s, timeout 10 s, maxWait 10 s.
    const lockTtl = 5_000
    const { server, others: [survivor], killedAt } = await killHolderMidFetch(t, 2)
    const results = await Promise.all(Array.from({ length: 5 }, () => callProcess(survivor as ProcessReplica)))
    const took = Date.now() - killedAt
    t.same(results.map((r) => r.status), [200, 200, 200, 200, 200], 'every caller got a token')
    t.ok(took < lockTtl + 3_000, `within one lease of the kill, not the dead holder's retry budget (${took} ms)`)
    t.equal(server.requests.length, 2, 'the survivor fetched once for its five callers')
  })

  t.test('the lock holder killed mid-fetch: another process takes over after the lock expiry', async (t) => {
    const lockTtl = 1_500
    const { server, others, killedAt } = await killHolderMidFetch(t, 4, { lockTtl, timeout: 30_000 })
    const results = await Promise.all(others.flatMap((replica) => Array.from({ length: 10 }, () => callProcess(replica))))
    const took = Date.now() - killedAt
    t.equal(results.filter((r) => r.status === 200).length, 30, 'the other processes serve every request')
    t.ok(took < lockTtl + 4_000, `they waited no longer than the dead holder's lease (${took} ms after the kill; lease ${lockTtl} ms, request timeout 30 s)`)
    t.comment(`token requests after the lease lapsed: ${server.requests.length - 1}`)
    t.ok(server.requests.length - 1 <= others.length, 'at most one request per surviving process')
  })
}
