// Loads a policy folder in a worker thread, so that a reload of a large folder never blocks the
// service's event loop (docs/preflight-api.md): the worker reads, parses and validates; this
// side only assembles the result, a small batch per turn of the event loop. One worker per
// loader, started on the first load and kept for the next ones.
import { Worker } from 'node:worker_threads'
import { lookupFor } from '../policy/lookup.js'
import type { AppPolicy, EnvironmentPolicy, Finding, LoadResult, PolicySet } from '../policy/types.js'

export type ToWorker = { type: 'load'; dir: string } | { type: 'next' }
export type ToMain =
  | { type: 'ready' }
  | { type: 'apps'; apps: AppPolicy[] }
  | { type: 'done'; valid: boolean; findings: Finding[] }
  | { type: 'failed'; message: string }

const failed = (why: string): LoadResult => ({
  policies: null,
  findings: [{ file: '.', line: 1, col: 1, severity: 'error', code: 'load-failed', message: `the policy loader failed (${why})` }],
})

export class OffThreadLoader {
  #worker: Worker | null = null
  /** The load in flight: loads are one at a time (the caller queues them). */
  #settle: ((result: LoadResult) => void) | null = null
  #onMessage: ((message: ToMain) => void) | null = null

  constructor (readonly dir: string) {}

  /** loadPolicyDir(dir), off the event loop. Never rejects. */
  load (): Promise<LoadResult> {
    return new Promise((resolve) => {
      if (this.#settle) return resolve(failed('a load is already running'))
      const worker = this.#start()
      // Held while a load runs (an awaited reload must not see the process exit under it).
      worker.ref()
      const apps = new Map<string, AppPolicy>()
      const byClientId = new Map<string, { app: AppPolicy; environment: EnvironmentPolicy }>()
      const set: PolicySet = { dir: this.dir, apps, byClientId }
      // setImmediate: ask for the next batch only after the event loop has had its turn.
      const next = (): void => void setImmediate(() => this.#onMessage && worker.postMessage({ type: 'next' } satisfies ToWorker))
      this.#settle = (result) => {
        this.#settle = null
        this.#onMessage = null
        worker.unref()
        resolve(result)
      }
      this.#onMessage = (message) => {
        switch (message.type) {
          case 'ready':
            return next()
          case 'apps':
            for (const app of message.apps) {
              apps.set(app.app, app)
              for (const environment of app.environments.values()) {
                byClientId.set(environment.clientId, { app, environment })
                lookupFor(set, app, environment)
              }
            }
            return next()
          case 'done':
            return this.#settle?.({ policies: message.valid ? set : null, findings: message.findings })
          case 'failed':
            return this.#settle?.(failed(message.message))
        }
      }
      worker.postMessage({ type: 'load', dir: this.dir } satisfies ToWorker)
    })
  }

  /** Stops the worker; a load in flight ends as a load-failed result. */
  close (): void {
    this.#settle?.(failed('closed'))
    void this.#worker?.terminate()
    this.#worker = null
  }

  #start (): Worker {
    if (this.#worker) return this.#worker
    const worker = new Worker(new URL('./policy-worker.js', import.meta.url))
    worker.on('message', (message: ToMain) => this.#onMessage?.(message))
    const lost = (why: string): void => {
      if (this.#worker === worker) this.#worker = null
      this.#settle?.(failed(why))
    }
    worker.on('error', (err) => lost(err.name))
    worker.on('exit', (code) => lost(`worker exited with code ${code}`))
    this.#worker = worker
    return worker
  }
}
