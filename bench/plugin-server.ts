// Child process of bench/plugin.ts: one Fastify server, with the plugin
// (`with`) or without (`without`), the same route either way. The token comes
// from the benches' token server in this process (long-lived, so it stays cached).
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import appToken from '../plugin/index.js'
import { benchOtel } from './otel.js'
import { benchTokenServer } from './token-server.js'

const variant = process.argv[2]
if (variant !== 'with' && variant !== 'without') throw new Error('usage: plugin-server.js with|without')

// BENCH_OTEL=1: both servers with an OpenTelemetry SDK, as a host would run them.
await benchOtel()
const app = Fastify()
if (variant === 'with') {
  await app.register(appToken, {
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    tokenEndpoint: (await benchTokenServer(86_400)).url,
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
