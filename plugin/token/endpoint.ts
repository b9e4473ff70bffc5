// The token endpoint URL: `https:` required except on loopback (DESIGN §5),
// and never credentials in the URL (they would end up in logs).
import { isIP } from 'node:net'
import { InsecureEndpointError, InvalidOptionError } from './errors.js'

/** localhost, 127.0.0.0/8 and ::1. */
export function isLoopbackHost (hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

export function parseTokenEndpoint (endpoint: string | URL): URL {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new InvalidOptionError('tokenEndpoint is not an absolute URL', { hint: 'Give the full URL, e.g. https://api.example.com/oauth/token.' })
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidOptionError('tokenEndpoint must not carry credentials', { hint: 'Pass clientId and clientSecret as options instead.' })
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return url
    throw new InsecureEndpointError(`refusing http: token endpoint on ${url.host}: the client secret would travel in clear text`, {
      hint: 'Use https:. Plain http: is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1).'
    })
  }
  throw new InvalidOptionError(`tokenEndpoint must be https: (got ${url.protocol})`)
}
