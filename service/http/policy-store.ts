// The policy set the service answers from, and its reloads (docs/preflight-api.md).
// A valid load replaces the set with one reference swap, so each request, which reads
// `current` once, sees either the old set or the new one, never a mix. An invalid load
// is refused: the last good set keeps serving and `status()` reports the findings.
import { statSync, watch, type FSWatcher } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import { formatFinding, formatFindingCode } from '../policy/findings.js'
import { PolicyLoadError } from '../policy/loader.js'
import { LOAD_TIMEOUT_MS, OffThreadLoader } from './load-off-thread.js'
import type { Finding, LoadResult, PolicySet } from '../policy/types.js'

/** Ready with the set in force, or not ready with the findings of a refused reload. */
export type PolicyStatus =
  | { ready: true; apps: number; loadedAt: Date }
  | { ready: false; reason: string; files: string[]; findings: string[] }

/** What `reload()` resolves to: whether the new set was applied, and the findings. */
export interface ReloadOutcome {
  /** Whether the new set is now in force. */
  applied: boolean
  findings: Finding[]
}

/** Hears each load's outcome and the set in force after it. */
export type LoadListener = (outcome: ReloadOutcome, current: PolicySet | null) => void

/** Findings (and files) /readyz and the catalogue page list at most (docs/preflight-api.md). */
export const MAX_LISTED_FINDINGS = 50

/** A load in progress is abandoned for a newer change at most this many times in a row. */
const MAX_ABANDONS = 3

export interface PolicyStoreOptions {
  /** Called after each load (docs/metrics.md counts them). */
  onLoad?: LoadListener
  /** A load running longer is stopped and refused. Default 10 s. */
  loadTimeoutMs?: number
}

/** The policy set in force of a preflight app (`app.preflightPolicies`): reloads keep the last good set. */
export class PolicyStore {
  readonly dir: string
  #log: FastifyBaseLogger
  #current: PolicySet | null = null
  #loadedAt = new Date(0)
  #refused: Finding[] | null = null
  #queued: Promise<ReloadOutcome> | null = null
  #last: Promise<ReloadOutcome> = Promise.resolve({ applied: false, findings: [] })
  /** The debounce of the watch asked for; null when not watching. */
  #watchMs: number | null = null
  #watcher: FSWatcher | null = null
  /** The inode watched: a folder replaced under the same path needs a new watch. */
  #watchedIno: number | null = null
  #debounce: NodeJS.Timeout | null = null
  #closed = false
  #onLoad: LoadListener | undefined
  readonly #loader: OffThreadLoader
  /** Whether a load is running now (not merely queued), and how often it was started again. */
  #loading = false
  #abandons = 0

  constructor (dir: string, log: FastifyBaseLogger, options: PolicyStoreOptions = {}) {
    this.dir = dir
    this.#log = log
    this.#onLoad = options.onLoad
    this.#loader = new OffThreadLoader(dir, options.loadTimeoutMs ?? LOAD_TIMEOUT_MS)
  }

  /** The set in force. Read it once per request. */
  get current (): PolicySet {
    if (!this.#current) throw new Error('no policy set loaded yet')
    return this.#current
  }

  /** What `/readyz` reports. */
  status (): PolicyStatus {
    if (this.#refused) {
      const files = [...new Set(this.#refused.map((f) => f.file))].sort()
      const count = this.#refused.length
      // Unauthenticated readers get a bounded answer, however many findings the load had.
      const listed = count > MAX_LISTED_FINDINGS ? ` (the first ${MAX_LISTED_FINDINGS} of ${count} findings are listed)` : ''
      return {
        ready: false,
        reason: `the policy folder has errors: the new set was refused and the last good set keeps serving${listed}`,
        files: files.slice(0, MAX_LISTED_FINDINGS),
        findings: this.#refused.slice(0, MAX_LISTED_FINDINGS).map(formatFindingCode),
      }
    }
    if (!this.#current) return { ready: false, reason: 'no policy set loaded yet', files: [], findings: [] }
    return { ready: true, apps: this.#current.apps.size, loadedAt: this.#loadedAt }
  }

  /** The first load: a folder with errors is a PolicyLoadError, and nothing is served. */
  async start (): Promise<void> {
    const outcome = await this.reload('start')
    if (!outcome.applied) throw new PolicyLoadError(this.dir, outcome.findings)
  }

  /**
   * Loads the folder again. A call made while a load runs abandons it: the load starts over
   * and sees the newer files (at most MAX_ABANDONS times in a row, so a folder that never stops
   * changing still loads). Past that, calls share one further load after it, so the last load
   * always sees the final files.
   */
  reload (cause: string): Promise<ReloadOutcome> {
    if (this.#queued) return this.#queued
    if (this.#loading && this.#abandons < MAX_ABANDONS && this.#loader.restart()) {
      this.#abandons++
      this.#log.info({ cause, dir: this.dir, abandoned: this.#abandons }, 'policy load abandoned for a newer change; loading again')
      return this.#last
    }
    const next = this.#last.then(() => {
      this.#queued = null
      return this.#loadOnce(cause)
    })
    this.#queued = next
    this.#last = next
    return next
  }

  /**
   * Reloads after any change in the folder, once it has been quiet for `debounceMs`.
   * After each load the watch is renewed if the path now names another folder (a
   * symlink re-pointed, the folder re-created) or the watch broke.
   */
  watch (debounceMs: number): void {
    this.#watchMs = debounceMs
    this.#renewWatch()
  }

  /** Stops the watch and its timers. */
  close (): void {
    this.#closed = true
    this.#loader.close()
    if (this.#debounce) clearTimeout(this.#debounce)
    this.#debounce = null
    this.#closeWatcher()
  }

  #schedule (debounceMs: number): void {
    if (this.#debounce) clearTimeout(this.#debounce)
    this.#debounce = setTimeout(() => {
      this.#debounce = null
      void this.reload('file change')
    }, debounceMs)
  }

  #renewWatch (): void {
    const debounceMs = this.#watchMs
    if (this.#closed || debounceMs === null) return
    try {
      const ino = statSync(this.dir).ino
      if (this.#watcher && ino === this.#watchedIno) return
      this.#closeWatcher()
      const watcher = watch(this.dir, () => this.#schedule(debounceMs))
      watcher.on('error', (err) => {
        this.#log.error({ err, dir: this.dir }, 'policy folder watch stopped; reload with SIGHUP')
        this.#closeWatcher()
      })
      this.#watcher = watcher
      this.#watchedIno = ino
    } catch (err) {
      this.#log.error({ err, dir: this.dir }, 'cannot watch the policy folder; reload with SIGHUP')
    }
  }

  #closeWatcher (): void {
    this.#watcher?.close()
    this.#watcher = null
  }

  async #loadOnce (cause: string): Promise<ReloadOutcome> {
    if (this.#closed) return { applied: false, findings: [] }
    this.#loading = true
    this.#abandons = 0
    const { policies, findings } = await this.#read()
    this.#loading = false
    if (this.#closed) return { applied: false, findings }
    if (policies) {
      this.#current = policies
      this.#loadedAt = new Date()
      this.#refused = null
      for (const f of findings) this.#log.warn({ cause }, formatFinding(f, this.dir))
      this.#log.info({ cause, dir: this.dir, apps: policies.apps.size }, 'policy set loaded')
    } else {
      this.#refused = findings.filter((f) => f.severity === 'error')
      for (const f of findings) this.#log.error({ cause }, formatFinding(f, this.dir))
      this.#log.error(
        { cause, dir: this.dir, errors: this.#refused.length },
        this.#current ? 'policy set refused; the last good set keeps serving' : 'policy set refused'
      )
    }
    this.#renewWatch()
    const outcome = { applied: policies !== null, findings }
    this.#onLoad?.(outcome, this.#current)
    return outcome
  }

  // Every load runs in a worker thread, the first one too: a large folder must not block the
  // requests served meanwhile (nor the process's start-up, health probes included), and a
  // load that runs too long can be stopped. The loader reports problems as findings; should it
  // throw all the same, the service keeps its last good set rather than stop reloading.
  async #read (): Promise<LoadResult> {
    try {
      return await this.#loader.load()
    } catch (err) {
      const message = `the policy loader failed: ${(err as Error)?.message ?? String(err)}`
      return { policies: null, findings: [{ file: '.', line: 1, col: 1, severity: 'error', code: 'load-failed', message }] }
    }
  }
}
