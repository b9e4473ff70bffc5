// The preflight service's Prometheus series (docs/metrics.md). Each app instance has its own
// Registry, so two apps in one process never share or clash, and nothing lands on
// prom-client's global registry (no default process metrics either).
import type { Counter, Gauge, Registry } from 'prom-client'
import { servicePeers } from './peers.js'
import type { CheckResult, PolicySet } from '../policy/types.js'
import type { ReloadOutcome } from './policy-store.js'
import { violationCodes } from './schemas.js'

/** The client_id of a decision whose clientId is in no policy file: raw input never becomes a label. */
export const UNKNOWN_CLIENT = '(unknown)'

type DecisionLabels = { outcome: string; code: string; client_id?: string }

export class PreflightMetrics {
  readonly registry: Registry
  readonly #clientLabels: boolean
  // Decisions are counted in a plain Map and handed to prom-client at scrape time: the
  // preflight route pays one Map update, not prom-client's label checks and hashing.
  readonly #decisions = new Map<string, { labels: DecisionLabels; count: number }>()
  readonly #reloads: Counter<'result'>
  readonly #apps: Gauge
  readonly #lastReload: Gauge

  /** `clientLabels` adds a client_id label to the decisions (METRICS_CLIENT_LABELS). */
  constructor ({ clientLabels = false }: { clientLabels?: boolean } = {}) {
    const { Counter, Gauge, Registry } = servicePeers().promClient
    this.registry = new Registry()
    this.#clientLabels = clientLabels
    const registers = [this.registry]
    const decisions = this.#decisions
    // The counter registers itself; its collect() reads the plain Map at scrape time.
    // eslint-disable-next-line no-new
    new Counter({
      name: 'scope_policy_decisions_total',
      help: 'Preflight decisions by outcome; code is the first violation of a denial, "none" when allowed',
      labelNames: clientLabels ? ['outcome', 'code', 'client_id'] : ['outcome', 'code'],
      registers,
      collect () {
        this.reset()
        for (const { labels, count } of decisions.values()) this.inc(labels, count)
      },
    })
    this.#reloads = new Counter({
      name: 'scope_policy_reloads_total',
      help: 'Loads of the policy folder, the first at start included: ok (swapped in) or refused (the last good set keeps serving)',
      labelNames: ['result'],
      registers,
    })
    this.#apps = new Gauge({ name: 'scope_policy_apps', help: 'Apps in the policy set in force', registers })
    this.#lastReload = new Gauge({
      name: 'scope_policy_last_reload_timestamp_seconds',
      help: 'Unix time of the last successful load of the policy folder',
      registers,
    })
    // Every series exists from the start, so rate() and increase() see the first event.
    this.#reloads.inc({ result: 'ok' }, 0)
    this.#reloads.inc({ result: 'refused' }, 0)
    if (clientLabels) return
    this.#add('allowed', 'none', undefined, 0)
    for (const code of Object.keys(violationCodes)) this.#add('denied', code, undefined, 0)
  }

  /**
   * One increment per decision, so the sum over codes is the number of decisions. The code
   * of a denial is its first violation (a closed set, so the labels stay bounded); the access
   * log lists them all. A clientId becomes a label only when the policy set knows it.
   */
  countDecision (clientId: string, { allowed, app, violations }: CheckResult): void {
    const client = this.#clientLabels ? (app === null ? UNKNOWN_CLIENT : clientId) : undefined
    this.#add(allowed ? 'allowed' : 'denied', allowed ? 'none' : (violations[0]?.code ?? 'none'), client, 1)
  }

  #add (outcome: string, code: string, client: string | undefined, n: number): void {
    const key = client === undefined ? `${outcome} ${code}` : `${outcome} ${code} ${client}`
    const entry = this.#decisions.get(key)
    if (entry) entry.count += n
    else this.#decisions.set(key, { labels: client === undefined ? { outcome, code } : { outcome, code, client_id: client }, count: n })
  }

  /** For PolicyStore's onLoad: `current` is the set in force after the load. */
  countLoad (outcome: ReloadOutcome, current: PolicySet | null): void {
    this.#reloads.inc({ result: outcome.applied ? 'ok' : 'refused' })
    if (outcome.applied) this.#lastReload.set(Date.now() / 1000)
    if (current) this.#apps.set(current.apps.size)
  }

  /** The Prometheus text exposition and its content type. */
  async exposition (): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }
}
