// Holding one entry's token requests off after a 429 (docs/providers.md, "Auth0 quotas"): in
// memory the failure memory does it (failure-memory.ts: get() answers with the error until
// Retry-After); with a shared store that has the optional hold-off methods, the hold-off is stored
// too, before the refresh lock is let go, so the fleet makes one request, not one per replica.
// Also keeps the last quota an answer reported, for stats() and the quota gauge.
import type { Entry } from './entry.js'
import { HttpError, type AppTokenError } from './errors.js'
import type { SharedLayer } from './shared-layer.js'
import type { Quota } from './quota.js'

/** No stored hold-off is honoured further out than this (a day: Auth0's longest quota bucket). */
const MAX_HOLD_OFF = 86_400_000

export class HoldOff {
  readonly #layer: SharedLayer | undefined
  /** Errors this module made from a stored hold-off: never stored again. */
  readonly #ours = new WeakSet<AppTokenError>()

  constructor (layer: SharedLayer | undefined) {
    this.#layer = layer
  }

  /** Rejects, sending nothing, while another replica's hold-off of this entry lasts. */
  async check (entry: Entry): Promise<void> {
    if (this.#layer === undefined) return
    const until = await this.#layer.heldOffUntil(holdOffKey(entry))
    const now = Date.now()
    if (until === undefined || until <= now || until > now + MAX_HOLD_OFF) return
    const err = new HttpError(`token requests for this client are held off until ${new Date(until).toISOString()}: the token endpoint answered 429 to another replica (a used-up token quota)`, {
      status: 429,
      transient: true,
      retryAfter: Math.ceil((until - now) / 1000),
      hint: 'One replica asked and was told to wait; the others wait with it rather than each spending a request. The token is requested again after the hold-off.'
    })
    this.#ours.add(err)
    throw err
  }

  /** The fetch, with the quota its answer reported kept; a 429 with a wait is stored for the fleet before the error goes on. */
  async watch<T extends { quota?: Quota }> (entry: Entry, fetching: Promise<T>): Promise<T> {
    try {
      const fetched = await fetching
      if (fetched.quota !== undefined) entry.quota = fetched.quota
      return fetched
    } catch (err) {
      const failure = err as AppTokenError
      if (failure.quota !== undefined) entry.quota = failure.quota
      const wait = failure.retryAfter
      if (this.#layer !== undefined && failure.status === 429 && wait !== undefined && wait > 0 && !this.#ours.has(failure)) {
        await this.#layer.holdOff(holdOffKey(entry), Math.min(wait * 1000, MAX_HOLD_OFF))
      }
      throw err
    }
  }
}

/** The entry's identity (no secret in it): every replica of this client computes the same. */
function holdOffKey (entry: Entry): string {
  return entry.storeKey
}
