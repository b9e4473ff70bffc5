// Sealing of token values at rest in a shared store: AES-256-GCM with a random
// 12-byte IV (NIST SP 800-38D §8.2.2) and the value's store key as associated
// data, so a value copied to another key does not open. A list of keys lets a
// fleet rotate (docs/redis.md, "Rotating the encryption key"): the first seals,
// every one opens.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { InvalidOptionError } from '../token/errors.js'

const VERSION = 's1:'
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_BYTES = 32
/** 32 random bytes have ~30 distinct values; fewer than this is a made-up key, not a random one. */
const MIN_DISTINCT_BYTES = 16
/** scrypt (RFC 7914) for encryptionPassphrase: fixed, documented salt and cost, so every replica derives the same key. */
export const PASSPHRASE_SALT = 'fastify-app-token/redis encryptionPassphrase v1'
export const PASSPHRASE_COST = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }
const MIN_PASSPHRASE_LENGTH = 16

export type SealKeyInput = string | Uint8Array

const KEY_HELP = 'encryptionKey must be 32 random bytes: 64 hex digits or base64 (e.g. `openssl rand -base64 32`), a Buffer, or a list of them; for a passphrase use encryptionPassphrase'

/** One key, or a list (the first seals), each 32 random bytes as a Buffer, 64 hex digits or padded base64 / base64url. */
export function parseSealKeys (input: SealKeyInput | readonly SealKeyInput[]): Buffer[] {
  const list = Array.isArray(input) ? input as readonly SealKeyInput[] : [input as SealKeyInput]
  if (list.length === 0) throw new InvalidOptionError(`${KEY_HELP} (got an empty list)`)
  return list.map((item, i) => parseSealKey(item, list.length > 1 ? ` (key ${i + 1} of ${list.length})` : ''))
}

export function parseSealKey (input: SealKeyInput, where = ''): Buffer {
  let key: Buffer | undefined
  if (input instanceof Uint8Array) {
    key = Buffer.from(input)
  } else if (typeof input === 'string') {
    const text = input.trim()
    if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex')
    // Padded and canonical only: 43 typed characters would otherwise decode to 32 bytes too.
    else if (/^(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=$/.test(text) && canonicalBase64(text)) key = Buffer.from(text, 'base64')
  }
  // Never echo the input: it is a secret, perhaps a mistyped one.
  if (key?.length !== KEY_BYTES) throw new InvalidOptionError(KEY_HELP + where)
  if (!looksRandom(key)) {
    throw new InvalidOptionError(`encryptionKey${where} does not look like random bytes (a passphrase or a made-up value?): ` +
      'generate one with `openssl rand -base64 32`, or pass the text as encryptionPassphrase')
  }
  return key
}

/** The key of a passphrase: scrypt with the fixed salt and cost above (slow on purpose, once per store). */
export function passphraseKey (passphrase: unknown): Buffer {
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new InvalidOptionError(`encryptionPassphrase must be a string of at least ${MIN_PASSPHRASE_LENGTH} characters`)
  }
  return scryptSync(passphrase.normalize('NFC'), PASSPHRASE_SALT, KEY_BYTES, PASSPHRASE_COST)
}

/** Its bytes encode back to the very same text (the unused low bits are zero). */
function canonicalBase64 (text: string): boolean {
  const bytes = Buffer.from(text, 'base64')
  return bytes.toString('base64') === text || bytes.toString('base64url') + '=' === text
}

/**
 * Random 32 bytes are all printable ASCII with odds of (95/256)^32 ≈ 2e-14, and have
 * fewer than 16 distinct values with odds far smaller: either means text typed as a key.
 */
function looksRandom (key: Buffer): boolean {
  const printable = key.every((byte) => byte >= 0x20 && byte <= 0x7e)
  return !printable && new Set(key).size >= MIN_DISTINCT_BYTES
}

/** `s1:` + base64(iv ‖ tag ‖ ciphertext). */
export function seal (key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(associatedData, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
}

/** The plaintext, or undefined for anything that is not a value sealed with one of these keys for this key name. */
export function unseal (keys: Buffer | readonly Buffer[], sealed: string, associatedData: string): string | undefined {
  if (!sealed.startsWith(VERSION)) return undefined
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64')
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined
  for (const key of Buffer.isBuffer(keys) ? [keys] : keys) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(associatedData, 'utf8'))
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      const body = decipher.update(raw.subarray(IV_BYTES + TAG_BYTES))
      return Buffer.concat([body, decipher.final()]).toString('utf8')
    } catch {
      // Wrong key, tampered value or wrong associated data: the tag does not verify.
    }
  }
  return undefined
}
