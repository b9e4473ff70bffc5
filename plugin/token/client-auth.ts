// How the client proves who it is at the token endpoint, per authMethod (docs/token-core.md):
// a shared secret (RFC 6749 §2.3.1), a signed assertion (RFC 7523 §2.2) or a TLS client
// certificate (RFC 8705 §2). Checked once with the options; applied to every request.
import type { Dispatcher } from 'undici'
import { credentialKind } from '../../service/policy/rules/auth-method.js'
import type { AuthMethod } from '../../service/policy/types.js'
import { AssertionSigner, parseCertificate, SIGNING_ALGS, type PrivateKey, type SigningAlg } from './assertion.js'
import { InvalidOptionError, invalidOption } from './errors.js'

/** The client secret, or a function called before each token request (rotation). */
export type ClientSecret = string | (() => string | Promise<string>)

/** RFC 8705 client certificate: PEM strings; `ca` for a token endpoint whose CA Node does not trust. */
export interface TlsClientOptions {
  cert: string
  key: string
  ca?: string | string[]
}

/** The credential options fetchToken and TokenCache accept (docs/token-core.md). */
export interface ClientAuthOptions {
  /** client_secret_basic / client_secret_post. */
  clientSecret?: ClientSecret
  /** private_key_jwt: PEM, JWK, or a function returning one (called before each request). */
  privateKey?: PrivateKey
  /** private_key_jwt: header `kid` (default: the JWK's kid). */
  kid?: string
  /** private_key_jwt: default from the key (RS256, PS256, ES256/384/512, EdDSA). */
  alg?: SigningAlg
  /** private_key_jwt: PEM certificate of the key; adds the x5t#S256 and x5t headers (Entra). */
  certificate?: string
  /** private_key_jwt: `aud` of the assertion. Default: the token endpoint URL. */
  assertionAudience?: string
  /** tls_client_auth / self_signed_tls_client_auth: the client certificate and its key. */
  tls?: TlsClientOptions
}

export type ClientAuth =
  | { kind: 'secret'; source: ClientSecret }
  | { kind: 'private-key'; source: PrivateKey; signer: AssertionSigner }
  | { kind: 'tls'; tls: TlsClientOptions }

const NOT_USED = { secret: ['privateKey', 'kid', 'alg', 'certificate', 'assertionAudience', 'tls'], 'private-key': ['clientSecret', 'tls'], tls: ['clientSecret', 'privateKey', 'kid', 'alg', 'certificate', 'assertionAudience'] } as const

/** The options of the method checked; messages never echo a value (it may be a secret). */
export function resolveClientAuth (options: ClientAuthOptions & { clientId: string }, authMethod: AuthMethod, tokenEndpoint: URL): ClientAuth {
  const kind = credentialKind(authMethod)
  for (const name of NOT_USED[kind]) {
    if (options[name] !== undefined) throw new InvalidOptionError(`${name} is not used with authMethod ${authMethod}: remove it, or choose the authMethod it belongs to`)
  }
  if (kind === 'secret') {
    const secret = options.clientSecret
    if (!((typeof secret === 'string' && secret !== '') || typeof secret === 'function')) {
      throw invalidOption('clientSecret', `must be a non-empty string or a function returning one (authMethod ${authMethod})`)
    }
    return { kind, source: secret }
  }
  if (kind === 'tls') return { kind, tls: checkTls(options.tls, authMethod) }
  const { privateKey, kid, alg, assertionAudience } = options
  if (!(typeof privateKey === 'function' || (typeof privateKey === 'string' && privateKey !== '') || (typeof privateKey === 'object' && privateKey !== null))) {
    throw invalidOption('privateKey', 'must be a PEM string, a JWK object or a function returning one (authMethod private_key_jwt)')
  }
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) throw invalidOption('kid', 'must be a non-empty string')
  if (alg !== undefined && !(SIGNING_ALGS as readonly unknown[]).includes(alg)) throw invalidOption('alg', `must be one of ${SIGNING_ALGS.join(', ')}`)
  if (assertionAudience !== undefined && (typeof assertionAudience !== 'string' || assertionAudience === '')) {
    throw invalidOption('assertionAudience', 'must be a non-empty string, e.g. https://<tenant>/ for Auth0')
  }
  const signer = new AssertionSigner({
    clientId: options.clientId,
    audience: assertionAudience ?? tokenEndpoint.href,
    alg,
    kid,
    certificate: options.certificate === undefined ? undefined : parseCertificate(options.certificate)
  })
  // A key given as a value is checked now; a key function's answer, at each token request.
  if (typeof privateKey !== 'function') signer.check(privateKey)
  return { kind, source: privateKey, signer }
}

function checkTls (tls: TlsClientOptions | undefined, authMethod: AuthMethod): TlsClientOptions {
  const pem = (value: unknown): boolean => typeof value === 'string' && value.includes('-----BEGIN ')
  if (tls === null || typeof tls !== 'object' || !pem(tls.cert) || !pem(tls.key)) {
    throw invalidOption('tls', `must be { cert, key, ca? } with PEM strings for authMethod ${authMethod} (the plugin also reads APP_TOKEN_TLS_CERT_FILE and APP_TOKEN_TLS_KEY_FILE)`)
  }
  if (tls.ca !== undefined && !(pem(tls.ca) || (Array.isArray(tls.ca) && tls.ca.every(pem)))) throw invalidOption('tls.ca', 'must be a PEM string or an array of them')
  return { cert: tls.cert, key: tls.key, ...(tls.ca !== undefined ? { ca: tls.ca } : {}) }
}

/** RFC 8705 needs the certificate on the connection: a caller's dispatcher would not carry it. */
export function checkTlsDispatcher (auth: ClientAuth, dispatcher: Dispatcher | undefined): void {
  if (auth.kind === 'tls' && dispatcher !== undefined) {
    throw new InvalidOptionError('tls and dispatcher cannot be combined: drop dispatcher (an Agent with the client certificate is built from tls), or drop tls and give your dispatcher connect: { cert, key }')
  }
}

/** undici `connect` options carrying the client certificate, or none. */
export function tlsConnectOptions (auth: ClientAuth): TlsClientOptions | Record<string, never> {
  return auth.kind === 'tls' ? auth.tls : {}
}

/** The option whose function is being awaited, for the timeout message. */
export function credentialOption (auth: ClientAuth): string {
  return auth.kind === 'private-key' ? 'privateKey' : 'clientSecret'
}

/** The invalid_client hint: what to check for the method in use. */
export function invalidClientHint (authMethod: AuthMethod, basicEncoding: string): string {
  switch (credentialKind(authMethod)) {
    case 'private-key':
      return 'The server did not accept the client assertion (private_key_jwt): check that the public key (or certificate) ' +
        'registered for the client matches privateKey, the kid and alg it expects, and assertionAudience (default the token endpoint; Auth0 wants https://<tenant>/).'
    case 'tls':
      return `The server did not accept the client certificate (${authMethod}): check that tls.cert is the certificate registered for the client ` +
        '(its subject DN for tls_client_auth, the certificate itself for self_signed_tls_client_auth) and that no proxy ends TLS before the token endpoint.'
    default:
      return `The server did not accept the client credentials (sent with ${authMethod}): check clientId, ` +
        'clientSecret (rotated?) and the auth method registered for the client. ' + basicEncoding
  }
}
