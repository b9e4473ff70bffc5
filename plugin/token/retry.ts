// Backoff for transient failures: exponential with full jitter, and the
// server's Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP-date).

/** Full jitter: a random delay in [0, min(maxDelay, minDelay · 2^attempt)). */
export function backoffDelay (attempt: number, minDelay: number, maxDelay: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxDelay, minDelay * 2 ** attempt))
}

/** Retry-After in whole seconds (≥ 0), or undefined when absent or unreadable. */
export function parseRetryAfter (value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return undefined
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return undefined
  return Math.max(0, Math.ceil((at - now) / 1000))
}
