// A stored token as a Redis value (docs/redis.md): JSON, sealed with AES-256-GCM when the store
// has keys; without them, the token cache authenticates it with an HMAC.
import { InvalidOptionError } from '../../token/errors.js'
import { asStoredToken, type StoredToken } from '../../token/shared-store.js'
import { parseSealKeys, passphraseKey, seal, unseal, type SealKeyInput } from '../seal.js'

/** The options of `redisStore` that choose the sealing keys. */
export interface SealOptions {
  encryptionKey?: SealKeyInput | readonly SealKeyInput[] | undefined
  encryptionPassphrase?: string | undefined
}

/** The sealing keys (the first seals), from the options or env APP_TOKEN_STORE_KEY; undefined: values are not encrypted. */
export function sealKeysOf (options: SealOptions): Buffer[] | undefined {
  if (options.encryptionPassphrase !== undefined) {
    if (options.encryptionKey !== undefined) throw new InvalidOptionError('redisStore takes encryptionKey or encryptionPassphrase, not both')
    return [passphraseKey(options.encryptionPassphrase)]
  }
  if (options.encryptionKey !== undefined) return parseSealKeys(options.encryptionKey)
  const env = process.env.APP_TOKEN_STORE_KEY
  return env === undefined || env.trim() === '' ? undefined : parseSealKeys(env.split(',').map((key) => key.trim()))
}

export interface ValueCodec {
  encode(redisKey: string, value: StoredToken): string
  /** Anything but a well-formed token (sealed with our key for this key name, when sealing) is a miss. */
  decode(redisKey: string, raw: string | null): StoredToken | undefined
  /**
   * True for a value sealed with an older key of the list: the store seals it again with the
   * first, so that replicas that hold only the new key can open it (docs/redis.md, key rotation).
   */
  sealedWithOlderKey(redisKey: string, raw: string): boolean
}

export function valueCodec (sealKeys: Buffer[] | undefined): ValueCodec {
  return {
    encode (redisKey, value) {
      const json = JSON.stringify({
        accessToken: value.accessToken,
        tokenType: value.tokenType,
        scopes: value.scopes,
        usableUntil: value.usableUntil,
        expiresAt: value.expiresAt,
        refreshAt: value.refreshAt,
        mac: value.mac
      })
      return sealKeys === undefined ? json : seal(sealKeys[0] as Buffer, json, redisKey)
    },

    decode (redisKey, raw) {
      if (raw === null) return undefined
      const json = sealKeys === undefined ? raw : unseal(sealKeys, raw, redisKey)
      if (json === undefined) return undefined
      try {
        return asStoredToken(JSON.parse(json))
      } catch {
        return undefined
      }
    },

    sealedWithOlderKey (redisKey, raw) {
      return sealKeys !== undefined && sealKeys.length > 1 && unseal(sealKeys[0] as Buffer, raw, redisKey) === undefined
    },
  }
}
