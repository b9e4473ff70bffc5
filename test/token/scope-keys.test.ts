// The one scope memo: a key per scope set, whatever the order, the array or its later changes.
import t from 'tap'
import { canonicalScopes, INVALID_KEY, ScopeKeys } from '../../plugin/token/scope-keys.js'

t.test('one key per set: order and repeats do not matter, elements do', async (t) => {
  const keys = new ScopeKeys()
  t.equal(keys.keyOf(['read:b', 'read:a']), 'read:a read:b')
  t.equal(keys.keyOf(['read:a', 'read:b', 'read:a']), 'read:a read:b')
  t.equal(keys.keyOf(['read:b', 'read:a']), 'read:a read:b', 'the same shape again')
  t.equal(keys.keyOf([]), '')
  t.equal(keys.keyOf(undefined), '')
  t.equal(keys.keyOf(['read:a']), 'read:a')
  t.equal(keys.keyOf(['read:a read:b']), INVALID_KEY, 'a space inside an element never finds the set of two')
  t.equal(keys.keyOf(['read:a', 'read:b read:c']), INVALID_KEY)
  t.equal(keys.keyOf([42, 'read:a'] as unknown as string[]), INVALID_KEY, '[42] is no scope')
})

t.test('an array changed after it was keyed gets the key of its new set', async (t) => {
  const keys = new ScopeKeys()
  const scopes = ['read:a', 'read:b']
  t.equal(keys.keyOf(scopes), 'read:a read:b')
  scopes[1] = 'read:c'
  t.equal(keys.keyOf(scopes), 'read:a read:c')
  scopes.push('read:b')
  t.equal(keys.keyOf(scopes), 'read:a read:b read:c')
})

t.test('canonicalScopes: sorted, unique, frozen, and keyed before its first lookup', async (t) => {
  const set = canonicalScopes(['read:b', 'read:a', 'read:b'])
  t.same(set, ['read:a', 'read:b'])
  t.ok(Object.isFrozen(set))
  t.equal(new ScopeKeys().keyOf(set), 'read:a read:b', 'any ScopeKeys knows its key')
  t.throws(() => canonicalScopes(['read:a', 'not a token']), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
})
