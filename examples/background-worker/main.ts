// Starts the worker until SIGINT/SIGTERM. Credentials come from the environment:
// APP_TOKEN_CLIENT_ID, APP_TOKEN_CLIENT_SECRET (or _FILE), APP_TOKEN_POLICY or APP_TOKEN_ENDPOINT.
import { startWorker } from './worker.js'

const worker = await startWorker({
  upstreamUrl: process.env.UPSTREAM_URL ?? 'https://api.example.com',
  intervalMs: Number(process.env.SYNC_INTERVAL_MS ?? 10_000)
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => { void worker.stop() })
