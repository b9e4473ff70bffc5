// Worker thread entry: loads and validates the policy folder off the event loop
// (docs/preflight-api.md, reloading). Hands each set over app by app, one batch per request
// from the main thread, so that no single message takes the main thread long to read.
import { parentPort } from 'node:worker_threads'
import { loadPolicyDir } from '../policy/loader.js'
import { lookupsOf } from '../policy/policy-set.js'
import type { EnvLookup } from '../policy/lookup.js'
import type { AppPolicy } from '../policy/types.js'
import type { ToMain, ToWorker } from './load-off-thread.js'

/** Scopes per batch: what the main thread reads in one go, about a millisecond. */
const BATCH_SCOPES = 1000

function batches (apps: Iterable<AppPolicy>): AppPolicy[][] {
  const out: AppPolicy[][] = []
  let batch: AppPolicy[] = []
  let scopes = 0
  for (const app of apps) {
    batch.push(app)
    for (const env of app.environments.values()) scopes += env.scopes.size + 1
    if (scopes >= BATCH_SCOPES) {
      out.push(batch)
      batch = []
      scopes = 0
    }
  }
  if (batch.length > 0) out.push(batch)
  return out
}

const port = parentPort
let pending: { batches: AppPolicy[][]; lookups: (app: AppPolicy) => EnvLookup[]; done: ToMain } | null = null
const send = (message: ToMain): void => port?.postMessage(message)

port?.on('message', (message: ToWorker) => {
  if (message.type === 'load') {
    pending = null
    loadPolicyDir(message.dir).then(
      ({ policies, findings }) => {
        pending = {
          batches: policies ? batches(policies.apps.values()) : [],
          lookups: (app) => policies ? lookupsOf(policies, app) : [],
          done: { type: 'done', valid: policies !== null, findings }
        }
        send({ type: 'ready' })
      },
      (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.name : 'error' })
    )
  } else if (pending) {
    // 'next': the main thread has read the previous batch.
    const apps = pending.batches.shift()
    // The loader built the lookups: they go with the apps, the main thread does not build them again.
    if (apps) send({ type: 'apps', apps, lookups: apps.map(pending.lookups) })
    else {
      send(pending.done)
      pending = null
    }
  }
})

// This module's imports are loaded: the loader times each load from here.
send({ type: 'up' })
