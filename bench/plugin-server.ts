// Child process of bench/plugin.ts: one Fastify server, with the plugin
// (`with`) or without (`without`), the same route either way. The token comes
// from a tiny fixed token server in this process (long-lived, so it stays cached).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import appToken from '../plugin/index.js'

async function tokenEndpoint (): Promise<string> {
  const body = JSON.stringify({ access_token: 'bench-token', token_type: 'Bearer', expires_in: 86_400, scope: 'read:interaction' })
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(body) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
}

const variant = process.argv[2]
if (variant !== 'with' && variant !== 'without') throw new Error('usage: plugin-server.js with|without')

const app = Fastify()
if (variant === 'with') {
  await app.register(appToken, {
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    tokenEndpoint: await tokenEndpoint(),
    scopes: ['read:interaction'],
    prefetch: 'block'
  })
}
// The same handler for both: reads the token's header value when there is one.
app.get('/calls', async (request) => {
  const token = (request as { appToken?: { authorization: string } }).appToken
  return { authorized: token?.authorization.startsWith('Bearer ') ?? false }
})
await app.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ port: (app.server.address() as AddressInfo).port })
process.on('disconnect', () => { void app.close().then(() => process.exit(0)) })
