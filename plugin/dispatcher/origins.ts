// The API origins that receive the token (docs/plugin.md, "Calling the API"): https:, or
// http: on a loopback host only, the token endpoint's rule (a token in clear text is a
// credential on the wire, RFC 6750 §5.3).
import { isLoopbackHost } from '../../service/policy/rules/token-endpoint.js'
import { InvalidOptionError } from '../token/errors.js'

/** `scheme://host[:port]`, nothing more (an optional trailing slash is allowed). */
const ORIGIN_SHAPE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]+\/?$/i

/** The origins normalised as URL.origin (lower case, default port dropped), without repeats. */
export function parseOrigins (value: unknown, label: string): readonly string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionError(`${label} must be a non-empty array of origins, e.g. ['https://api.example.com']`, { option: 'origins' })
  }
  return Object.freeze([...new Set(value.map((origin: unknown) => parseOrigin(origin, label)))])
}

function parseOrigin (value: unknown, label: string): string {
  const fail = (message: string): never => { throw new InvalidOptionError(`${label}: ${message}`, { option: 'origins' }) }
  if (typeof value !== 'string') return fail(`each origin must be a string like 'https://api.example.com' (got ${typeof value})`)
  let url: URL | undefined
  try { url = new URL(value) } catch {}
  // Never echo more than the origin: a path or query may hold a secret.
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) return fail('each origin must be an absolute https: URL like \'https://api.example.com\'')
  if (url.username !== '' || url.password !== '') return fail('an origin must not carry credentials (user:password@)')
  if (!ORIGIN_SHAPE.test(value)) return fail(`${url.origin}… is not an origin: write scheme://host[:port] only, without path, query or fragment`)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return fail(`refusing http: origin ${url.origin}: the token would travel in clear text. Use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and ::1)`)
  }
  return url.origin
}

/** The origin of a dispatch (a string or URL, any spelling) as parseOrigins writes it; undefined when it is none. */
export function originOf (origin: unknown): string | undefined {
  if (origin instanceof URL) return origin.origin
  if (typeof origin !== 'string') return undefined
  try { return new URL(origin).origin } catch { return undefined }
}
