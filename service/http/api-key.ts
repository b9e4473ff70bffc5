// API keys for the preflight API (docs/preflight-api.md): `Authorization: Bearer <key>`.
// Both sides are hashed first so the comparison is constant-time whatever the
// lengths (timingSafeEqual needs equal lengths), and every key is compared.
import { createHash, timingSafeEqual } from 'node:crypto'
import createError from '@fastify/error'
import type { FastifyReply, FastifyRequest } from 'fastify'

const UnauthorizedError = createError(
  'FST_PREFLIGHT_UNAUTHORIZED',
  'A valid API key is required: Authorization: Bearer <key>',
  401
)

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest()

/** Shortest accepted key: a guessable key is no key. */
export const MIN_API_KEY_LENGTH = 16

/**
 * Why a key cannot serve, or null. Node reads header bytes as latin1, so a key with a character
 * outside printable ASCII could never match what a client sends; a short key is guessable.
 * The reason never holds the key.
 */
export function apiKeyProblem (key: string): string | null {
  if (!/^[\x21-\x7e]*$/.test(key)) return 'a key holds a character other than printable ASCII (no spaces): it could never match a request header'
  if (key.length < MIN_API_KEY_LENGTH) return `a key is shorter than ${MIN_API_KEY_LENGTH} characters: use long random keys (e.g. openssl rand -base64 24)`
  return null
}

/** Splits PREFLIGHT_API_KEYS-style text: comma-separated, blanks ignored. */
export function parseApiKeys (text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0)
}

/** Returns whether the Authorization header carries one of the keys. */
function apiKeyMatcher (keys: readonly string[]): (authorization: string | undefined) => boolean {
  const digests = keys.map(sha256)
  return (authorization) => {
    // RFC 7235 §2.1: the scheme is case-insensitive.
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '')
    if (!match?.[1]) return false
    const presented = sha256(match[1])
    let found = false
    for (const digest of digests) found = timingSafeEqual(presented, digest) || found
    return found
  }
}

/**
 * onRequest hook refusing requests without a valid key (added only where keys are needed).
 * Throws at once for a key that could never work, naming the option, never the key.
 */
export function requireApiKey (keys: readonly string[]) {
  for (const key of keys) {
    const problem = typeof key === 'string' ? apiKeyProblem(key) : 'a key is not a string'
    if (problem !== null) throw new TypeError(`apiKeys: ${problem}`)
  }
  const matches = apiKeyMatcher(keys)
  return async function checkApiKey (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (matches(request.headers.authorization)) return
    // RFC 6750 §3: tell the client which scheme is expected.
    reply.header('www-authenticate', 'Bearer realm="scope-policy"')
    throw new UnauthorizedError()
  }
}
