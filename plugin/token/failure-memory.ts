// What a failed token request leaves behind (docs/token-core.md, "Failures"):
// get() answers with a permanent error for a growing while, with a transient
// one until the retry pause (or Retry-After) is over, so a hot path cannot turn
// an outage into a flood; a failed background refresh is tried again before the
// token runs out.
import type { AppTokenError } from './errors.js'
import type { Entry } from './entry.js'

const PENALTY_FIRST = 1000
const PENALTY_MAX = 30_000

export function rememberFailure (entry: Entry, err: AppTokenError, now: number, retryPause: number): void {
  if (!err.transient) {
    entry.penalty = Math.min(PENALTY_MAX, entry.penalty === 0 ? PENALTY_FIRST : entry.penalty * 2)
    entry.failure = { error: err, until: now + entry.penalty }
  } else {
    entry.failure = { error: err, until: now + (err.retryAfter !== undefined ? err.retryAfter * 1000 : retryPause) }
  }
}

export function forgetFailures (entry: Entry): void {
  entry.failure = undefined
  entry.penalty = 0
  entry.refreshFailures = 0
}

/** When to try a failed refresh again: sooner for short tokens, never in a tight loop, not before the failure memory ends. */
export function nextRefreshAttempt (entry: Entry, now: number): number {
  entry.refreshFailures++
  const remaining = entry.usableUntil - now
  const delay = Math.max(Math.min(remaining / 2, PENALTY_FIRST * 2 ** (entry.refreshFailures - 1), PENALTY_MAX), 100)
  return Math.max(now + delay, entry.failure?.until ?? 0)
}
