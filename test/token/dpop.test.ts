// DPoP (RFC 9449) in the token core, against oidc-provider's features.dPoP with and without
// required nonces: DPoP-bound tokens whose introspected cnf.jkt is the key's thumbprint, the
// use_dpop_nonce round trip (once, then the nonce is remembered), proofs for resource requests
// checked with jose; the fault server for a server that ignores the proof; no key or token in
// any log, error, JSON or inspect output.
import { createHash, generateKeyPairSync } from 'node:crypto'
import { inspect } from 'node:util'
import t from 'tap'
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose'
import { Agent, request, type Dispatcher } from 'undici'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { issuedTokens, startFaultServer, tokenBody } from '../helpers/fault-server.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { memoryStore } from '../../plugin/store/memory.js'
import { DpopNotBoundError, fetchToken, InvalidOptionError, TokenCache, type PrivateJwk } from '../../plugin/token/index.js'

const CLIENT = 'dpop:app'
const SECRET = 'dpop-client-secret'
const INTROSPECTOR = 'introspector'
const INTROSPECTOR_SECRET = 'introspector-secret'
const SCOPES = ['read:interaction', 'write:interaction']

const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ecJwk = ec384.privateKey.export({ format: 'jwk' }) as PrivateJwk
const rsaPem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const pemBody = (pem: string): string => pem.split('\n').slice(1, -2).join('')
const KEY_SECRETS = [String(ecJwk.d), pemBody(rsaPem)]

/** A dispatcher that keeps the DPoP header of every request: the proofs as they were sent. */
function recording (): { dispatcher: Dispatcher; proofs: string[] } {
  const proofs: string[] = []
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    const headers = opts.headers as Record<string, string> | undefined
    if (headers?.dpop !== undefined) proofs.push(headers.dpop)
    return dispatch(opts, handler)
  })
  return { dispatcher, proofs }
}

async function introspect (server: OidcServer, token: string): Promise<{ active: boolean; token_type?: string; cnf?: { jkt?: string } }> {
  const res = await request(server.introspectionEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: INTROSPECTOR, client_secret: INTROSPECTOR_SECRET }).toString()
  })
  return await res.body.json() as { active: boolean; cnf?: { jkt?: string } }
}

/** The proof verified with the JWK in its own header (RFC 9449 §4.3), and that JWK's RFC 7638 thumbprint. */
async function verifyProof (proof: string): Promise<{ payload: Record<string, unknown>; jkt: string }> {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' })
  if ('d' in (protectedHeader.jwk as JWK)) throw new Error('the proof header holds a private key')
  return { payload, jkt: await calculateJwkThumbprint(protectedHeader.jwk as JWK) }
}

const clients = [
  { clientId: CLIENT, clientSecret: SECRET, authMethod: 'client_secret_post' as const, scopes: SCOPES },
  { clientId: INTROSPECTOR, clientSecret: INTROSPECTOR_SECRET, authMethod: 'client_secret_post' as const, scopes: ['introspect'] }
]

for (const requireNonce of [false, true]) {
  t.test(`oidc-provider with DPoP, ${requireNonce ? 'nonces required' : 'no nonce required'}`, async (t) => {
    const server = await startOidcServer({ clients, dpop: { requireNonce } })
    t.teardown(() => server.close())
    const log = logCapture()
    const { dispatcher, proofs } = recording()
    t.teardown(() => dispatcher.close())
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, clientSecret: SECRET, authMethod: 'client_secret_post', dpop: true, dispatcher, logger: log.logger })
    t.teardown(() => cache.close())

    const token = await cache.get({ scopes: ['read:interaction'] })
    t.equal(token.tokenType, 'DPoP')
    t.equal(token.authorization, `DPoP ${token.accessToken}`, 'Authorization: DPoP <token> (RFC 9449 §7.1)')
    const sent = requireNonce ? 2 : 1
    t.equal(server.tokenRequests.length, sent, requireNonce ? 'use_dpop_nonce answered once, with the nonce' : 'one request')
    t.ok(server.tokenRequests.every((r) => r.dpop), 'every token request carries a proof')
    t.equal(cache.stats().fetches, 1, 'the nonce round trip is part of one token request')

    const seen = await introspect(server, token.accessToken)
    t.equal(seen.active, true)
    const checked = await Promise.all(proofs.map(verifyProof))
    t.equal(seen.cnf?.jkt, checked[0]!.jkt, 'the token is bound to the key of the proof (cnf.jkt, RFC 9449 §6.1)')
    for (const { payload } of checked) {
      t.equal(payload.htm, 'POST')
      t.equal(payload.htu, server.tokenEndpoint)
      t.type(payload.jti, 'string')
      t.ok(Math.abs(Number(payload.iat) - Date.now() / 1000) < 5, 'iat is now')
      t.notOk('ath' in payload, 'no ath on a token request')
    }
    t.equal(new Set(checked.map((c) => c.payload.jti)).size, checked.length, 'a fresh jti per proof')
    if (requireNonce) {
      t.equal(checked[0]!.payload.nonce, undefined, 'the first proof has no nonce yet')
      t.type(checked[1]!.payload.nonce, 'string', 'the retry carries the nonce the server named')
    }

    // A second scope set: the nonce is remembered for this server, so no second round trip.
    const other = await cache.get({ scopes: SCOPES })
    t.equal(server.tokenRequests.length, sent + 1, 'the remembered nonce is used at once')
    t.equal(other.tokenType, 'DPoP')

    t.test('proof() for a resource request (RFC 9449 §7), verified with jose', async (t) => {
      const url = 'https://api.example.com/v1/interactions?limit=5#top'
      const first = await token.proof({ method: 'get', url })
      const second = await token.proof({ method: 'POST', url: new URL('https://api.example.com/v1/x'), nonce: 'server-nonce-1' })
      const a = await verifyProof(first)
      const b = await verifyProof(second)
      t.equal(a.jkt, seen.cnf?.jkt, 'signed with the key the token is bound to')
      t.equal(a.payload.htm, 'GET')
      t.equal(a.payload.htu, 'https://api.example.com/v1/interactions', 'htu without query and fragment (§4.2)')
      t.equal(a.payload.ath, createHash('sha256').update(token.accessToken).digest('base64url'), 'ath: base64url SHA-256 of the token')
      t.equal(a.payload.nonce, undefined)
      t.equal(b.payload.htm, 'POST')
      t.equal(b.payload.nonce, 'server-nonce-1')
      t.not(a.payload.jti, b.payload.jti)
      t.equal(decodeProtectedHeader(first).alg, 'ES256', 'the generated key signs ES256')
    })

    const shown = [JSON.stringify(token), inspect(token, { depth: 5 }), inspect(cache, { depth: 5 }), JSON.stringify(cache.stats())].join('\n')
    t.notOk(shown.includes(token.accessToken), 'the token is in no JSON or inspect output')
    t.notOk(/"d"|\bd: '/.test(shown), 'no private key member shows')
    assertNoSecrets(t, log, [SECRET, token.accessToken, other.accessToken])
  })
}

t.test('a given key: its thumbprint binds the token; a replica with the same key shares it through the store', async (t) => {
  const server = await startOidcServer({ clients, dpop: { requireNonce: true } })
  t.teardown(() => server.close())
  const log = logCapture()
  const store = memoryStore()
  const base = { tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, clientSecret: SECRET, authMethod: 'client_secret_post' as const, store, logger: log.logger }
  const one = new TokenCache({ ...base, dpop: { privateKey: ecJwk } })
  const two = new TokenCache({ ...base, dpop: { privateKey: JSON.stringify(ecJwk) } })
  const rsaCache = new TokenCache({ ...base, dpop: { privateKey: rsaPem, alg: 'PS256' } })
  t.teardown(async () => { await one.close(); await two.close(); await rsaCache.close() })

  const first = await one.get({ scopes: ['read:interaction'] })
  const adopted = await two.get({ scopes: ['read:interaction'] })
  t.equal(adopted.accessToken, first.accessToken, 'the same key: the second replica adopts the stored token')
  t.equal(server.tokenRequests.length, 2, 'one token request (and its nonce round trip) for both')
  const expected = await calculateJwkThumbprint(ec384.publicKey.export({ format: 'jwk' }) as JWK)
  t.equal((await introspect(server, first.accessToken)).cnf?.jkt, expected, 'cnf.jkt is the given key\'s RFC 7638 thumbprint')
  const { jkt } = await verifyProof(await adopted.proof({ method: 'GET', url: 'https://api.example.com/' }))
  t.equal(jkt, expected, 'an adopted token signs its proofs with the shared key')
  t.equal(decodeProtectedHeader(await adopted.proof({ method: 'GET', url: 'https://api.example.com/' })).alg, 'ES384', 'alg from the P-384 key')

  const byRsa = await rsaCache.get({ scopes: ['read:interaction'] })
  t.not(byRsa.accessToken, first.accessToken, 'another key: another store entry, another token')
  t.equal((await introspect(server, byRsa.accessToken)).cnf?.jkt, await calculateJwkThumbprint(rsa.publicKey.export({ format: 'jwk' }) as JWK))
  t.equal(decodeProtectedHeader(await byRsa.proof({ method: 'GET', url: 'https://api.example.com/' })).alg, 'PS256')
  t.same(log.entries().filter((e) => /generated for this process/.test(String(e.msg))), [], 'no warning with a given key')

  const shown = [inspect(first, { depth: 5 }), JSON.stringify(first), inspect(one, { depth: 5 }), inspect(byRsa, { depth: 5 })].join('\n')
  for (const secret of KEY_SECRETS) t.notOk(shown.includes(secret), 'the private key is in no inspect or JSON output')
  assertNoSecrets(t, log, [SECRET, first.accessToken, byRsa.accessToken, ...KEY_SECRETS])
})

t.test('a per-process key with a shared store: one warning, and no sharing', async (t) => {
  const server = await startOidcServer({ clients, dpop: {} })
  t.teardown(() => server.close())
  const log = logCapture()
  const store = memoryStore()
  const base = { tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, clientSecret: SECRET, authMethod: 'client_secret_post' as const, store, logger: log.logger, dpop: true }
  const one = new TokenCache(base)
  const two = new TokenCache(base)
  t.teardown(async () => { await one.close(); await two.close() })
  const a = await one.get({ scopes: ['read:interaction'] })
  const b = await two.get({ scopes: ['read:interaction'] })
  t.not(a.accessToken, b.accessToken, 'each replica holds a token bound to its own key')
  t.equal(server.tokenRequests.length, 2)
  const warnings = log.entries().filter((e) => e.level === 40 && /generated for this process/.test(String(e.msg)))
  t.equal(warnings.length, 2, 'one warning per cache, at construction')
  t.match(String(warnings[0]!.msg), /APP_TOKEN_DPOP_KEY/, 'the warning says how to share')
})

t.test('a server that ignores the proof: DpopNotBoundError, or a Bearer token with allowBearer', async (t) => {
  const fault = await startFaultServer(() => ({ body: tokenBody() }))
  t.teardown(() => fault.close())
  const log = logCapture()
  const base = { tokenEndpoint: fault.tokenEndpoint, clientId: CLIENT, clientSecret: SECRET, logger: log.logger }
  const strict = new TokenCache({ ...base, dpop: true, retry: { retries: 2, minDelay: 1, maxDelay: 1 } })
  t.teardown(() => strict.close())
  const err = await strict.get().catch((e: unknown) => e) as DpopNotBoundError
  t.type(err, DpopNotBoundError)
  t.equal(err.code, 'FST_APP_TOKEN_DPOP_NOT_BOUND')
  t.equal(err.transient, false, 'permanent: never retried')
  t.equal(fault.requests.length, 1, 'one request')
  t.match(err.message, /token_type Bearer, not DPoP/)
  t.match(err.hint, /allowBearer/)
  t.type(fault.requests[0]!.headers.dpop, 'string', 'the request carried a proof')

  const lenient = new TokenCache({ ...base, dpop: { allowBearer: true } })
  t.teardown(() => lenient.close())
  const bearer = await lenient.get()
  t.equal(bearer.tokenType, 'Bearer')
  t.equal(bearer.authorization, `Bearer ${bearer.accessToken}`)
  const refused = await bearer.proof({ method: 'GET', url: 'https://api.example.com/' }).catch((e: unknown) => e) as DpopNotBoundError
  t.type(refused, DpopNotBoundError, 'proof() of a Bearer token rejects')
  t.match(refused.message, /not DPoP-bound: it needs no proof/)
  t.notOk(`${inspect(refused)} ${JSON.stringify(refused)}`.includes(bearer.accessToken))

  const plain = await fetchToken({ ...base })
  await t.rejects(plain.token.proof({ method: 'GET', url: 'https://api.example.com/' }), { code: 'FST_APP_TOKEN_DPOP_NOT_BOUND' }, 'nor has a token asked without DPoP')
  t.equal(fault.requests.at(-1)!.headers.dpop, undefined, 'no proof without dpop')
  assertNoSecrets(t, log, [SECRET, ...issuedTokens])
})

t.test('use_dpop_nonce twice: transient, and the next attempt uses the newest nonce', async (t) => {
  const challenge = (nonce: string) => ({ status: 400, headers: { 'dpop-nonce': nonce }, body: { error: 'use_dpop_nonce', error_description: 'nonce required' } })
  const fault = await startFaultServer(challenge('n1'), challenge('n2'), () => ({ body: tokenBody({ token_type: 'dpop' }) }))
  t.teardown(() => fault.close())
  const cache = new TokenCache({ tokenEndpoint: fault.tokenEndpoint, clientId: CLIENT, clientSecret: SECRET, dpop: true, retry: { retries: 1, minDelay: 1, maxDelay: 1 } })
  t.teardown(() => cache.close())
  const token = await cache.get()
  t.equal(token.tokenType, 'DPoP', 'token_type is case-insensitive (RFC 9449 §5)')
  const nonces = await Promise.all(fault.requests.map(async (r) => (await verifyProof(String(r.headers.dpop))).payload.nonce))
  t.same(nonces, [undefined, 'n1', 'n2'])
  t.equal(cache.stats().fetches, 2, 'the second challenge cost one retry')
})

t.test('the dpop option is checked', async (t) => {
  const base = { tokenEndpoint: 'https://idp.example.com/token', clientId: CLIENT, clientSecret: SECRET }
  const refuse = (dpop: unknown, message: RegExp): void => {
    t.throws(() => new TokenCache({ ...base, dpop: dpop as never }), { code: 'FST_APP_TOKEN_INVALID_OPTION', option: 'dpop', message })
  }
  refuse('yes', /dpop must be true, false or \{ privateKey\?, alg\?, allowBearer\? \}/)
  refuse({ key: rsaPem }, /dpop must be true/)
  refuse({ alg: 'HS256' }, /dpop\.alg must be one of/)
  refuse({ alg: 'RS256' }, /needs dpop\.privateKey/)
  refuse({ privateKey: ecJwk, alg: 'ES256' }, /dpop\.alg ES256 does not fit the ec key/)
  refuse({ privateKey: 'not a key' }, /dpop\.privateKey is not a readable PEM/)
  refuse({ allowBearer: 'no' }, /allowBearer must be true or false/)
  const err = t.throws(() => new TokenCache({ ...base, dpop: { privateKey: rsaPem.replace(/[A-Za-z]{8}\n/, '!!!!!!!!\n') } })) as InvalidOptionError
  t.notOk(`${err.message} ${inspect(err)}`.includes(pemBody(rsaPem).slice(0, 40)), 'an unreadable key is not echoed')
  t.doesNotThrow(() => new TokenCache({ ...base, dpop: false }).close())
})
