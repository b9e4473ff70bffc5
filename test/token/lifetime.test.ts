// 3-second tokens from a real server over several lifetimes with 25
// concurrent callers: no caller ever holds a token past the server's own
// expiry, and after the first fetch no caller waits for a refresh.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { TokenCache, type AppToken } from '../../plugin/token/index.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'

const clientId = 'short:lived +/=%&'
const clientSecret = 'short:secret +/=%&'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The server's own expiry of a token (epoch ms), from its introspection endpoint. */
async function introspectExp (server: OidcServer, token: string): Promise<number> {
  const res = await request(server.introspectionEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${new URLSearchParams({ a: clientId }).toString().slice(2)}:${new URLSearchParams({ a: clientSecret }).toString().slice(2)}`).toString('base64')
    },
    body: new URLSearchParams({ token }).toString()
  })
  const body = await res.body.json() as { active: boolean; exp: number }
  if (!body.active) throw new Error('token inactive right after it was handed out')
  return body.exp * 1000
}

function jwtExp (token: string): number {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000
}

async function run (t: Test, server: OidcServer, seconds: number, expOf: (token: AppToken) => Promise<number> | number, resource?: string) {
  const log = logCapture()
  const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, clientSecret, logger: log.logger })
  t.teardown(() => cache.close())
  const handouts: Array<{ token: AppToken; at: number }> = []
  const expiries = new Map<string, Promise<number>>()
  const opts = { scopes: ['read:interaction'], ...(resource !== undefined ? { resource } : {}) }
  await cache.get(opts)
  const warmWaits = cache.stats().waits
  const requestsBefore = server.tokenRequests.length
  const end = Date.now() + seconds * 1000
  await Promise.all(Array.from({ length: 25 }, async () => {
    while (Date.now() < end) {
      const token = await cache.get(opts)
      handouts.push({ token, at: Date.now() })
      if (!expiries.has(token.accessToken)) expiries.set(token.accessToken, Promise.resolve(expOf(token)))
      await sleep(10 + Math.random() * 30)
    }
  }))
  let late = 0
  for (const { token, at } of handouts) if (at >= await expiries.get(token.accessToken)!) late++
  t.ok(handouts.length > 25 * seconds * 2, `${handouts.length} tokens handed out`)
  t.equal(late, 0, 'none past the server\'s own expiry')
  t.equal(cache.stats().waits, warmWaits, 'no caller waited after the first fetch')
  const requests = server.tokenRequests.length - requestsBefore
  t.ok(expiries.size >= seconds / 3, `refreshed over several lifetimes (${expiries.size} tokens)`)
  t.ok(requests <= seconds / 1.2 + 1, `at most one request per 1.2 s (${requests} in ${seconds} s)`)
  assertNoSecrets(t, log, [clientSecret, ...expiries.keys()])
}

t.test('opaque tokens, expiry from introspection', async (t) => {
  const server = await startOidcServer({ clients: [{ clientId, clientSecret, scopes: ['read:interaction'] }], ttl: 3 })
  t.teardown(() => server.close())
  await run(t, server, 8, (token) => introspectExp(server, token.accessToken))
})

t.test('JWT tokens, expiry from the exp claim', async (t) => {
  const resource = 'https://api.example.com'
  const server = await startOidcServer({ clients: [{ clientId, clientSecret, scopes: ['read:interaction'] }], ttl: 3, jwt: { resource, scopes: ['read:interaction'] } })
  t.teardown(() => server.close())
  await run(t, server, 10, (token) => jwtExp(token.accessToken), resource)
})
