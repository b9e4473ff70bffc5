// The token endpoint URL: `https:` required except on loopback (docs/token-core.md),
// and never credentials in the URL (they would end up in logs).
import { isLoopbackHost } from '../../service/policy/endpoint.js'
import { InsecureEndpointError, InvalidOptionError } from './errors.js'

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
