// Loads a policy folder in a worker thread, so that a reload of a large folder never blocks the
// service's event loop (docs/preflight-api.md): the worker reads, parses and validates; this
// side only assembles the result, a small batch per turn of the event loop. One worker per
// loader, started on the first load and kept for the next ones; a closed loader's worker is
// kept for the next loader of the process (starting one costs more than most loads).
import { Worker } from 'node:worker_threads'
import type { EnvLookup } from '../policy/lookup.js'
import { policySetBuilder } from '../policy/policy-set.js'
import type { AppPolicy, Finding, LoadResult } from '../policy/types.js'

export type ToWorker = { type: 'load'; dir: string } | { type: 'next' }
export type ToMain =
  | { type: 'up' }
  | { type: 'ready' }
  /** `lookups[i]`: the lookups of `apps[i]`'s environments, built by the worker. */
  | { type: 'apps'; apps: AppPolicy[]; lookups: EnvLookup[][] }
  | { type: 'done'; valid: boolean; findings: Finding[] }
  | { type: 'failed'; message: string }

const refused = (code: string, message: string): LoadResult => ({
  policies: null,
  findings: [{ file: '.', line: 1, col: 1, severity: 'error', code, message }],
})

const failed = (why: string): LoadResult => refused('load-failed', `the policy loader failed (${why})`)

/** A load that runs longer is stopped and refused (docs/preflight-api.md, "Reloads"). */
export const LOAD_TIMEOUT_MS = 10_000

/** Workers that have started (loaded their code): a load's time runs from then. */
const upWorkers = new WeakSet<Worker>()
/** A closed loader's worker, idle, for the next loader. */
let spare: Worker | null = null

export class OffThreadLoader {
  #worker: Worker | null = null
  /** The load in flight: loads are one at a time (the caller queues them). */
  #settle: ((result: LoadResult) => void) | null = null
  #onMessage: ((message: ToMain) => void) | null = null
  #timer: NodeJS.Timeout | undefined

  constructor (readonly dir: string, readonly timeoutMs = LOAD_TIMEOUT_MS) {}

  /** loadPolicyDir(dir), off the event loop. Never rejects. */
  load (): Promise<LoadResult> {
    if (this.#settle) return Promise.resolve(failed('a load is already running'))
    return new Promise((resolve) => {
      this.#settle = (result) => {
        clearTimeout(this.#timer)
        this.#settle = null
        this.#onMessage = null
        this.#worker?.unref()
        resolve(result)
      }
      this.#begin()
    })
  }

  /**
   * Abandons the load in flight and starts it again, so that it reads the files as they are
   * now; the pending load() settles with the new result. False when no load is in flight.
   */
  restart (): boolean {
    if (!this.#settle) return false
    this.#stopWorker()
    this.#begin()
    return true
  }

  /** A load in flight ends as a load-failed result and its worker stops; an idle worker is kept for the next loader. */
  close (): void {
    const worker = this.#worker
    if (this.#settle || worker === null || spare !== null) {
      this.#settle?.(failed('closed'))
      return this.#stopWorker()
    }
    this.#worker = null
    worker.removeAllListeners()
    worker.unref()
    worker.once('exit', () => { if (spare === worker) spare = null })
    spare = worker
  }

  #begin (): void {
    const worker = this.#start()
    // Held while a load runs (an awaited reload must not see the process exit under it).
    worker.ref()
    const builder = policySetBuilder(this.dir)
    // setImmediate: ask for the next batch only after the event loop has had its turn.
    const next = (): void => void setImmediate(() => this.#worker === worker && this.#onMessage && worker.postMessage({ type: 'next' } satisfies ToWorker))
    this.#onMessage = (message) => {
      switch (message.type) {
        case 'ready':
          return next()
        case 'apps':
          message.apps.forEach((app, i) => builder.add(app, message.lookups[i]))
          return next()
        case 'done':
          return this.#settle?.({ policies: message.valid ? builder.set : null, findings: message.findings })
        case 'failed':
          return this.#settle?.(failed(message.message))
      }
    }
    clearTimeout(this.#timer)
    if (upWorkers.has(worker)) this.#armTimer()
    worker.postMessage({ type: 'load', dir: this.dir } satisfies ToWorker)
  }

  /**
   * A load still running `timeoutMs` after its worker is up (no hostile file should manage it:
   * every load is linear) is stopped and refused: the last good set keeps serving.
   */
  #armTimer (): void {
    this.#timer = setTimeout(() => {
      this.#stopWorker()
      this.#settle?.(refused('load-timeout', `loading the policy folder took longer than ${this.timeoutMs / 1000} s and was stopped: the new set is refused (is a file far larger than the others?)`))
    }, this.timeoutMs)
  }

  #stopWorker (): void {
    const worker = this.#worker
    this.#worker = null
    void worker?.terminate()
  }

  #start (): Worker {
    if (this.#worker) return this.#worker
    // The worker is a file: a parent started with `--input-type` (node -e) must not pass it on, or the worker cannot start.
    const worker = spare ?? new Worker(new URL('./policy-worker.js', import.meta.url), { execArgv: process.execArgv.filter((arg) => !arg.startsWith('--input-type')) })
    spare = null
    worker.removeAllListeners()
    worker.on('message', (message: ToMain) => {
      // A stopped worker's last words (a batch, its exit) belong to no load.
      if (this.#worker !== worker) return
      if (message.type !== 'up') return this.#onMessage?.(message)
      upWorkers.add(worker)
      if (this.#settle) this.#armTimer()
    })
    const lost = (why: string): void => {
      if (this.#worker !== worker) return
      this.#worker = null
      this.#settle?.(failed(why))
    }
    worker.on('error', (err) => lost(err.name))
    worker.on('exit', (code) => lost(`worker exited with code ${code}`))
    this.#worker = worker
    return worker
  }
}
