// A real listening server called with undici: the cold-start stampede, the
// token on the request, prefetch, and a close() that leaves nothing running.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import Fastify from 'fastify'
import { Agent, request } from 'undici'
import appToken from '../../plugin/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'
import { CLIENT_ID, SECRET, policyFixture, tokenServer } from './fixtures/helpers.js'
import { logCapture } from '../helpers/log-capture.js'

t.test('1,000 concurrent requests on a cold start → 1 token request; logs hold no secret or token', async (t) => {
  const { oidc, policy } = await policyFixture(t)
  const logs = logCapture()
  const app = Fastify({ logger: { level: 'trace', stream: logs.stream } })
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, policy, scopes: ['read:interaction'] })
  // Stands in for the upstream call: what it would send is the token's Authorization header.
  const seen = new Set<string>()
  app.get('/calls', async (request) => {
    seen.add(request.appToken.authorization)
    return { scopes: request.appToken.scopes, token: request.appToken }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/calls`
  const agent = new Agent({ connections: 100 })
  t.teardown(() => agent.close())

  const results = await Promise.all(Array.from({ length: 1000 }, async () => {
    const res = await request(url, { dispatcher: agent })
    return { status: res.statusCode, body: await res.body.json() as { scopes: string[]; token: Record<string, unknown> } }
  }))
  t.equal(results.filter((r) => r.status === 200).length, 1000, 'all answered 200')
  t.equal(oidc.tokenRequests.length, 1, 'one token request for 1,000 requests')
  t.equal(seen.size, 1, 'all shared one token')
  const [authorization] = [...seen]
  t.match(authorization, /^Bearer \S+$/)
  const accessToken = authorization!.slice('Bearer '.length)
  t.same(results[0]?.body.scopes, ['read:interaction'])
  t.notOk(JSON.stringify(results[0]?.body).includes(accessToken), 'a serialised AppToken does not show the token')

  await app.close()
  const text = logs.lines.join('\n')
  t.ok(logs.entries().some((e) => e.msg === 'app token fetched' && typeof e.fingerprint === 'string'), 'the fetch is logged with a fingerprint')
  t.notOk(text.includes(accessToken), 'no token in the logs')
  t.notOk(text.includes(SECRET) || text.includes(encodeURIComponent(SECRET)), 'no secret in the logs')
  t.notOk(text.includes(Buffer.from(`${CLIENT_ID}:${encodeURIComponent(SECRET)}`).toString('base64')), 'no Basic credentials in the logs')
})

t.test("prefetch 'block' has the token before ready() resolves; 'background' starts it", async (t) => {
  const oidc = await tokenServer(t)
  const base = { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:analytics'] }

  const blocking = Fastify()
  t.teardown(() => blocking.close())
  await blocking.register(appToken, { ...base, prefetch: 'block' })
  await blocking.ready()
  t.equal(oidc.tokenRequests.length, 1, 'fetched during ready()')
  t.equal(blocking.appToken.stats().entries.length, 1)

  const lazy = Fastify()
  t.teardown(() => lazy.close())
  await lazy.register(appToken, base)
  await lazy.ready()
  t.equal(oidc.tokenRequests.length, 1, 'prefetch: false (the default) fetches nothing at ready()')

  const background = Fastify()
  t.teardown(() => background.close())
  await background.register(appToken, { ...base, prefetch: 'background' })
  await background.ready()
  await background.appToken.get()
  t.equal(oidc.tokenRequests.length, 2, 'started at ready(); get() joined it')
})

t.test("prefetch 'block' fails ready() when no token can be had", async (t) => {
  const oidc = await tokenServer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: 'wrong', tokenEndpoint: oidc.tokenEndpoint, prefetch: 'block' })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_APP_TOKEN_OAUTH_ERROR', error: 'invalid_client' })
})

t.test('close() leaves no timer, socket or server behind', async (t) => {
  const baseline = process.getActiveResourcesInfo()
  const oidc = await startOidcServer({ clients: [{ clientId: CLIENT_ID, clientSecret: SECRET, scopes: ['read:interaction'] }] })
  const app = Fastify()
  await app.register(appToken, { clientId: CLIENT_ID, clientSecret: SECRET, tokenEndpoint: oidc.tokenEndpoint, scopes: ['read:interaction'] })
  app.get('/', async (request) => request.appToken.scopes)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const client = new Agent()
  const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: client })
  t.same(await res.body.json(), ['read:interaction'])
  await client.close()
  t.ok(app.appToken.stats().entries[0]?.refreshAt, 'a refresh is scheduled')
  await app.close()
  await oidc.close()
  await new Promise((resolve) => setImmediate(resolve))
  // Earlier tests' sockets may still be closing: what counts is that nothing was added.
  const added = process.getActiveResourcesInfo()
  for (const r of baseline) if (added.includes(r)) added.splice(added.indexOf(r), 1)
  t.same(added, [], 'no resource left that was not there before the app existed')
})

t.test('the process exits by itself right after app.close()', async (t) => {
  const started = Date.now()
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('fixtures/exit-after-close.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit']
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const timer = setTimeout(() => child.kill(), 20_000)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  t.equal(out, '200 ["read:interaction"]\nclosed\n')
  t.equal(code, 0, 'exited on its own, not killed')
  t.ok(Date.now() - started < 20_000)
})
