// Starts the example service. Credentials come from the environment:
// APP_TOKEN_CLIENT_ID, APP_TOKEN_CLIENT_SECRET (or _FILE), APP_TOKEN_POLICY or APP_TOKEN_ENDPOINT.
import { buildService } from './app.js'

const app = await buildService({ upstreamUrl: process.env.UPSTREAM_URL ?? 'https://api.example.com' })
await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' })
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void app.close() })
