// What a fetched token's lifetime says about the server, logged once: a
// lifetime cut to maxLifetime, an out-of-bounds JWT exp, and a lifetime that
// shrinks from fetch to fetch (a server that hands back the token it issued).
import type { Entry } from './entry.js'
import type { FetchedToken } from './fetch-token.js'
import type { TokenLogger } from './logger.js'

export class LifetimeWatch {
  readonly #log: TokenLogger
  readonly #maxLifetime: number
  /** Warnings already given (once per cache: a misbehaving server would repeat them every fetch). */
  readonly #warned = new Set<string>()

  constructor (log: TokenLogger, maxLifetime: number) {
    this.#log = log
    this.#maxLifetime = maxLifetime
  }

  /** Logs what is odd about this token's lifetime; true when it shrank since the entry's last fetch. */
  observe (entry: Entry, fetched: FetchedToken, logFields: Record<string, unknown>): boolean {
    const maxLifetime = this.#maxLifetime
    if (fetched.clamped && this.#first('clamped')) {
      this.#log.warn({ ...logFields, maxLifetime }, 'the token lifetime is longer than maxLifetime; it is cached for maxLifetime only')
    }
    const ignored = fetched.expIgnored
    if (ignored !== undefined && this.#first(ignored.reason)) {
      this.#log.warn({ ...logFields, exp: ignored.exp, maxLifetime }, `the access token's exp is ${ignored.reason} (in milliseconds?); it is ignored`)
    }
    const { token } = fetched
    const lifetime = (fetched.usableUntil - fetched.sentAt) / 1000
    // Compared with the previous fetch (1.5 s of slack: JWT exp is rounded to the second).
    const shrank = entry.lifetime !== undefined && (token.accessToken === entry.lastAccessToken || lifetime < entry.lifetime - 1.5)
    if (shrank && !entry.shrinkWarned) {
      this.#log.warn({ ...logFields, previousLifetime: entry.lifetime, lifetime },
        'token lifetime shrinks from fetch to fetch (the server reuses tokens?); refreshing only when the token runs out')
    }
    entry.shrinkWarned = shrank
    entry.lifetime = lifetime
    entry.lastAccessToken = token.accessToken
    return shrank
  }

  #first (warning: string): boolean {
    if (this.#warned.has(warning)) return false
    this.#warned.add(warning)
    return true
  }
}
