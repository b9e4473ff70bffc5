// Properties over many inputs: the expiry arithmetic never lets a token past
// the server's own expiry, and any printable-ASCII client id and secret
// (RFC 6749 Appendix A: VSCHAR) gets through a real server with both methods.
import fc from 'fast-check'
import t from 'tap'
import { refreshPoint, tokenLifetime } from '../../plugin/token/expiry.js'
import { TokenCache } from '../../plugin/token/index.js'
import { startOidcServer } from '../helpers/oidc-server.js'

t.test('usableUntil is before the server\'s expiry, the refresh point before usableUntil', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), // sentAt
    fc.integer({ min: 2, max: 86_400 }), // expires_in
    fc.integer({ min: 0, max: 2000 }), // ms from sending to the server stamping the token
    fc.integer({ min: 0, max: 300 }), // clockSkew
    fc.double({ min: 0, max: 1, noNaN: true }), // jitter
    (sentAt, expiresIn, latency, clockSkew, jitter) => {
      const serverExp = (Math.floor((sentAt + latency) / 1000) + expiresIn) * 1000 // exp stamped at issue, rounded down
      const { usableUntil } = tokenLifetime({ sentAt, expiresIn, defaultLifetime: 300, clockSkew, maxLifetime: 86_400 })
      const refresh = refreshPoint(sentAt, usableUntil, () => jitter)
      return usableUntil < serverExp && usableUntil > sentAt && refresh > sentAt && refresh < usableUntil
    }
  ), { numRuns: 2000 })
  t.pass('2000 cases')
})

t.test('no expires_in and no exp, however hostile, makes a token usable longer than expires_in or maxLifetime', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }), // sentAt
    fc.oneof(fc.double({ min: 1, max: Number.MAX_VALUE, noNaN: true }), fc.integer({ min: 1, max: 200_000 })), // expires_in
    fc.option(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }))), // exp
    fc.integer({ min: 1, max: 100_000 }), // maxLifetime
    (sentAt, expiresIn, exp, maxLifetime) => {
      const life = tokenLifetime({ sentAt, expiresIn, ...(exp !== null ? { jwtExp: exp } : {}), defaultLifetime: 300, clockSkew: 5, maxLifetime })
      return life.usableUntil <= sentAt + Math.min(expiresIn, maxLifetime) * 1000 &&
        life.expiresAt <= sentAt + maxLifetime * 1000 && !Number.isNaN(new Date(life.expiresAt).getTime())
    }
  ), { numRuns: 5000 })
  t.pass('5000 cases')
})

t.test('any VSCHAR client id and secret, both auth methods, against oidc-provider', async (t) => {
  const vschar = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 })
  const specials = fc.constantFrom(':', '+', '/', '=', '%', '&', ' ', '%20', '+%')
  const credential = fc.tuple(vschar, specials, vschar).map((parts) => parts.join(''))
  const pairs = fc.sample(fc.tuple(credential, credential), { numRuns: 24, seed: 4 })
  const clients = pairs.map(([id, secret], i) => ({
    clientId: `${i}${id}`, // unique
    clientSecret: secret,
    authMethod: (i % 2 === 0 ? 'client_secret_basic' : 'client_secret_post') as 'client_secret_basic' | 'client_secret_post',
    scopes: ['read:x']
  }))
  const server = await startOidcServer({ clients })
  t.teardown(() => server.close())
  for (const client of clients) {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: client.clientId, clientSecret: client.clientSecret, authMethod: client.authMethod })
    const token = await cache.get({ scopes: ['read:x'] }).catch((err: Error) => err)
    await cache.close()
    t.ok(!(token instanceof Error), `${client.authMethod} ${JSON.stringify(client.clientId)}`)
  }
})
