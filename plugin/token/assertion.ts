// private_key_jwt (RFC 7523 §2.2, OpenID Connect Core §9): a short-lived JWT signed with the
// client's private key stands in for the secret. Keys are parsed once per key material.
import { createHash, createPrivateKey, randomUUID, X509Certificate, type KeyObject } from 'node:crypto'
import { InvalidOptionError, invalidOption, SecretUnavailableError } from './errors.js'
import { loadJose } from './jose.js'

/** RFC 7523 §2.2: the value of `client_assertion_type`. */
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** A PEM private key (PKCS#8, PKCS#1, SEC1), a JWK (object or JSON text) holding `d`. */
export type PrivateKeyMaterial = string | PrivateJwk
/** A private JSON Web Key (RFC 7517) holding `d`, for `private_key_jwt`. */
export interface PrivateJwk { kty: string; d?: string; kid?: string; alg?: string; [member: string]: unknown }
/** The key, or a function called before each token request (rotation). */
export type PrivateKey = PrivateKeyMaterial | (() => PrivateKeyMaterial | Promise<PrivateKeyMaterial>)

export const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
/** The JWS algorithms (RFC 7518 §3.1) a client assertion may be signed with. */
export type SigningAlg = (typeof SIGNING_ALGS)[number]

/** Assertions live this long (seconds): RFC 7523 §3 wants a short exp; servers cap it at about 60 s. */
const ASSERTION_LIFETIME = 60

const CURVE_ALGS: Record<string, SigningAlg> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' }

interface ParsedKey { key: KeyObject; alg: SigningAlg; kid: string | undefined }

export interface AssertionSettings {
  clientId: string
  /** `aud`: the token endpoint unless the server wants another value (Auth0: the tenant URL). */
  audience: string
  alg: SigningAlg | undefined
  kid: string | undefined
  certificate: X509Certificate | undefined
}

/** The `certificate` option (PEM), parsed once: its thumbprints go into every assertion header. */
export function parseCertificate (pem: unknown): X509Certificate {
  if (typeof pem !== 'string' || pem === '') throw invalidOption('certificate', 'must be a PEM certificate string')
  try {
    return new X509Certificate(pem)
  } catch {
    throw invalidOption('certificate', 'is not a readable PEM (or DER) X.509 certificate')
  }
}

/** Signs one assertion per request; the parsed key is kept until the key material changes. */
export class AssertionSigner {
  readonly #settings: AssertionSettings
  readonly #header: { 'x5t#S256'?: string; x5t?: string }
  #lastMaterial: string | undefined
  #lastKey: ParsedKey | undefined

  constructor (settings: AssertionSettings) {
    this.#settings = settings
    const der = settings.certificate?.raw
    // RFC 7515 §4.1.7–8; Entra reads x5t (SHA-1), newer servers x5t#S256.
    this.#header = der === undefined
      ? {}
      : { 'x5t#S256': thumbprint('sha256', der), x5t: thumbprint('sha1', der) }
  }

  /**
   * At register, for a key given as a value (not a function): an `alg` that does not fit the key
   * or a certificate of another key is an InvalidOptionError now rather than at the first token
   * request. A key that cannot be read is still reported by that request, as for a key function.
   */
  check (material: unknown): void {
    try {
      this.#parse(material)
    } catch (err) {
      if (err instanceof InvalidOptionError) throw err
    }
  }

  /** A fresh assertion: new jti, iat now, exp 60 s later (RFC 7523 §3). */
  async sign (material: unknown): Promise<string> {
    const { key, alg, kid } = this.#parse(material)
    const { clientId, audience } = this.#settings
    const { SignJWT } = await loadJose()
    const now = Math.floor(Date.now() / 1000)
    return await new SignJWT({})
      .setProtectedHeader({ alg, ...(kid !== undefined ? { kid } : {}), ...this.#header })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(audience)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME)
      .sign(key)
  }

  #parse (material: unknown): ParsedKey {
    const id = typeof material === 'string' ? material : JSON.stringify(material ?? null)
    if (id === this.#lastMaterial && this.#lastKey !== undefined) return this.#lastKey
    const parsed = parsePrivateKey(material, this.#settings)
    this.#lastMaterial = id
    this.#lastKey = parsed
    return parsed
  }
}

/** Never echoes the material or the parser's words about it: they may quote the key. */
function parsePrivateKey (material: unknown, settings: AssertionSettings): ParsedKey {
  const read = readPrivateKey(material)
  if (read === undefined) {
    throw new SecretUnavailableError('the private key is not a readable PEM private key or private JWK (with "d")', {
      hint: 'Give privateKey (or APP_TOKEN_PRIVATE_KEY / APP_TOKEN_PRIVATE_KEY_FILE) as a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a JWK object.'
    })
  }
  const { key, jwk } = read
  const alg = settings.alg ?? algOf(jwk?.alg) ?? usualAlg(key)
  if (alg === undefined) {
    throw new SecretUnavailableError(`the private key's type (${key.asymmetricKeyType ?? 'unknown'}) cannot sign a client assertion: use an RSA, EC (P-256/384/521) or Ed25519 key`)
  }
  // Permanent (never retried): signing would fail the same way on every attempt.
  if (!algFitsKey(alg, key)) {
    const from = settings.alg !== undefined ? 'alg' : 'the JWK\'s "alg"'
    throw new InvalidOptionError(`${from} ${alg} does not fit the private key (${keyDescription(key)}): give the alg the key signs with (${fittingAlgs(key).join(', ') || 'none'}), or the key registered for ${alg}`, { option: 'alg' })
  }
  if (settings.certificate !== undefined && !settings.certificate.checkPrivateKey(key)) {
    throw new InvalidOptionError('certificate does not belong to the private key: give the certificate registered with the provider for this key')
  }
  return { key, alg, kid: settings.kid ?? (typeof jwk?.kid === 'string' ? jwk.kid : undefined) }
}

/** A PEM or a private JWK (object or JSON text) as a key; undefined when it is none (the parser's words may quote it). */
export function readPrivateKey (material: unknown): { key: KeyObject; jwk: PrivateJwk | undefined } | undefined {
  try {
    let jwk: PrivateJwk | undefined
    if (typeof material === 'string' && material.trimStart().startsWith('{')) jwk = JSON.parse(material) as PrivateJwk
    else if (typeof material === 'object' && material !== null) jwk = material as PrivateJwk
    if (jwk === undefined && (typeof material !== 'string' || material === '')) return undefined
    const key = jwk !== undefined ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPrivateKey(material as string)
    return { key, jwk }
  } catch {
    return undefined
  }
}

function algOf (value: unknown): SigningAlg | undefined {
  return (SIGNING_ALGS as readonly unknown[]).includes(value) ? value as SigningAlg : undefined
}

/** The usual algorithm of the key's type (RFC 7518 §3.1, RFC 8037 §3.1); undefined for a key that cannot sign a JWS. */
export function usualAlg (key: KeyObject): SigningAlg | undefined {
  switch (key.asymmetricKeyType) {
    case 'rsa': return 'RS256'
    case 'rsa-pss': return 'PS256'
    case 'ed25519': return 'EdDSA'
    case 'ec': return CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? '']
  }
  return undefined
}

/** Whether `alg` can sign with the key: RSA for RS and PS, the EC curve of ES, Ed25519 for EdDSA (RFC 7518 §3.1). */
export function algFitsKey (alg: SigningAlg, key: KeyObject): boolean {
  const type = key.asymmetricKeyType
  if (alg.startsWith('RS')) return type === 'rsa'
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss'
  if (alg === 'EdDSA') return type === 'ed25519'
  return type === 'ec' && CURVE_ALGS[key.asymmetricKeyDetails?.namedCurve ?? ''] === alg
}

function fittingAlgs (key: KeyObject): SigningAlg[] {
  return SIGNING_ALGS.filter((alg) => algFitsKey(alg, key))
}

function keyDescription (key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown'
  const curve = key.asymmetricKeyDetails?.namedCurve
  return type === 'ec' && curve !== undefined ? `an EC key on ${curve}` : `a key of type ${type}`
}

function thumbprint (hash: 'sha1' | 'sha256', der: Buffer): string {
  return createHash(hash).update(der).digest('base64url')
}
