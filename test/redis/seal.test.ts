// Sealing of values at rest (AES-256-GCM): round trip, and anything else —
// another key, another key name, any flipped bit, any string — opens to nothing.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { scryptSync } from 'node:crypto'
import { PASSPHRASE_COST, PASSPHRASE_SALT, parseSealKey, parseSealKeys, passphraseKey, seal, unseal } from '../../plugin/store/seal.js'

const key = randomBytes(32)

t.test('round trip, for any text and key name', async (t) => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (text, name) => unseal(key, seal(key, text, name), name) === text))
  t.pass('property held')
})

t.test('any flipped bit, another key or another key name opens to undefined', async (t) => {
  fc.assert(fc.property(fc.string(), fc.nat(), fc.integer({ min: 0, max: 7 }), (text, at, bit) => {
    const sealed = seal(key, text, 'k')
    const raw = Buffer.from(sealed.slice(3), 'base64')
    raw[at % raw.length] = (raw[at % raw.length] ?? 0) ^ (1 << bit)
    return unseal(key, `s1:${raw.toString('base64')}`, 'k') === undefined &&
      unseal(randomBytes(32), sealed, 'k') === undefined &&
      unseal(key, sealed, 'k2') === undefined
  }), { numRuns: 300 })
  t.pass('property held')
})

t.test('any string opens to undefined and never throws', async (t) => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `s1:${s}`), fc.uint8Array().map((b) => `s1:${Buffer.from(b).toString('base64')}`)),
    (garbage) => unseal(key, garbage, 'k') === undefined))
  t.pass('property held')
})

t.test('the format: s1: and base64 of a 12-byte IV, a 16-byte tag and the ciphertext; a fresh IV each time', async (t) => {
  const a = seal(key, 'hello', 'k')
  t.match(a, /^s1:[A-Za-z0-9+/]+=*$/)
  t.equal(Buffer.from(a.slice(3), 'base64').length, 12 + 16 + 5)
  t.not(seal(key, 'hello', 'k'), a)
})

t.test('parseSealKey: 32 bytes in any of its spellings, surrounding whitespace ignored', async (t) => {
  for (const spelling of [key, new Uint8Array(key), key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url') + '=', ` ${key.toString('base64')}\n`]) {
    t.same(parseSealKey(spelling), key)
  }
  for (const bad of ['', 'x'.repeat(64), key.toString('base64').slice(0, 43), key.toString('base64url'), randomBytes(32).toString('hex').slice(1), randomBytes(24).toString('base64'), randomBytes(48).toString('base64'), randomBytes(31)]) {
    t.throws(() => parseSealKey(bad), /32 random bytes/)
  }
})

t.test('a passphrase or made-up text of the right length is refused as a key, without being echoed', async (t) => {
  const typed = [
    'correct horse battery staple 32!', // 32 printable bytes as a Buffer
    'Sup3rSecretPassw0rdForTheTokenStoreABCDEFGH', // 43 letters: decodes as base64 to 32 bytes
    'A'.repeat(43) + '=', // base64 of 32 nearly equal bytes
    '00'.repeat(32) // hex of zeros
  ]
  for (const text of typed) {
    for (const input of [text, Buffer.from(text)]) {
      const err = t.throws(() => parseSealKey(input)) as Error
      t.equal((err as { code?: string }).code, 'FST_APP_TOKEN_INVALID_OPTION')
      t.notOk(err.message.includes(text), 'the text is not in the message')
    }
  }
  t.match((t.throws(() => parseSealKey(typed[1] as string)) as Error).message, /encryptionPassphrase/, 'says what to use instead')
})

t.test('a list of keys: the first seals, every one opens; another key opens nothing', async (t) => {
  const [newKey, oldKey] = [randomBytes(32), randomBytes(32)]
  const keys = parseSealKeys([newKey.toString('base64'), oldKey.toString('hex')])
  t.same(keys, [newKey, oldKey])
  t.equal(unseal(keys, seal(oldKey, 'old', 'k'), 'k'), 'old', 'a value sealed with the old key opens')
  t.equal(unseal(newKey, seal(keys[0] as Buffer, 'new', 'k'), 'k'), 'new', 'the first key seals')
  t.equal(unseal(keys, seal(randomBytes(32), 'x', 'k'), 'k'), undefined)
  t.throws(() => parseSealKeys([]), /32 random bytes/)
  t.match((t.throws(() => parseSealKeys([newKey, 'nope'])) as Error).message, /key 2 of 2/, 'names which key is wrong')
})

t.test('encryptionPassphrase: scrypt with the documented salt and cost; short ones refused', async (t) => {
  const passphrase = 'a long shared passphrase for the fleet'
  t.same(passphraseKey(passphrase), scryptSync(passphrase, PASSPHRASE_SALT, 32, PASSPHRASE_COST))
  t.same(PASSPHRASE_COST, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 })
  t.not(passphraseKey(passphrase).toString('hex'), passphraseKey(passphrase + '.').toString('hex'))
  for (const bad of ['short', '', 42]) t.throws(() => passphraseKey(bad), /at least 16 characters/)
})
