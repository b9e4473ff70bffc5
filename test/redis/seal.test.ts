// Sealing of values at rest (AES-256-GCM): round trip, and anything else —
// another key, another key name, any flipped bit, any string — opens to nothing.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { parseSealKey, seal, unseal } from '../../plugin/store/seal.js'

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
  for (const spelling of [key, new Uint8Array(key), key.toString('hex'), key.toString('hex').toUpperCase(), key.toString('base64'), key.toString('base64url'), ` ${key.toString('base64')}\n`]) {
    t.same(parseSealKey(spelling), key)
  }
  for (const bad of ['', 'x'.repeat(64), randomBytes(32).toString('hex').slice(1), randomBytes(24).toString('base64'), randomBytes(48).toString('base64'), randomBytes(31)]) {
    t.throws(() => parseSealKey(bad), /32 bytes/)
  }
})
