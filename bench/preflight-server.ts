// Child process of bench/preflight.ts: `preflight` serves the preflight app on the
// policy folder given; `bare` is a Fastify POST route returning a constant JSON body.
// Both without request logging, so the figure is the API's own cost.
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { buildPreflightApp } from '../service/http/app.js'

const [variant, policyDir] = process.argv.slice(2)
if ((variant !== 'preflight' && variant !== 'bare') || (variant === 'preflight' && !policyDir)) {
  throw new Error('usage: preflight-server.js preflight DIR | bare')
}

const app =
  variant === 'preflight'
    ? buildPreflightApp({ policyDir: policyDir!, watch: false })
    : Fastify().post('/v1/preflight', async () => ({ allowed: true }))
await app.listen({ port: 0, host: '127.0.0.1' })
process.send?.({ port: (app.server.address() as AddressInfo).port })
process.on('disconnect', () => void app.close().then(() => process.exit(0)))
