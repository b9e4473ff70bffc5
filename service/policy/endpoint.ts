// URL rules for token endpoints and resource indicators.

/** Loopback hosts, where plain http: cannot leak a secret off the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase()
  if (h === 'localhost' || h === '[::1]' || h === '::1') return true
  // WHATWG URL already normalises IPv4 shorthands (127.1 → 127.0.0.1).
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

export type UrlProblem = { code: 'invalid-url' | 'insecure-endpoint'; message: string }

function parse(value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}

/** RFC 6749 §3.2: an absolute https URL without fragment; http only on loopback. */
export function tokenEndpointProblem(value: string): UrlProblem | null {
  const url = parse(value)
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return { code: 'invalid-url', message: 'tokenEndpoint must be an absolute https: URL' }
  }
  if (url.hash !== '' || value.includes('#')) {
    return { code: 'invalid-url', message: 'tokenEndpoint must not have a #fragment (RFC 6749 §3.2)' }
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return {
      code: 'insecure-endpoint',
      message: `tokenEndpoint uses http: on ${url.hostname}: the client secret would cross the network in clear; use https: (http: is allowed only for localhost, 127.0.0.0/8 and ::1)`,
    }
  }
  return null
}

/** RFC 8707 §2: the resource is an absolute URI without a fragment. */
export function resourceProblem(value: string): UrlProblem | null {
  const url = parse(value)
  if (url === null) return { code: 'invalid-url', message: 'resource must be an absolute URI (RFC 8707 §2)' }
  if (value.includes('#')) {
    return { code: 'invalid-url', message: 'resource must not have a #fragment (RFC 8707 §2)' }
  }
  return null
}
