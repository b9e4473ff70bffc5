// The v3 store key's scrypt runs once per secret in a process (docs/redis.md, "Key layout"):
// caches of several clients, scope sets or registrations with one secret share its result.
import t from 'tap'
import { credentialKeys } from '../../plugin/token/store-key.js'

t.test('one derivation per secret, shared by every caller; another secret gets its own', async (t) => {
  const first = credentialKeys('store-key-secret-a')
  t.equal(credentialKeys('store-key-secret-a'), first, 'the same secret: the same derivation, not a second scrypt')
  const other = credentialKeys('store-key-secret-b')
  t.not(other, first)
  const [a, b] = await Promise.all([first, other])
  t.match(a.fingerprint, /^[0-9a-f]{64}$/)
  t.not(a.fingerprint, b.fingerprint, 'another secret, another key name')
  t.equal(a.macKey.length, 32)
  t.equal(credentialKeys('store-key-secret-a'), first, 'still shared once settled')
})
