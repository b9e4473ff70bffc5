// A provider's token quota, read from its answer's headers (docs/providers.md, "Auth0 quotas"):
// Auth0's `Auth0-Client-Quota-Limit` / `Auth0-Organization-Quota-Limit`
// (`b=per_hour;q=10;r=0;t=3540,b=per_day;…`: bucket, quota, remaining, seconds to reset; on
// successful and 429 answers alike) and `x-ratelimit-reset` (a UTC epoch in seconds).
import { parseRetryAfter } from './retry.js'

/** The quota bucket closest to running out, as the token endpoint last reported it. */
export interface Quota {
  /** The bucket's name, e.g. `per_hour`, `per_day`. */
  bucket: string
  /** Tokens the bucket allows. */
  limit: number
  /** Tokens left in it. */
  remaining: number
  /** When the bucket resets. */
  resetAt: Date
}

type Headers = Record<string, string | string[] | undefined>

const QUOTA_HEADERS = ['auth0-client-quota-limit', 'auth0-organization-quota-limit']

function header (headers: Headers, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : value
}

const count = (text: string | undefined): number | undefined =>
  text !== undefined && /^\d{1,12}$/.test(text.trim()) ? Number(text.trim()) : undefined

/** The bucket with the fewest tokens left (the first exhausted one), or undefined without quota headers. */
export function readQuota (headers: Headers, now: number = Date.now()): Quota | undefined {
  let low: Quota | undefined
  for (const name of QUOTA_HEADERS) {
    for (const part of (header(headers, name) ?? '').split(',')) {
      const fields = new Map(part.split(';').map((kv) => kv.trim().split('=', 2) as [string, string | undefined]))
      const bucket = fields.get('b')
      const limit = count(fields.get('q'))
      const remaining = count(fields.get('r'))
      const resetIn = count(fields.get('t'))
      if (bucket === undefined || !/^[\w.-]{1,40}$/.test(bucket) || limit === undefined || remaining === undefined || resetIn === undefined) continue
      if (low === undefined || remaining < low.remaining) low = { bucket, limit, remaining, resetAt: new Date(now + resetIn * 1000) }
    }
  }
  return low
}

/**
 * Seconds to wait after a 429 (RFC 6585 §4): Retry-After (RFC 9110 §10.2.3), else the reset of the
 * exhausted quota bucket, else `x-ratelimit-reset` − now; undefined when none says.
 */
export function waitAfter429 (headers: Headers, quota: Quota | undefined, now: number = Date.now()): number | undefined {
  const said = parseRetryAfter(headers['retry-after'], now)
  if (said !== undefined) return said
  if (quota !== undefined && quota.remaining === 0) return Math.max(0, Math.ceil((quota.resetAt.getTime() - now) / 1000))
  const reset = count(header(headers, 'x-ratelimit-reset'))
  return reset === undefined ? undefined : Math.max(0, Math.ceil(reset - now / 1000))
}
