// Sealing of token values at rest in a shared store: AES-256-GCM with a random
// 12-byte IV (NIST SP 800-38D §8.2.2) and the value's store key as associated
// data, so a value copied to another key does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { InvalidOptionError } from '../token/errors.js'

const VERSION = 's1:'
const IV_BYTES = 12
const TAG_BYTES = 16

/** A 32-byte key from a Buffer, a 64-digit hex string or a base64 / base64url string. */
export function parseSealKey (input: string | Uint8Array): Buffer {
  let key: Buffer | undefined
  if (typeof input !== 'string') {
    key = Buffer.from(input)
  } else {
    const text = input.trim()
    if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex')
    else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) key = Buffer.from(text, 'base64')
  }
  if (key?.length !== 32) {
    // Never echo the input: it is a secret, perhaps a mistyped one.
    throw new InvalidOptionError('encryptionKey must be 32 bytes: a Buffer, 64 hex digits or 44 base64 characters (e.g. `openssl rand -base64 32`)')
  }
  return key
}

/** `s1:` + base64(iv ‖ tag ‖ ciphertext). */
export function seal (key: Buffer, plaintext: string, associatedData: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(associatedData, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
}

/** The plaintext, or undefined for anything that is not a value sealed with this key for this key name. */
export function unseal (key: Buffer, sealed: string, associatedData: string): string | undefined {
  if (!sealed.startsWith(VERSION)) return undefined
  const raw = Buffer.from(sealed.slice(VERSION.length), 'base64')
  if (raw.length < IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES))
    decipher.setAAD(Buffer.from(associatedData, 'utf8'))
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    const body = decipher.update(raw.subarray(IV_BYTES + TAG_BYTES))
    return Buffer.concat([body, decipher.final()]).toString('utf8')
  } catch {
    // Wrong key, tampered value or wrong associated data: the tag does not verify.
    return undefined
  }
}
