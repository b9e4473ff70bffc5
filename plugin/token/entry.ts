// One cache entry per (scope set, resource, audience), and the table that holds at most
// maxEntries of them: least recently inserted or refreshed first out, a hit
// reorders nothing (a Set keeps insertion order; a refresh re-inserts).
import type { AppToken } from './app-token.js'
import type { AppTokenError } from './errors.js'
import type { Quota } from './quota.js'

export interface Entry {
  /** The scope key and resource ('' for none) it is filed under. */
  readonly key: string
  readonly resourceKey: string
  readonly scopes: string[]
  readonly resource: string | undefined
  /** The `audience` form parameter (docs/providers.md); the shared-store key reads it too. */
  readonly audience: string | undefined
  /** sha256 of the entry's identity, no secret; the shared store's key adds the credential fingerprint (store-key.ts). */
  readonly storeKey: string
  token: AppToken | undefined
  /** Settled promise of `token`: what the hot path hands out. */
  promise: Promise<AppToken> | undefined
  usableUntil: number
  /** Far from usableUntil: a hit reads no clock (Date.now() costs as much as the rest of a hit). */
  fresh: boolean
  freshTimer: NodeJS.Timeout | undefined
  refreshAt: number
  /** Usable seconds and token of the last fetch, to notice a server reusing its token. */
  lifetime: number | undefined
  lastAccessToken: string | undefined
  /** get() calls answered from this entry's token (stats().hits); more than at the last install: worth refreshing. */
  hits: number
  hitsAtInstall: number
  inflight: Promise<AppToken> | undefined
  timer: NodeJS.Timeout | undefined
  /** A failure get() answers with, without a request, until `until`. */
  failure: { error: AppTokenError; until: number } | undefined
  /** Last permanent-failure memory in ms (grows 1 s → 30 s). */
  penalty: number
  refreshFailures: number
  shrinkWarned: boolean
  /** An invalidated token: never taken back from the shared store. */
  rejected: string | undefined
  /** When the last token too short-lived to cache arrived (0: the last one was cached): the next request waits out the floor. */
  uncachedAt: number
  /** Dropped to keep maxEntries: finishes its request for its callers, never cached again. */
  evicted: boolean
  /** The provider's token quota as the last answer reported it (hold-off.ts). */
  quota: Quota | undefined
}

export function newEntry (key: string, scopes: string[], resource: string | undefined, audience: string | undefined, storeKey: string): Entry {
  return {
    key,
    resourceKey: resource ?? '',
    scopes,
    resource,
    audience,
    storeKey,
    token: undefined,
    promise: undefined,
    usableUntil: 0,
    fresh: false,
    freshTimer: undefined,
    refreshAt: 0,
    lifetime: undefined,
    lastAccessToken: undefined,
    hits: 0,
    hitsAtInstall: 0,
    inflight: undefined,
    timer: undefined,
    failure: undefined,
    penalty: 0,
    refreshFailures: 0,
    shrinkWarned: false,
    rejected: undefined,
    uncachedAt: 0,
    evicted: false,
    quota: undefined
  }
}

export class EntryTable {
  /** audience ('' for none) → resource ('' for none) → scope key → entry. */
  readonly #byAudience = new Map<string, Map<string, Map<string, Entry>>>()
  /** Least recently inserted or refreshed first. */
  readonly #order = new Set<Entry>()
  readonly #max: number

  constructor (maxEntries: number) {
    this.#max = maxEntries
  }

  find (resource: string | undefined, audience: string | undefined, key: string): Entry | undefined {
    return this.#byAudience.get(audience ?? '')?.get(resource ?? '')?.get(key)
  }

  /** Files the entry; returns the one evicted to stay within maxEntries, if any. */
  add (entry: Entry): Entry | undefined {
    const audienceKey = entry.audience ?? ''
    let byResource = this.#byAudience.get(audienceKey)
    if (byResource === undefined) this.#byAudience.set(audienceKey, byResource = new Map())
    let byKey = byResource.get(entry.resourceKey)
    if (byKey === undefined) byResource.set(entry.resourceKey, byKey = new Map())
    byKey.set(entry.key, entry)
    this.#order.add(entry)
    if (this.#order.size <= this.#max) return undefined
    const oldest = this.#order.values().next().value as Entry
    this.#order.delete(oldest)
    const oldByResource = this.#byAudience.get(oldest.audience ?? '')
    const oldByKey = oldByResource?.get(oldest.resourceKey)
    oldByKey?.delete(oldest.key)
    if (oldByKey?.size === 0) oldByResource?.delete(oldest.resourceKey)
    if (oldByResource?.size === 0) this.#byAudience.delete(oldest.audience ?? '')
    oldest.evicted = true
    return oldest
  }

  /** A new token: the entry is now the newest. */
  refreshed (entry: Entry): void {
    if (entry.evicted) return
    this.#order.delete(entry)
    this.#order.add(entry)
  }

  values (): IterableIterator<Entry> {
    return this.#order.values()
  }
}
