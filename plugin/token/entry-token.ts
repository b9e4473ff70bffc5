// Putting a fetched token into a cache entry and taking it out again (docs/token-core.md): the
// state the hot path of TokenCache.get() reads.
import type { AppToken } from './app-token.js'
import type { Entry } from './entry.js'
import { MAX_TIMER } from './options.js'

/** The entry serves `token` until `usableUntil`; the refresh is scheduled by the cache. */
export function holdToken (entry: Entry, token: AppToken, usableUntil: number): void {
  entry.token = token
  entry.promise = Promise.resolve(token)
  entry.usableUntil = usableUntil
  // The last quarter of the usable time is checked against the clock on every hit; before it, only a
  // single event-loop turn longer than that quarter could hand the token out past usableUntil.
  clearTimeout(entry.freshTimer)
  entry.fresh = true
  entry.freshTimer = setTimeout(() => { entry.fresh = false }, Math.min(MAX_TIMER, 0.75 * (usableUntil - Date.now())))
  entry.freshTimer.unref()
  entry.hitsAtInstall = entry.hits
  entry.rejected = undefined
}

/** The entry serves nothing and refreshes nothing; `invalidated`: its token was refused, never to be taken back from the store. */
export function emptyEntry (entry: Entry, invalidated: boolean): void {
  clearTimeout(entry.timer)
  clearTimeout(entry.freshTimer)
  entry.timer = undefined
  if (invalidated && entry.token !== undefined) entry.rejected = entry.token.accessToken
  entry.token = undefined
  entry.promise = undefined
  entry.usableUntil = 0
  entry.fresh = false
}
