// Rotating the encryption key across a fleet sharing one Redis: rolled from
// [old] → [new, old] → [new], one replica at a time, the fleet never fetches a
// token because of the rotation (token requests counted at the server).
import t, { type Test } from 'tap'
import { randomBytes } from 'node:crypto'
import { redisStore } from '../../plugin/store/redis.js'
import { TokenCache } from '../../plugin/token/cache.js'
import { startFaultServer, type FaultServer } from '../helpers/fault-server.js'
import { cleanup, dump, inspector, uniquePrefix, useRedis } from '../helpers/redis.js'
import { unseal } from '../../plugin/store/seal.js'

const url = await useRedis(t)
if (url !== undefined) {
  const redis = inspector(t, url)
  const SCOPE_SETS = [['read:a'], ['read:a', 'write:a'], ['read:b']]

  interface Replica { cache: TokenCache, close: () => Promise<void> }

  function start (t: Test, server: FaultServer, prefix: string, keys: Buffer[]): Replica {
    const store = redisStore({ url, keyPrefix: prefix, encryptionKey: keys.map((key) => key.toString('base64')) })
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'rotation-client', clientSecret: 'rotation-secret', store })
    const close = async (): Promise<void> => { await cache.close(); await store.close() }
    t.teardown(close)
    return { cache, close }
  }

  /** Every replica asks for every scope set; the tokens each one holds. */
  async function serve (fleet: Replica[]): Promise<string[]> {
    const got = await Promise.all(fleet.flatMap(({ cache }) => SCOPE_SETS.map((scopes) => cache.get({ scopes }))))
    return got.map((token) => token.accessToken)
  }

  t.test('[old] → [new, old] → [new], one replica at a time: no token request because of the rotation', async (t) => {
    const server = await startFaultServer()
    const prefix = uniquePrefix('rotation')
    t.teardown(async () => { await server.close(); await cleanup(redis, prefix) })
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)]

    const fleet = [0, 1, 2].map(() => start(t, server, prefix, [oldKey]))
    const tokens = new Set(await serve(fleet))
    t.equal(tokens.size, 3, 'one token per scope set')
    t.equal(server.requests.length, 3, 'one request per scope set for the fleet')

    for (const stage of [[newKey, oldKey], [newKey]]) {
      for (let i = 0; i < fleet.length; i++) {
        // A rolling restart: the replica goes, its successor comes with the next key list.
        await fleet[i]?.close()
        fleet[i] = start(t, server, prefix, stage)
        for (const token of await serve(fleet)) t.ok(tokens.has(token), 'the fleet keeps serving the same tokens')
      }
      t.equal(server.requests.length, 3, `rolled to ${stage.length === 2 ? '[new, old]' : '[new]'}: no token request`)
    }

    const held = [...(await dump(redis, prefix))].filter(([key]) => key.endsWith(':token'))
    t.equal(held.length, 3)
    for (const [key, value] of held) {
      t.ok(unseal(newKey, value ?? '', key) !== undefined, 'sealed with the new key')
      t.equal(unseal(oldKey, value ?? '', key), undefined, 'the old key opens nothing any more')
    }
  })
}
