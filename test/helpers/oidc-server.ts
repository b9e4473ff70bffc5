// A real OpenID Certified authorization server (oidc-provider) in the test
// process, on 127.0.0.1, with the client_credentials grant and per-client
// scope whitelists. What it does that tests rely on: it drops a scope it does not know
// (any letter case) silently, refuses a known one the client may not have with
// invalid_scope, and stamps `exp` at issue time rounded down to the second.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import Provider from 'oidc-provider'

export interface OidcClientSpec {
  clientId: string
  /** The secret methods only. */
  clientSecret?: string
  authMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth'
  /** private_key_jwt: the public keys; self_signed_tls_client_auth: keys with x5c (the certificate). */
  jwks?: { keys: object[] }
  /** tls_client_auth: the certificate's subject, RFC 4514 (e.g. "CN=app"). */
  tlsClientAuthSubjectDn?: string
  /** The client's whitelist: scopes it may be granted. */
  scopes: string[]
}

export interface OidcServerOptions {
  clients: OidcClientSpec[]
  /** Extra provider-wide scopes (known to the server, whitelisted for no client unless listed there). */
  extraScopes?: string[]
  /** Access-token lifetime in seconds (default 600). */
  ttl?: number
  /**
   * JWT access tokens (RFC 9068) for this resource server. Only `scopes` of it
   * are ever granted: others the client asks for are dropped silently.
   */
  jwt?: { resource: string; scopes: string[] }
  /**
   * Serve over HTTPS with this certificate, asking for client certificates (RFC 8705):
   * `ca` verifies tls_client_auth certificates; self-signed ones pass the handshake unverified.
   */
  https?: { cert: string; key: string; ca: string }
  /** DPoP (RFC 9449, `features.dPoP`); with `requireNonce` every proof must carry a server nonce (§8). Default off. */
  dpop?: { requireNonce?: boolean }
}

export interface TokenRequestRecord {
  contentType: string | undefined
  authorization: boolean
  /** A `DPoP` proof header was sent. */
  dpop: boolean
  at: number
}

export interface OidcServer {
  issuer: string
  tokenEndpoint: string
  introspectionEndpoint: string
  /** Every POST to the token endpoint, in order. */
  tokenRequests: TokenRequestRecord[]
  close(): Promise<void>
}

export async function startOidcServer (options: OidcServerOptions): Promise<OidcServer> {
  const tokenRequests: TokenRequestRecord[] = []
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503
    res.end()
  }
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // The token endpoint only: not /token/introspection.
    if (req.method === 'POST' && (req.url === '/token' || req.url?.startsWith('/token?') === true)) {
      tokenRequests.push({
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization !== undefined,
        dpop: req.headers.dpop !== undefined,
        at: Date.now()
      })
    }
    handler(req, res)
  }
  const tls = options.https
  const server = tls === undefined
    ? createServer(listener)
    : createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: false }, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`

  const scopes = new Set(['openid', 'offline_access', ...(options.extraScopes ?? [])])
  for (const client of options.clients) for (const s of client.scopes) scopes.add(s)
  for (const s of options.jwt?.scopes ?? []) scopes.add(s)

  const ttl = options.ttl ?? 600
  const jwt = options.jwt
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret !== undefined ? { client_secret: c.clientSecret } : {}),
      ...(c.jwks !== undefined ? { jwks: c.jwks } : {}),
      ...(c.tlsClientAuthSubjectDn !== undefined ? { tls_client_auth_subject_dn: c.tlsClientAuthSubjectDn } : {}),
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: c.authMethod ?? 'client_secret_basic',
      scope: c.scopes.join(' ')
    })),
    scopes: [...scopes],
    ...(tls ? { clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'] } : {}),
    cookies: { keys: ['test-only-cookie-key'] },
    // Default ES256 and EdDSA only; the proofs of RSA and P-384 keys are tested too.
    ...(options.dpop !== undefined ? { enabledJWA: { dPoPSigningAlgValues: ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] } } : {}),
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' } as never] },
    ttl: { ClientCredentials: ttl },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      ...(options.dpop !== undefined
        ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => options.dpop?.requireNonce === true } }
        : {}),
      ...(tls
        ? {
            mTLS: {
              enabled: true,
              tlsClientAuth: true,
              selfSignedTlsClientAuth: true,
              getCertificate: (ctx: { socket: TLSSocket }) => {
                const raw = ctx.socket.getPeerCertificate().raw
                return raw === undefined ? undefined : new X509Certificate(raw)
              },
              certificateAuthorized: (ctx: { socket: TLSSocket }) => ctx.socket.authorized,
              // Node lists the subject one attribute a line, most significant first; RFC 4514 the reverse, comma-joined.
              certificateSubjectMatches: (ctx: { socket: TLSSocket }, property: string, expected: string) =>
                property === 'tls_client_auth_subject_dn' &&
                new X509Certificate(ctx.socket.getPeerCertificate().raw).subject.split('\n').reverse().join(',') === expected
            }
          }
        : {}),
      ...(jwt
        ? {
            resourceIndicators: {
              enabled: true,
              defaultResource: () => jwt.resource,
              useGrantedResource: () => true,
              getResourceServerInfo: () => ({
                scope: jwt.scopes.join(' '),
                audience: jwt.resource,
                accessTokenTTL: ttl,
                accessTokenFormat: 'jwt',
                jwt: { sign: { alg: 'RS256' } }
              })
            }
          }
        : {})
    }
  } as never)
  const callback = provider.callback()
  handler = (req, res) => { void callback(req, res) }

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    tokenRequests,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections()
      server.close((err) => (err ? reject(err) : resolve()))
    })
  }
}
