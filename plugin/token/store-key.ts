// What binds a shared-store entry to its credential (docs/redis.md, "Key layout"): the v3 key
// name and the key authenticating the value both come from ONE scrypt (RFC 7914) output of the
// client secret, never a bare hash of it, so replicas with another secret neither find nor
// accept each other's tokens, a value planted by someone who can write to the store but lacks
// the secret is never served, and a reader of the store pays a scrypt per secret guessed.
import { createHash, createHmac, scrypt, timingSafeEqual } from 'node:crypto'
import type { StoredToken } from './shared-store.js'

/** Fixed and documented (docs/redis.md): a change is a new key format. */
export const STORE_KEY_SCRYPT = {
  salt: 'fastify-app-token shared store v3',
  /** N = 2^15, r = 8, p = 1: 32 MiB and tens of ms per secret, once per secret and process. */
  N: 32768,
  r: 8,
  p: 1,
  /** Above the 32 MiB the cost needs (128 · N · r), so Node's 32 MiB default does not refuse it. */
  maxmem: 64 * 1024 * 1024,
  /** 32 bytes of key-name fingerprint, then 32 bytes of MAC key. */
  length: 64
} as const

export interface CredentialKeys {
  /** Hex; goes into the key name. */
  fingerprint: string
  /** HMAC-SHA256 key of the values. */
  macKey: Buffer
}

/** Secrets derived lately, shared by every cache of the process (several clients, scope sets or registrations). */
const derived = new Map<string, Promise<CredentialKeys>>()
/** Enough for the clients of one process; the oldest is forgotten first. */
const MAX_DERIVED = 256

/**
 * Both keys of one secret, from one scrypt output; asynchronous (scrypt runs in libuv's pool) and
 * computed once per secret in the process, however many caches use it. A failed derivation is not kept.
 */
export function credentialKeys (secret: string): Promise<CredentialKeys> {
  const known = derived.get(secret)
  if (known !== undefined) return known
  const { salt, length, N, r, p, maxmem } = STORE_KEY_SCRYPT
  const keys = new Promise<CredentialKeys>((resolve, reject) => {
    scrypt(secret, salt, length, { N, r, p, maxmem }, (err, out) => {
      if (err !== null) return reject(err)
      resolve({ fingerprint: out.subarray(0, 32).toString('hex'), macKey: out.subarray(32) })
    })
  })
  if (derived.size >= MAX_DERIVED) derived.delete(derived.keys().next().value as string)
  derived.set(secret, keys)
  keys.catch(() => { if (derived.get(secret) === keys) derived.delete(secret) })
  return keys
}

/**
 * An entry's identity without the credential (what stats() shows as its key): sha256 of the
 * JSON of its parts, so no two identities run together. `audience` and `dpopJkt` (the JWK
 * thumbprint of a DPoP key, RFC 9449 §6.1) are '' when absent.
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
