// private_key_jwt (RFC 7523 §2.2) against oidc-provider: a client registered with its public
// keys gets tokens the provider introspects as active; every assertion is fresh (its own jti,
// exp ≤ 60 s) and verifies with the public key; a wrong key is invalid_client with a hint; the
// private key shows in no log, error, JSON or inspect output.
import { createHash, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { inspect } from 'node:util'
import t from 'tap'
import { decodeProtectedHeader, jwtVerify } from 'jose'
import { Agent, request, type Dispatcher } from 'undici'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { makeCertificates } from '../helpers/certificates.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { fetchToken, InvalidOptionError, OAuthError, SecretUnavailableError, TimeoutError, TokenCache, type PrivateJwk } from '../../plugin/token/index.js'
import { startFaultServer, tokenBody } from '../helpers/fault-server.js'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })

const rsaPem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const strangerPem = stranger.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const ecJwk = { ...ec.privateKey.export({ format: 'jwk' }), kid: 'ec-1' } as PrivateJwk
const publicJwk = (key: KeyObject, kid: string): object => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' })
/** The base64 body of a PEM: what a leak would show. */
const pemBody = (pem: string): string => pem.split('\n').slice(1, -2).join('')

const CLIENT = 'signed:app'
const INTROSPECTOR = 'introspector'
const INTROSPECTOR_SECRET = 'introspector-secret'

/** A dispatcher that keeps every request body: the assertions as they were sent. */
function recording (): { dispatcher: Dispatcher; assertions: string[] } {
  const assertions: string[] = []
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    const assertion = new URLSearchParams(String(opts.body ?? '')).get('client_assertion')
    if (assertion !== null) assertions.push(assertion)
    return dispatch(opts, handler)
  })
  return { dispatcher, assertions }
}

async function introspect (server: OidcServer, token: string): Promise<{ active: boolean; client_id?: string; scope?: string }> {
  const res = await request(server.introspectionEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: INTROSPECTOR, client_secret: INTROSPECTOR_SECRET }).toString()
  })
  return await res.body.json() as { active: boolean; client_id?: string; scope?: string }
}

t.test('private_key_jwt against oidc-provider', async (t) => {
  const certs = await makeCertificates(t)
  const keyFile = certs.file('rsa.key')
  await writeFile(keyFile, rsaPem)
  const { cert } = await certs.selfSigned('signed-app', { keyFile })
  const server = await startOidcServer({
    clients: [
      {
        clientId: CLIENT,
        authMethod: 'private_key_jwt',
        jwks: { keys: [publicJwk(rsa.publicKey, 'rsa-1'), publicJwk(ec.publicKey, 'ec-1'), publicJwk(ed.publicKey, 'ed-1')] },
        scopes: ['read:interaction']
      },
      { clientId: INTROSPECTOR, clientSecret: INTROSPECTOR_SECRET, authMethod: 'client_secret_post', scopes: ['introspect'] }
    ]
  })
  t.teardown(() => server.close())
  const log = logCapture()
  const secrets = [pemBody(rsaPem), pemBody(strangerPem), String(ecJwk.d)]

  t.test('a token the provider introspects as active; a fresh, verifiable assertion per request', async (t) => {
    const { dispatcher, assertions } = recording()
    t.teardown(() => dispatcher.close())
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: rsaPem, kid: 'rsa-1', dispatcher, logger: log.logger })
    t.teardown(() => cache.close())
    const first = await cache.get({ scopes: ['read:interaction'] })
    const seen = await introspect(server, first.accessToken)
    t.equal(seen.active, true, 'active')
    t.equal(seen.client_id, CLIENT)
    t.equal(seen.scope, 'read:interaction')

    cache.invalidate()
    const second = await cache.get({ scopes: ['read:interaction'] })
    t.not(second.accessToken, first.accessToken, 'a second token: the provider accepted a second assertion (it refuses a replayed jti)')
    t.equal(assertions.length, 2)
    const verified = await Promise.all(assertions.map(async (a) => await jwtVerify(a, rsa.publicKey, { issuer: CLIENT, subject: CLIENT, audience: server.tokenEndpoint })))
    t.not(verified[0]!.payload.jti, verified[1]!.payload.jti, 'two requests, two jti')
    for (const { payload, protectedHeader } of verified) {
      t.equal(protectedHeader.alg, 'RS256', 'alg from the RSA key')
      t.equal(protectedHeader.kid, 'rsa-1')
      t.ok(payload.exp! - payload.iat! <= 60 && payload.exp! > payload.iat!, 'exp ≤ 60 s after iat')
      t.ok(Math.abs(payload.iat! - Date.now() / 1000) < 5, 'iat is now')
    }
    assertNoSecrets(t, log, secrets)
  })

  t.test('an EC JWK (ES256, kid from the JWK) and an Ed25519 PEM (EdDSA)', async (t) => {
    const { dispatcher, assertions } = recording()
    t.teardown(() => dispatcher.close())
    const byEc = await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: ecJwk, scopes: ['read:interaction'], dispatcher })
    t.same(byEc.token.scopes, ['read:interaction'])
    const edPem = ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
    await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: async () => edPem, kid: 'ed-1', dispatcher })
    t.same(assertions.map((a) => decodeProtectedHeader(a)), [{ alg: 'ES256', kid: 'ec-1' }, { alg: 'EdDSA', kid: 'ed-1' }])
    await jwtVerify(assertions[0]!, ec.publicKey)
    await jwtVerify(assertions[1]!, ed.publicKey)
  })

  t.test('certificate adds x5t#S256 and x5t; assertionAudience sets aud', async (t) => {
    const { dispatcher, assertions } = recording()
    t.teardown(() => dispatcher.close())
    await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: rsaPem, kid: 'rsa-1', certificate: cert, assertionAudience: server.issuer, dispatcher })
    const der = new X509Certificate(cert).raw
    const header = decodeProtectedHeader(assertions[0]!)
    t.equal(header['x5t#S256'], createHash('sha256').update(der).digest('base64url'))
    t.equal(header.x5t, createHash('sha1').update(der).digest('base64url'))
    const { payload } = await jwtVerify(assertions[0]!, rsa.publicKey)
    t.equal(payload.aud, server.issuer, 'the provider accepts its issuer as aud too')
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: strangerPem, certificate: cert }),
      /certificate does not belong to the private key/, 'a certificate of another key is refused before sending')
  })

  t.test('a wrong key is invalid_client with a hint about the key', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: strangerPem, logger: log.logger })
    t.teardown(() => cache.close())
    const err = await cache.get({ scopes: ['read:interaction'] }).catch((e: unknown) => e) as OAuthError
    t.type(err, OAuthError)
    t.equal(err.error, 'invalid_client')
    t.match(err.hint, /private_key_jwt.*public key/)
    const shown = [err.message, err.hint, JSON.stringify(err), inspect(err, { depth: 5 }), inspect(cache, { depth: 5 }), JSON.stringify(cache)].join('\n')
    for (const secret of secrets) t.notOk(shown.includes(secret), 'the key is in no message, JSON or inspect output')
    assertNoSecrets(t, log, secrets)
  })

  t.test('a key that cannot be read, a key function that fails or hangs', async (t) => {
    const base = { tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt' as const }
    const broken = rsaPem.replace(/[A-Za-z]{8}\n/, '!!!!!!!!\n')
    const unreadable = await fetchToken({ ...base, privateKey: broken }).catch((e: unknown) => e) as SecretUnavailableError
    t.type(unreadable, SecretUnavailableError)
    t.notOk(`${unreadable.message} ${String(unreadable.hint)} ${inspect(unreadable)}`.includes(pemBody(broken).slice(0, 40)), 'the unreadable key is not echoed')
    const publicOnly = await fetchToken({ ...base, privateKey: publicJwk(ec.publicKey, 'x') as PrivateJwk }).catch((e: unknown) => e)
    t.type(publicOnly, SecretUnavailableError, 'a public JWK (no d) is refused')
    await t.rejects(fetchToken({ ...base, privateKey: () => { throw new Error('vault down') } }), { code: 'FST_APP_TOKEN_SECRET_UNAVAILABLE', message: /privateKey function failed/ })
    const hung = await fetchToken({ ...base, privateKey: () => new Promise<string>(() => {}), timeout: 200 }).catch((e: unknown) => e)
    t.type(hung, TimeoutError, 'timeout covers the key function')
    t.match(hung, { message: /privateKey function did not settle within 200 ms/, transient: true })
  })

  t.test('options of another method are refused', async (t) => {
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: rsaPem, clientSecret: 'x' }), /clientSecret is not used with authMethod private_key_jwt/)
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt' }), /privateKey must be a PEM string, a JWK object or a function/)
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, clientSecret: 's', privateKey: rsaPem }), /privateKey is not used with authMethod client_secret_basic/)
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt', privateKey: rsaPem, alg: 'HS256' as never }), /alg must be one of RS256/)
  })
})

t.test('an alg that does not fit the key (docs/token-core.md): refused at register for a key value, permanently for a key function', async (t) => {
  const server = await startFaultServer({ body: tokenBody() })
  t.teardown(() => server.close())
  const base = { tokenEndpoint: server.tokenEndpoint, clientId: CLIENT, authMethod: 'private_key_jwt' as const, retry: { retries: 3, minDelay: 10, maxDelay: 20 } }
  const rsaJwk = rsa.privateKey.export({ format: 'jwk' }) as PrivateJwk
  // An RSA key with ES256 (the option, or the JWK's own "alg"), a P-256 key with ES384, an EC key with EdDSA.
  for (const [what, options] of [
    ['RSA PEM, alg ES256', { privateKey: rsaPem, alg: 'ES256' }],
    ['RSA JWK with "alg": "ES256"', { privateKey: { ...rsaJwk, alg: 'ES256' } }],
    ['P-256 JWK, alg ES384', { privateKey: ecJwk, alg: 'ES384' }],
    ['P-256 JWK, alg EdDSA', { privateKey: ecJwk, alg: 'EdDSA' }]
  ] as const) {
    const err = (() => { try { return new TokenCache({ ...base, ...options }) } catch (e) { return e } })() as InvalidOptionError
    t.type(err, InvalidOptionError, `${what}: an InvalidOptionError at register`)
    t.match(err.message, /does not fit the private key/)
    t.equal(err.option, 'alg')
  }
  t.match((() => { try { return new TokenCache({ ...base, privateKey: rsaPem, alg: 'ES256' }) } catch (e) { return e } })(),
    { message: /alg ES256 does not fit the private key \(a key of type rsa\): give the alg the key signs with \(RS256, RS384, RS512, PS256, PS384, PS512\)/ })

  const log = logCapture()
  const cache = new TokenCache({ ...base, privateKey: async () => rsaPem, alg: 'ES256', logger: log.logger })
  t.teardown(() => cache.close())
  const err = await cache.get().catch((e: unknown) => e) as InvalidOptionError
  t.type(err, InvalidOptionError, 'a key function: the first fetch fails with the same error, not FST_APP_TOKEN_NETWORK')
  t.equal(err.transient, false, 'permanent')
  t.match(err.message, /alg ES256 does not fit the private key/)
  t.equal(server.requests.length, 0, 'never sent, never retried')
  assertNoSecrets(t, log, [pemBody(rsaPem).slice(0, 40)])
  t.notOk(inspect(err, { depth: 5 }).includes(pemBody(rsaPem).slice(0, 40)), 'the key is not in the error')

  const fits = new TokenCache({ ...base, privateKey: rsaPem, alg: 'PS256' })
  t.teardown(() => fits.close())
  t.ok((await fits.get()).accessToken, 'an alg that fits (PS256 on an RSA key) signs')
})
