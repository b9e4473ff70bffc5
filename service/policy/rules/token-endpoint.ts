// The token endpoint URL rule, one for the policy files and the plugin (docs/policy-files.md,
// docs/token-core.md). Pure: a string in, a problem or null out.
import { isSecretKey, secretKind } from '../secrets.js'

/** Loopback hosts, where plain http: cannot leak a secret off the machine. */
export function isLoopbackHost (hostname: string): boolean {
  const h = hostname.toLowerCase()
  if (h === 'localhost' || h === '[::1]' || h === '::1') return true
  // WHATWG URL already normalises IPv4 shorthands (127.1 → 127.0.0.1).
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

export interface TokenEndpointProblem {
  code: 'invalid-url' | 'insecure-endpoint' | 'secret'
  /** Says what to do; never holds the URL's query, fragment or credentials. */
  message: string
}

// Query parameter names that carry credentials in the wild (`subscription-key`, `sig`, `code`),
// beyond the secret-like key names of the policy files; folded as isSecretKey folds them.
const SECRET_PARAM = /(?:key|token|sig|signature|auth|authorization|assertion)$|^code$/

function secretParam (name: string, value: string): boolean {
  const folded = name.toLowerCase().replace(/[-_.\s]/g, '')
  return isSecretKey(name) || SECRET_PARAM.test(folded) || secretKind(name, false) !== null || secretKind(value, false) !== null
}

/**
 * RFC 6749 §3.2: an absolute URL; it may have a query (Azure AD B2C's `?p=<policy>`) and must
 * not have a fragment. Beyond the RFC: `https:` unless the host is loopback, no `user:pass@`,
 * and no query parameter that looks like a secret (URLs end up in logs and error messages).
 */
export function tokenEndpointProblem (value: string): TokenEndpointProblem | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { code: 'invalid-url', message: 'tokenEndpoint is not an absolute URL: write the full https: URL, e.g. https://auth.example.com/oauth/token' }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { code: 'invalid-url', message: 'tokenEndpoint must be an absolute https: URL' }
  }
  if (url.username !== '' || url.password !== '') {
    return {
      code: 'invalid-url',
      message: 'tokenEndpoint must not carry credentials (user:password@): give the client id and secret to the app, never in the URL',
    }
  }
  if (url.hash !== '' || value.includes('#')) {
    return { code: 'invalid-url', message: 'tokenEndpoint must not have a #fragment (RFC 6749 §3.2)' }
  }
  for (const [name, param] of url.searchParams) {
    if (secretParam(name, param)) {
      return {
        code: 'secret',
        message: 'tokenEndpoint has a query parameter that looks like a secret: secrets never belong in a URL (logs keep URLs); remove it and rotate it',
      }
    }
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return {
      code: 'insecure-endpoint',
      message: `refusing http: token endpoint on ${url.hostname}: the client secret would travel in clear text. Use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and ::1)`,
    }
  }
  return null
}
