// What binds a shared-store entry to its credential (docs/redis.md, "Key format"):
// the v2 key name and the key authenticating the value are both derived from the
// client secret with HKDF (RFC 5869), never a bare hash of it, so replicas with
// another secret neither find nor accept each other's tokens, and a value planted
// by someone who can write to the store but lacks the secret is never served.
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import type { StoredToken } from './shared-store.js'

const SALT = 'fastify-app-token shared store v2'

export interface CredentialKeys {
  /** Hex; goes into the key name. */
  fingerprint: string
  /** HMAC-SHA256 key of the values. */
  macKey: Buffer
}

/** Both keys of one secret (HKDF-SHA256, one info string per use). */
export function credentialKeys (secret: string): CredentialKeys {
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, SALT, info, 32))
  return { fingerprint: derive('key name').toString('hex'), macKey: derive('value mac') }
}

/**
 * An entry's identity without the credential (what stats() shows as its key): sha256 of the
 * JSON of its parts, so no two identities run together. `audience` is '' when absent; so is
 * `dpopJkt`, the DPoP key's RFC 7638 thumbprint (a bound token is only of use with its key).
 */
export function storeIdentity (parts: { endpoint: string, clientId: string, authMethod: string, scopes: string, resource?: string, audience?: string, dpopJkt?: string }): string {
  const json = JSON.stringify([parts.endpoint, parts.clientId, parts.authMethod, parts.scopes, parts.resource ?? '', parts.audience ?? '', parts.dpopJkt ?? ''])
  return createHash('sha256').update(json).digest('hex')
}

/** The name the store files the entry under: sha256 of the identity and the credential fingerprint. */
export function storeKeyName (identity: string, fingerprint: string): string {
  return createHash('sha256').update(identity).update('\n').update(fingerprint).digest('hex')
}

/** HMAC-SHA256 (base64url) of the value's fields and the key name it is stored under. */
export function valueMac (macKey: Buffer, keyName: string, value: StoredToken): string {
  const fields = [keyName, value.accessToken, value.tokenType, value.scopes, value.usableUntil, value.expiresAt, value.refreshAt]
  return createHmac('sha256', macKey).update(JSON.stringify(fields)).digest('base64url')
}

export function macMatches (macKey: Buffer, keyName: string, value: StoredToken): boolean {
  if (typeof value.mac !== 'string') return false
  const expected = Buffer.from(valueMac(macKey, keyName, value))
  const given = Buffer.from(value.mac)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
