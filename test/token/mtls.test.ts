// tls_client_auth and self_signed_tls_client_auth (RFC 8705 §2) against oidc-provider behind
// an HTTPS server that asks for client certificates. Certificates come from the openssl CLI.
import { X509Certificate } from 'node:crypto'
import { inspect } from 'node:util'
import t from 'tap'
import { Agent, request } from 'undici'
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.js'
import { makeCertificates, type Pem } from '../helpers/certificates.js'
import { assertNoSecrets, logCapture } from '../helpers/log-capture.js'
import { fetchToken, InvalidOptionError, OAuthError, TokenCache } from '../../plugin/token/index.js'

const INTROSPECTOR = 'introspector'
const INTROSPECTOR_SECRET = 'introspector-secret'

/** The client's registered key for self_signed_tls_client_auth: its certificate as x5c (RFC 8705 §2.2). */
function certificateJwk (pem: Pem): object {
  const cert = new X509Certificate(pem.cert)
  return { ...cert.publicKey.export({ format: 'jwk' }), x5c: [cert.raw.toString('base64')] }
}

async function introspect (server: OidcServer, ca: string, token: string): Promise<{ active: boolean; client_id?: string }> {
  const dispatcher = new Agent({ connect: { ca } })
  try {
    const res = await request(server.introspectionEndpoint, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: INTROSPECTOR, client_secret: INTROSPECTOR_SECRET }).toString()
    })
    return await res.body.json() as { active: boolean; client_id?: string }
  } finally {
    await dispatcher.close()
  }
}

t.test('mutual TLS against oidc-provider', async (t) => {
  const certs = await makeCertificates(t)
  const [serverPem, pki, otherSubject, selfSigned, stranger] = await Promise.all([
    certs.signed('token-server', { ip: '127.0.0.1' }),
    certs.signed('tls-app'),
    certs.signed('someone-else'),
    certs.selfSigned('self-app'),
    certs.selfSigned('stranger')
  ])
  const ca = certs.ca.cert
  const server = await startOidcServer({
    https: { cert: serverPem.cert, key: serverPem.key, ca },
    clients: [
      { clientId: 'tls-app', authMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=tls-app', scopes: ['read:interaction'] },
      { clientId: 'self-app', authMethod: 'self_signed_tls_client_auth', jwks: { keys: [certificateJwk(selfSigned)] }, scopes: ['read:interaction'] },
      { clientId: INTROSPECTOR, clientSecret: INTROSPECTOR_SECRET, authMethod: 'client_secret_post', scopes: ['introspect'] }
    ]
  })
  t.teardown(() => server.close())
  const log = logCapture()
  const keys = [pki, otherSubject, selfSigned, stranger].map((pem) => pem.key.split('\n').slice(1, -2).join(''))

  t.test('tls_client_auth: a CA-signed certificate with the registered subject', async (t) => {
    const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: { ...pki, ca }, logger: log.logger })
    t.teardown(() => cache.close())
    const before = server.tokenRequests.length
    const token = await cache.get({ scopes: ['read:interaction'] })
    t.same(token.scopes, ['read:interaction'])
    t.match(await introspect(server, ca, token.accessToken), { active: true, client_id: 'tls-app' })
    t.equal(server.tokenRequests[before]?.authorization, false, 'no Authorization header: the certificate is the credential')
  })

  t.test('self_signed_tls_client_auth with fetchToken', async (t) => {
    const fetched = await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: 'self-app', authMethod: 'self_signed_tls_client_auth', tls: { ...selfSigned, ca }, scopes: ['read:interaction'] })
    t.match(await introspect(server, ca, fetched.token.accessToken), { active: true, client_id: 'self-app' })
  })

  t.test('a wrong certificate is invalid_client with a hint about the certificate', async (t) => {
    const cases: Array<[string, 'tls_client_auth' | 'self_signed_tls_client_auth', Pem]> = [
      ['tls-app', 'tls_client_auth', otherSubject],
      ['tls-app', 'tls_client_auth', stranger],
      ['self-app', 'self_signed_tls_client_auth', stranger]
    ]
    for (const [clientId, authMethod, pem] of cases) {
      const cache = new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId, authMethod, tls: { ...pem, ca }, logger: log.logger })
      const err = await cache.get().catch((e: unknown) => e) as OAuthError
      await cache.close()
      t.type(err, OAuthError, `${authMethod} with another certificate`)
      t.equal(err.error, 'invalid_client')
      t.match(err.hint, new RegExp(`client certificate \\(${authMethod}\\)`))
      for (const key of keys) t.notOk(`${err.message} ${inspect(err)} ${JSON.stringify(err)} ${inspect(cache)}`.includes(key), 'no TLS key in the error')
    }
    assertNoSecrets(t, log, keys)
  })

  t.test('without ca the HTTPS endpoint is not trusted: a network error, not a silent downgrade', async (t) => {
    const err = await fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: pki }).catch((e: unknown) => e)
    t.match(err, { code: 'FST_APP_TOKEN_NETWORK', transient: true })
  })

  t.test('tls with a dispatcher, or without cert and key, is refused', async (t) => {
    const dispatcher = new Agent()
    t.teardown(() => dispatcher.close())
    t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: pki, dispatcher }),
      new InvalidOptionError('tls and dispatcher cannot be combined: drop dispatcher (an Agent with the client certificate is built from tls), or drop tls and give your dispatcher connect: { cert, key }'))
    await t.rejects(fetchToken({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: pki, dispatcher }), { code: 'FST_APP_TOKEN_INVALID_OPTION' })
    t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: { cert: pki.cert } as never }), /tls must be \{ cert, key, ca\? \}/)
    t.throws(() => new TokenCache({ tokenEndpoint: server.tokenEndpoint, clientId: 'tls-app', authMethod: 'tls_client_auth', tls: pki, clientSecret: 'x' }), /clientSecret is not used with authMethod tls_client_auth/)
  })
})
